"""Hostile XML: every attack a DOCTYPE enables is refused before it can act, and size and
depth are bounded. Each test would fail (hang, read a file, or pass the input) without
the hardening in ivoa_eb_spec.xmlcodec.parse_xml."""

from __future__ import annotations

import time

import pytest
from ivoa_eb_spec.xmlcodec import MAX_DEPTH, XmlInputError, from_xml, parse_xml
from ivoa_eb_spec.xmlschema_gen import xml_schema

NS = "http://www.ivoa.net/xml/ExecutionBroker/v1.0"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<update xmlns="http://www.ivoa.net/xml/ExecutionBroker/v1.0" kind="uri:string-value-update">
<path>phase</path><value>&lol9;</value></update>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE update [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<update xmlns="http://www.ivoa.net/xml/ExecutionBroker/v1.0" kind="uri:string-value-update">
<path>phase</path><value>&xxe;</value></update>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE update SYSTEM "http://127.0.0.1:9/evil.dtd">
<update xmlns="http://www.ivoa.net/xml/ExecutionBroker/v1.0" kind="uri:string-value-update">
<path>phase</path><value>x</value></update>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE update [<!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote;]>
<update xmlns="http://www.ivoa.net/xml/ExecutionBroker/v1.0" kind="uri:string-value-update">
<path>phase</path><value>x</value></update>"""

EMPTY_DOCTYPE = b"""<!DOCTYPE update>
<update xmlns="http://www.ivoa.net/xml/ExecutionBroker/v1.0" kind="uri:string-value-update">
<path>phase</path><value>x</value></update>"""


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        EXTERNAL_DTD,
        PARAMETER_ENTITY,
        EMPTY_DOCTYPE,
        EXTERNAL_ENTITY.decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
        .encode("utf-16"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "parameter-entity",
        "empty-doctype",
        "external-entity-utf16",
    ],
)
def test_any_doctype_is_refused(data: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(XmlInputError) as caught:
        from_xml(data)
    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert "DOCTYPE" in message or "not well-formed" in message
    assert "root:" not in message  # nothing of /etc/passwd leaks into the message


def test_entities_are_never_expanded_even_before_the_doctype_check() -> None:
    # the parser itself must not expand: were it to, the text would be 10**9 characters long
    with pytest.raises(XmlInputError, match="DOCTYPE"):
        parse_xml(BILLION_LAUGHS)


def test_schema_location_hints_are_not_followed() -> None:
    data = (
        f'<update xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{NS} http://127.0.0.1:9/other.xsd" kind="uri:string-value-update">'
        "<path>phase</path><value>x</value></update>"
    ).encode()
    xml_schema()  # loaded before the clock starts
    started = time.monotonic()
    assert from_xml(data) == (
        "update",
        {"kind": "uri:string-value-update", "path": "phase", "value": "x"},
    )
    assert time.monotonic() - started < 2


def test_xinclude_is_not_processed() -> None:
    data = (
        f'<update xmlns="{NS}" xmlns:xi="http://www.w3.org/2001/XInclude" kind="https://example.org/u">'
        '<xi:include href="file:///etc/passwd" parse="text"/></update>'
    ).encode()
    with pytest.raises(XmlInputError, match="not in namespace") as caught:
        from_xml(data)
    assert "root:" not in str(caught.value)


def test_oversized_documents_are_refused_before_parsing() -> None:
    body = b"<path>" + b"a" * 2000 + b"</path>"
    data = f'<update xmlns="{NS}" kind="uri:string-value-update">'.encode() + body + b"</update>"
    with pytest.raises(XmlInputError, match="exceeds the limit"):
        parse_xml(data, max_bytes=1000)
    assert parse_xml(data, max_bytes=len(data)) is not None


def test_the_default_size_limit_applies() -> None:
    data = b"<a>" + b" " * (16 * 1024 * 1024) + b"</a>"
    with pytest.raises(XmlInputError, match="exceeds the limit"):
        parse_xml(data)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 300, 100_000])
def test_deep_documents_are_refused(depth: int) -> None:
    data = (
        f'<update xmlns="{NS}" kind="https://example.org/u">'
        + "<a>" * depth
        + "</a>" * depth
        + "</update>"
    ).encode()
    started = time.monotonic()
    with pytest.raises(XmlInputError):
        from_xml(data)
    assert time.monotonic() - started < 5


def test_a_document_within_the_depth_limit_is_read() -> None:
    depth = MAX_DEPTH - 2
    data = (
        f'<update xmlns="{NS}" kind="https://example.org/u">'
        + "<a>" * depth
        + "x"
        + "</a>" * depth
        + "</update>"
    ).encode()
    _, value = from_xml(data)
    inner = value["a"]
    for _ in range(depth - 1):
        inner = inner["a"]
    assert inner == "x"


@pytest.mark.parametrize(
    "data",
    [b"", b"<update", b"<a></b>", b"\xff\xfe\x00<", b"<a>&undefined;</a>", b"text"],
)
def test_malformed_input_is_an_input_error(data: bytes) -> None:
    with pytest.raises(XmlInputError, match="not well-formed"):
        parse_xml(data)


def test_text_is_refused_as_input_type() -> None:
    with pytest.raises(TypeError):
        parse_xml("<update/>")  # type: ignore[arg-type]


def test_unknown_root_is_refused() -> None:
    with pytest.raises(XmlInputError, match="root element") as caught:
        from_xml(f'<session xmlns="{NS}"/>'.encode())
    assert caught.value.path == "/eb:session"
