"""The quick XML check (libxml2, an XSD 1.0 schema derived from the XSD 1.1 one) never
accepts what xmlschema, running the published XSD 1.1, refuses.

``from_xml`` trusts a quick "valid" and skips xmlschema, so a quick check more lenient than
the published XSD would let invalid documents in. The examples' XML forms and the
hand-written messages of test_xml_documents (every root, valid and invalid) are mutated
at random (text, kinds, attributes, element names, order, nesting) to probe the edges.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ivoa_eb_spec.xmlcodec import from_xml, parse_xml
from ivoa_eb_spec.xmlquick import _derived, derive, is_valid
from ivoa_eb_spec.xmlschema_gen import NS, xml_schema
from lxml import etree
from test_xml_documents import IGNORED, INVALID, VALID, doc

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "xml").glob("*.xml"))
SEEDS = [path.read_bytes() for path in EXAMPLES] + [
    data for data, _ in VALID.values()
] + [data for data, _, _ in INVALID.values()] + [data for data, _ in IGNORED.values()]

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML = "http://www.w3.org/XML/1998/namespace"


def normative(root: Any) -> bool:
    return bool(xml_schema().is_valid(root))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_passes_the_quick_check(path: Path) -> None:
    """Else requests would never take the quick path and the broker would not be faster."""
    root = parse_xml(path.read_bytes())
    assert normative(root)
    assert is_valid(root)


@pytest.mark.parametrize("name", list(VALID))
def test_valid_messages_of_the_request_path_pass_the_quick_check(name: str) -> None:
    root = parse_xml(VALID[name][0])
    assert normative(root)
    # The bodies a broker reads; offer sets and known sessions carry assertions that XSD 1.0
    # cannot say, so they always take the thorough path.
    if etree.QName(root).localname in ("offers-request", "update"):
        assert is_valid(root)


def test_the_tree_is_left_as_it_was() -> None:
    root = parse_xml(EXAMPLES[0].read_bytes())
    before = etree.tostring(root)
    assert is_valid(root)
    assert etree.tostring(root) == before


# -- mutations ---------------------------------------------------------------------------

KINDS = sorted(_derived().kinds)
KIND_VALUES = st.sampled_from([*KINDS, "", " ", "urn:x", "x y"]) | st.sampled_from(KINDS).map(
    lambda k: f" {k}"
)
NAMES = sorted(
    {n for n in _derived().schema.xpath("//@name") if "quick" not in n}
    | set(_derived().synthetic)
)
TEXTS = st.sampled_from([
    "", " ", "0", "1", "-1", "+2", " 3 ", "1.5", "1e400", "-1e400", "NaN", "INF", "-INF", "+INF",
    "\u0663", "\uff11", "9223372036854775807", "9223372036854775808", "true", "false", "TRUE",
    "yes", "P0D", "PT1H", "P1Y", "PT", "P1W", "2026-12-01T09:00:00Z", "2026-13-01T00:00:00Z",
    "2026-12-01T09:00:00Z/PT1H", "2026-12-01T09:00:00", "0b7f4d3e-8a55-4c1e-9f26-3d0b8e7a6c41",
    "0b7f4d3e8a554c1e9f263d0b8e7a6c41", "READONLY", "READWRITE", " READONLY", "OFFERED",
    "ACCEPTED", "YES", "NO", "ERROR", "WARN", "/phase", "http://x/", "a b", "%zz", "\u00a0",
]) | st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=6)


def _elements(root: Any) -> list[Any]:
    return [e for e in root.iter() if isinstance(e.tag, str)]


def _mutate(root: Any, data: st.DataObject) -> None:
    elements = _elements(root)
    element = data.draw(st.sampled_from(elements))
    parent = element.getparent()
    what = data.draw(st.sampled_from([
        "text", "kind", "no-kind", "attribute", "remove", "duplicate", "swap", "rename",
        "insert", "move", "entry", "derived-name",
    ]))
    if what == "text":
        if len(element) == 0:
            element.text = data.draw(TEXTS)
    elif what == "kind":
        element.set("kind", data.draw(KIND_VALUES))
    elif what == "no-kind":
        element.attrib.pop("kind", None)
    elif what == "attribute":
        # Mostly on a component: an unknown kind takes any attribute (lax), the edge to probe.
        kinded = [e for e in elements if e.get("kind") is not None]
        if kinded and data.draw(st.booleans()):
            element = data.draw(st.sampled_from(kinded))
            if data.draw(st.booleans()):
                element.set("kind", "urn:unknown")
        name = data.draw(st.sampled_from(
            ["name", "kind", "foo", f"{{{XSI}}}type", f"{{{XSI}}}nil", f"{{{XML}}}lang",
             f"{{{XML}}}space", f"{{{XML}}}id", "{urn:other}a", f"{{{NS}}}kind"]
        ))
        value = data.draw(TEXTS | st.sampled_from(["eb:DockerContainer", "eb:UnknownExecutable"]))
        element.set(name, value)
    elif what == "remove" and parent is not None:
        parent.remove(element)
    elif what == "duplicate" and parent is not None:
        element.addnext(copy.deepcopy(element))
    elif what == "swap" and element.getnext() is not None:
        element.getnext().addnext(element)
    elif what == "rename":
        element.tag = f"{{{NS}}}{data.draw(st.sampled_from(NAMES))}"
    elif what == "insert":
        child = etree.SubElement(element, f"{{{NS}}}{data.draw(st.sampled_from(NAMES))}")
        if data.draw(st.booleans()):
            child.set("kind", data.draw(KIND_VALUES))
        else:
            child.text = data.draw(TEXTS)
        index = data.draw(st.integers(0, len(element) - 1))
        element.insert(index, child)
    elif what == "move" and parent is not None:
        target = data.draw(st.sampled_from(elements))
        if target is not element and element not in target.iterancestors():
            target.append(element)
    elif what == "derived-name" and element.get("kind") in _derived().kinds:
        # The name the quick check itself gives such an element: never trusted in a document.
        local = etree.QName(element).localname
        element.tag = f"{{{NS}}}{local}.{_derived().kinds[element.get('kind')]}"
    elif what == "entry":
        entries = [e for e in elements if etree.QName(e).localname == "entry"]
        if entries:
            entry = data.draw(st.sampled_from(entries))
            twin = copy.deepcopy(entry)
            twin.text = data.draw(TEXTS)
            entry.addnext(twin)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.sampled_from(SEEDS), steps=st.integers(1, 3), data=st.data())
def test_the_quick_check_is_never_more_lenient(seed: bytes, steps: int, data: Any) -> None:
    root = parse_xml(seed)
    for _ in range(steps):
        _mutate(root, data)
    if is_valid(root):
        assert normative(root), etree.tostring(root).decode()


# -- the derivation ------------------------------------------------------------------------

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
DOCKER = _derived().kinds[K + "executable/docker-container.yaml"]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (f'<executable kind="{K}executable/jupyter-notebook.yaml"><meta><name>n</name></meta>'
         "<surprise/></executable>", "must-ignore open content"),
        ('<executable kind="urn:x" xml:lang="not a language!"/>', "a namespaced attribute"),
        (VALID["request-docker"][0].decode().split(">", 2)[2].rsplit("<", 1)[0].replace(
            "<executable ", f"<executable.{DOCKER} ").replace(
                "</executable>", f"</executable.{DOCKER}>"),
         "a derived name"),
    ],
)
def test_what_only_the_thorough_check_decides(body: str, why: str) -> None:
    root = parse_xml(doc("offers-request", body))
    assert not is_valid(root), why
    # from_xml still gives xmlschema's verdict (and its error, named as before).
    if normative(root):
        from_xml(doc("offers-request", body))


def test_a_repeated_map_key_is_refused_by_both() -> None:
    data = INVALID["map with a repeated key"][0]
    assert not is_valid(parse_xml(data))
    assert not normative(parse_xml(data))


def _published() -> Any:
    from ivoa_eb_spec import files
    from ivoa_eb_spec.xmlschema_gen import XSD_PATH

    return etree.parse(str(files() / XSD_PATH)).getroot()


def test_the_derived_schema_has_no_xsd_1_1_left() -> None:
    text = etree.tostring(_derived().schema).decode()
    for construct in ("openContent", "xs:assert", "xs:alternative", "notQName", "minVersion"):
        assert construct not in text


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("@kind = 'uri:string-value-option'", "starts-with(@kind, 'uri:')"),
        ("count(eb:entry) = count(distinct-values(eb:entry/@name))",
         "count(eb:entry) = count(distinct-values(eb:entry))"),
    ],
)
def test_an_unknown_xsd_1_1_rule_stops_the_derivation_or_refuses(old: str, new: str) -> None:
    """A generator change is noticed: an alternative test it cannot read stops the derivation;
    an assertion it cannot translate makes its type unsatisfiable (never more lenient)."""
    xsd = _published()
    changed = 0
    for node in xsd.iter("{http://www.w3.org/2001/XMLSchema}*"):
        if node.get("test") == old:
            node.set("test", new)
            changed += 1
    assert changed
    if "kind" in old:
        with pytest.raises(ValueError, match="cannot read"):
            derive(xsd)
        return
    schema = etree.XMLSchema(derive(xsd).schema)
    root = parse_xml(VALID["request-docker"][0])
    assert normative(root)
    assert is_valid(root)
    for element in root.iter(f"{{{NS}}}executable"):
        element.tag = f"{{{NS}}}executable.{_derived().kinds[element.get('kind')]}"
    assert not schema.validate(root)  # the environment's type now carries the refusal


def test_threads_share_the_check_and_each_gets_its_own_answer() -> None:
    from concurrent.futures import ThreadPoolExecutor

    good = VALID["request-docker"][0]
    bad = INVALID["map with a repeated key"][0]
    cases = [good, bad] * 100
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda data: is_valid(parse_xml(data)), cases))
    assert answers == [True, False] * 100
