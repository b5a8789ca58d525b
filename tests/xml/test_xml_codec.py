"""The XML codec's mapping rules, one by one, and its refusals with their locations."""

from __future__ import annotations

import pytest
from ivoa_eb_spec.registry import validator
from ivoa_eb_spec.xmlcodec import XmlInputError, from_xml, to_xml
from ivoa_eb_spec.xmlschema_gen import xml_schema
from lxml import etree

NS = "http://www.ivoa.net/xml/ExecutionBroker/v1.0"
K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"
DOCKER = K + "executable/docker-container.yaml"
COMPUTE = K + "compute/simple-compute-resource.yaml"
COST = K + "costs/simple-minmax-float-cost.yaml"


def roundtrip(document: dict, root: str) -> bytes:
    data = to_xml(document, root)
    assert list(xml_schema().iter_errors(data)) == []
    assert from_xml(data) == (root, document)
    return data


def test_kind_is_an_attribute_and_properties_follow_schema_order() -> None:
    document = {
        "compute": {"cores": {"max": 4, "min": 2}, "kind": COMPUTE},
        "executable": {"kind": NOTEBOOK, "location": "https://example.org/n"},
    }
    root = etree.fromstring(roundtrip(document, "offers-request"))
    assert root.tag == f"{{{NS}}}offers-request" and root.nsmap[None] == NS
    assert [etree.QName(c).localname for c in root] == ["executable", "compute"]
    compute = root[1]
    assert compute.get("kind") == COMPUTE
    assert [etree.QName(c).localname for c in compute[0]] == ["min", "max"]


def test_one_item_arrays_stay_arrays_and_empty_arrays_survive() -> None:
    document = {"executable": {"kind": DOCKER, "command": ["only"], "image": {"locations": []}}}
    data = roundtrip(document, "offers-request")
    assert b"<command><arg>only</arg></command>" in data


def test_string_maps_are_entries() -> None:
    document = {"executable": {"kind": DOCKER, "environment": {"A B": "x", "": "", "n": " y\n"}}}
    data = roundtrip(document, "offers-request")
    assert b'<entry name="A B">x</entry>' in data


def test_scalars_are_typed_as_the_json_schema_says() -> None:
    document = {
        "executable": {
            "kind": DOCKER,
            "privileged": True,
            "network": {"ports": [{"internal": {"port": 1}}]},
        },
        "costs": [{"kind": COST, "min": 0.5, "max": 3}],
    }
    _, value = from_xml(to_xml(document, "offers-request"))
    assert value["executable"]["privileged"] is True
    assert type(value["executable"]["network"]["ports"][0]["internal"]["port"]) is int
    assert type(value["costs"][0]["min"]) is float and type(value["costs"][0]["max"]) is int


def test_xml_boolean_and_number_spellings_are_read() -> None:
    data = (
        f'<offers-request xmlns="{NS}"><executable kind="{DOCKER}"><privileged> 1 </privileged>'
        f'</executable><costs><cost kind="{COST}"><min>1E3</min><max>.5</max></cost></costs>'
        "</offers-request>"
    ).encode()
    _, value = from_xml(data)
    assert value["executable"]["privileged"] is True
    assert value["costs"][0] == {"kind": COST, "min": 1000.0, "max": 0.5}


def test_strings_keep_their_whitespace_and_carriage_returns() -> None:
    roundtrip({"kind": "uri:string-value-update", "path": " p ", "value": "a\r\nb\tc  "}, "update")


def test_unknown_kinds_keep_strings_nested_objects_and_repeats() -> None:
    document = {"kind": "urn:x:new", "a": "1", "b": {"c": "2", "d": ["3", "4"]}}
    roundtrip(document, "execution")
    lossy = {"kind": "urn:x:new", "n": 5, "t": True, "z": None, "one": ["x"], "none": []}
    _, value = from_xml(to_xml(lossy, "execution"))
    assert value == {"kind": "urn:x:new", "n": "5", "t": "true", "z": "", "one": "x"}


def test_characters_xml_cannot_carry_are_refused_with_their_pointer() -> None:
    # finding: the JSON Schema allows every string; XML 1.0 has no form for C0 controls
    with pytest.raises(ValueError, match=r"/executable/meta/name: character U\+0001"):
        to_xml({"executable": {"kind": NOTEBOOK, "meta": {"name": "a\x01"}}}, "offers-request")


def test_integers_beyond_xs_long_are_refused_with_their_pointer() -> None:
    # The JSON Schema bounds every integer within xs:long (it once did not); the codec
    # still refuses a larger one, with its pointer, rather than write XML the XSD refuses.
    document = {
        "executable": {"kind": NOTEBOOK},
        "compute": {"kind": COMPUTE, "cores": {"max": 2**63}},
    }
    assert not validator("execution-request.yaml").is_valid(document)
    with pytest.raises(ValueError, match="/compute/cores/max: .* xs:long"):
        to_xml(document, "offers-request")


def test_documents_the_schema_refuses_are_not_written() -> None:
    # Must-ignore (EXT-01): an unknown property is written as open content, and read back.
    extended = {"executable": {"kind": NOTEBOOK, "colour": "red"}}
    assert from_xml(to_xml(extended, "offers-request")) == ("offers-request", extended)
    with pytest.raises(ValueError, match="/compute/cores/min: expected a integer"):
        to_xml(
            {"executable": {"kind": NOTEBOOK}, "compute": {"kind": COMPUTE, "cores": {"min": "2"}}},
            "offers-request",
        )
    with pytest.raises(ValueError, match="not usable as an XML element name"):
        to_xml({"kind": "urn:x", "a b": "c"}, "execution")
    with pytest.raises(ValueError, match="unknown XML root"):
        to_xml({}, "session")


def test_invalid_values_are_located_by_xpath_and_json_pointer() -> None:
    data = (
        f'<offers-request xmlns="{NS}"><executable kind="{NOTEBOOK}"/><costs>'
        f'<cost kind="{COST}"/><cost kind="{COST}"><min>cheap</min></cost></costs>'
        "</offers-request>"
    ).encode()
    for validate in (True, False):
        with pytest.raises(XmlInputError) as caught:
            from_xml(data, validate=validate)
        assert caught.value.path == "/eb:offers-request/eb:costs/eb:cost[2]/eb:min"
        assert caught.value.pointer == "/costs/1/min"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f'<executable kind="{NOTEBOOK}" colour="red"/>', "attribute colour"),
        (f'<executable kind="{NOTEBOOK}">text<location>x</location></executable>', "mixed"),
        (
            f'<executable kind="{NOTEBOOK}"><location>x</location><location>y</location>'
            "</executable>",
            "given twice",
        ),
        (f'<executable kind="{NOTEBOOK}"><location><a/></location></executable>', "elements where"),
        ('<executable kind="urn:x" extra="1"/>', "attribute extra"),
        ('<executable kind="urn:x"><kind>y</kind></executable>', "kind is the attribute"),
        ('<executable kind="urn:x"><o:a xmlns:o="urn:o"/></executable>', "not in namespace"),
        ('<executable kind="urn:x">loose text</executable>', "text directly inside"),
    ],
)
def test_structure_without_a_json_form_is_refused_even_without_the_xsd(
    body: str, reason: str
) -> None:
    data = f'<offers-request xmlns="{NS}">{body}</offers-request>'.encode()
    with pytest.raises(XmlInputError, match=reason):
        from_xml(data, validate=False)


def test_error_location_of_an_assertion_names_the_rule() -> None:
    data = (
        f'<offers-response xmlns="{NS}"><meta><uuid>0b7f4d3e-8a55-4c1e-9f26-3d0b8e7a6c41</uuid>'
        "<url>http://x/</url></meta><result>YES</result></offers-response>"
    ).encode()
    with pytest.raises(XmlInputError, match="assertion.*YES") as caught:
        from_xml(data)
    assert caught.value.pointer == ""
