"""The published XSD: derived from the JSON Schema, current, loadable, documented, complete."""

from __future__ import annotations

import re

import pytest
import xmlschema
from ivoa_eb_spec import files, load_yaml
from ivoa_eb_spec import xmlschema_gen as gen
from ivoa_eb_spec.registry import schema_files
from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
NSMAP = {"xs": XS}


@pytest.fixture(scope="module")
def xsd_tree() -> etree._Element:
    return etree.parse(str(files() / gen.XSD_PATH)).getroot()


def test_published_xsd_is_up_to_date() -> None:
    assert gen.main(["--check"]) == 0, "run: python -m ivoa_eb_spec.xmlschema_gen"


def test_check_reports_a_stale_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(gen, "generate", lambda: b"<stale/>")
    assert gen.main(["--check"]) == 1
    assert "stale" in capsys.readouterr().err


def test_generation_is_deterministic() -> None:
    assert gen.generate() == gen.generate()


def test_loads_with_an_xsd_1_1_processor() -> None:
    schema = gen.xml_schema()
    assert isinstance(schema, xmlschema.XMLSchema11)
    assert schema.target_namespace == gen.NS
    roots = {etree.QName(name).localname for name in schema.elements}
    assert roots == {"offers-request", "offers-response", "execution", "update", "error",
                     "session-list"}


def test_qualified_elements_and_xsd_1_1(xsd_tree: etree._Element) -> None:
    assert xsd_tree.get("elementFormDefault") == "qualified"
    assert xsd_tree.get("attributeFormDefault") == "unqualified"
    assert xsd_tree.get("{http://www.w3.org/2007/XMLSchema-versioning}minVersion") == "1.1"


def test_every_type_and_element_is_documented(xsd_tree: etree._Element) -> None:
    undocumented = []
    for decl in xsd_tree.iter(f"{{{XS}}}complexType", f"{{{XS}}}simpleType", f"{{{XS}}}element"):
        owner = decl
        if decl.get("name") is None and decl.tag != f"{{{XS}}}element":
            owner = decl.getparent()  # an anonymous type: documented on its element
            if owner.tag == f"{{{XS}}}attribute":
                continue
        docs = owner.xpath("xs:annotation/xs:documentation/text()", namespaces=NSMAP)
        if not any(d.strip() for d in docs):
            undocumented.append(owner.get("name"))
    assert undocumented == []


def _kind_consts() -> set[str]:
    kinds = set()
    for path in schema_files():
        if path.startswith("kinds/"):
            kinds.add(load_yaml(f"schema/{path}")["properties"]["kind"]["const"])
    for path in ("option.yaml", "update.yaml"):
        for sub in load_yaml(f"schema/{path}")["$defs"].values():
            const = sub.get("properties", {}).get("kind", {}).get("const")
            if const:
                kinds.add(const)
    return kinds


def test_every_known_kind_selects_its_own_type(xsd_tree: etree._Element) -> None:
    tests = xsd_tree.xpath("//xs:alternative/@test", namespaces=NSMAP)
    selected = {m.group(1) for t in tests for m in [re.fullmatch(r"@kind = '(.*)'", t)] if m}
    kinds = _kind_consts()
    assert len(kinds) >= 20
    assert kinds <= selected


def test_every_alternative_list_ends_with_an_open_type(xsd_tree: etree._Element) -> None:
    for element in xsd_tree.xpath("//xs:element[xs:alternative]", namespaces=NSMAP):
        last = element.xpath("xs:alternative", namespaces=NSMAP)[-1]
        assert last.get("test") is None
        name = last.get("type").split(":")[1]
        (open_type,) = xsd_tree.xpath(f"xs:complexType[@name='{name}']", namespaces=NSMAP)
        assert open_type.xpath("xs:sequence/xs:any/@processContents", namespaces=NSMAP) == ["skip"]
        assert open_type.xpath("xs:attribute[@name='kind']/@use", namespaces=NSMAP) == ["required"]


def test_conditional_rules_are_assertions(xsd_tree: etree._Element) -> None:
    asserts = xsd_tree.xpath("//xs:assert/@test", namespaces=NSMAP)
    assert any("'OFFERED'" in a and "eb:expires" in a for a in asserts)
    assert any("'YES'" in a for a in asserts) and any("'NO'" in a for a in asserts)
    assert any("'ERROR'" in a and a.startswith("some ") for a in asserts)


def test_time_strings_use_the_published_xsd_patterns(xsd_tree: etree._Element) -> None:
    time = load_yaml("schema/time.yaml")["$defs"]
    patterns = set(xsd_tree.xpath("//xs:pattern/@value", namespaces=NSMAP))
    for name in ("Instant", "Duration", "Interval"):
        assert time[name]["x-xsd-pattern"] in patterns, name


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer"},
        {"type": "integer", "minimum": 0},
        {"type": "integer", "maximum": 5},
        {"type": "integer", "minimum": 0, "maximum": 2**63},
        {"type": "integer", "minimum": -(2**63) - 1, "maximum": 0},
    ],
    ids=["unbounded", "no-maximum", "no-minimum", "above-long", "below-long"],
)
def test_an_integer_without_xs_long_bounds_is_refused(schema: dict[str, object]) -> None:
    """JSON integers are unbounded, xs:long is not: the generator insists on bounds."""
    with pytest.raises(ValueError, match="xs:long"):
        gen._Walker().scalar(schema, "integer", None, None, "test#/x")


def test_bounds_of_xs_long_itself_are_not_repeated_as_facets() -> None:
    node = gen._Walker().scalar(
        {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1}, "integer", None, None, "u"
    )
    assert node.facets == {}
    node = gen._Walker().scalar(
        {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}, "integer", None, None, "u"
    )
    assert node.facets == {"minimum": 0}
