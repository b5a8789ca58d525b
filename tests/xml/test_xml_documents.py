"""Hand-written XML messages: what the XSD and the codec accept, and what both refuse.

Each invalid document is refused by the XSD and by from_xml, with the offending element
named; where it can be decoded without the XSD, the JSON Schema refuses its JSON form too,
which shows the three say the same thing.
"""

from __future__ import annotations

from typing import Any

import pytest
from ivoa_eb_spec.registry import validator
from ivoa_eb_spec.xmlcodec import XmlInputError, from_xml
from ivoa_eb_spec.xmlschema_gen import ROOTS, xml_schema

NS = "http://www.ivoa.net/xml/ExecutionBroker/v1.0"
K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"
DOCKER = K + "executable/docker-container.yaml"
COMPUTE = K + "compute/simple-compute-resource.yaml"
SIMPLE = K + "session/simple-execution-session.yaml"
UUID = "0b7f4d3e-8a55-4c1e-9f26-3d0b8e7a6c41"


def doc(root: str, body: str, attrs: str = "") -> bytes:
    return f'<?xml version="1.0"?>\n<{root} xmlns="{NS}"{attrs}>{body}</{root}>'.encode()


def session(phase: str = "OFFERED", expires: bool = True) -> str:
    """The content of a session element."""
    exp = "<expires>2026-12-01T08:10:00Z</expires>" if expires else ""
    return (
        f"<meta><uuid>{UUID}</uuid><url>http://localhost/sessions/{UUID}</url></meta>"
        f"<phase>{phase}</phase>{exp}"
    )


SESSION_BODY = session()
_ERROR_ENTRY = (
    "<message><level>ERROR</level><template>t</template>"
    '<values><entry name="path"></entry></values><message>m</message></message>'
)

VALID: dict[str, tuple[bytes, dict[str, Any]]] = {
    "request-notebook": (
        doc(
            "offers-request",
            f'<executable kind="{NOTEBOOK}"><meta><name>nb</name></meta>'
            "<location>https://example.org/a.ipynb</location></executable>",
        ),
        {
            "executable": {
                "kind": NOTEBOOK,
                "meta": {"name": "nb"},
                "location": "https://example.org/a.ipynb",
            }
        },
    ),
    "request-docker": (
        doc(
            "offers-request",
            f'<executable kind="{DOCKER}"><privileged>false</privileged>'
            "<command><arg>--x</arg></command>"
            '<environment><entry name="HOME">/root</entry><entry name="A">1</entry></environment>'
            "<network><ports><port><access>true</access><internal><port>8080</port></internal>"
            "</port></ports></network></executable>"
            f'<compute kind="{COMPUTE}"><cores><min>2</min><max>4</max></cores></compute>'
            "<schedule><requested><start>2026-12-01T09:00:00Z/PT8H</start>"
            "<duration>PT2H</duration></requested></schedule>",
        ),
        {
            "executable": {
                "kind": DOCKER,
                "privileged": False,
                "command": ["--x"],
                "environment": {"HOME": "/root", "A": "1"},
                "network": {"ports": [{"access": True, "internal": {"port": 8080}}]},
            },
            "compute": {"kind": COMPUTE, "cores": {"min": 2, "max": 4}},
            "schedule": {"requested": {"start": "2026-12-01T09:00:00Z/PT8H", "duration": "PT2H"}},
        },
    ),
    "request-unknown-kind": (
        doc(
            "offers-request",
            '<executable kind="https://example.org/kinds/quantum-circuit">'
            "<qubits>5</qubits><gate>h</gate><gate>cx</gate><circuit><depth>3</depth></circuit>"
            "</executable>",
        ),
        {
            "executable": {
                "kind": "https://example.org/kinds/quantum-circuit",
                "qubits": "5",
                "gate": ["h", "cx"],
                "circuit": {"depth": "3"},
            }
        },
    ),
    "offer-set-yes": (
        doc(
            "offers-response",
            f"<meta><uuid>{UUID}</uuid><url>http://localhost/offersets/{UUID}</url></meta>"
            f'<result>YES</result><offers><execution kind="{SIMPLE}">{SESSION_BODY}</execution>'
            "</offers>",
        ),
        {
            "meta": {"uuid": UUID, "url": f"http://localhost/offersets/{UUID}"},
            "result": "YES",
            "offers": [
                {
                    "kind": SIMPLE,
                    "meta": {"uuid": UUID, "url": f"http://localhost/sessions/{UUID}"},
                    "phase": "OFFERED",
                    "expires": "2026-12-01T08:10:00Z",
                }
            ],
        },
    ),
    "offer-set-no": (
        doc(
            "offers-response",
            f"<meta><uuid>{UUID}</uuid><url>http://localhost/offersets/{UUID}</url>"
            "<messages><message><level>INFO</level><template>no {kind}</template>"
            '<values><entry name="kind">x</entry></values><message>no x</message></message>'
            "</messages></meta><result>NO</result>",
        ),
        {
            "meta": {
                "uuid": UUID,
                "url": f"http://localhost/offersets/{UUID}",
                "messages": [
                    {
                        "level": "INFO",
                        "template": "no {kind}",
                        "values": {"kind": "x"},
                        "message": "no x",
                    }
                ],
            },
            "result": "NO",
        },
    ),
    "offer-set-read-after-accept": (
        doc(
            "offers-response",
            f"<meta><uuid>{UUID}</uuid><url>http://localhost/offersets/{UUID}</url></meta>"
            "<result>YES</result><offers>"
            + "".join(
                f'<execution kind="{SIMPLE}">{session(phase=phase, expires=False)}</execution>'
                for phase in ("WAITING", "REJECTED", "EXPIRED")
            )
            + "</offers>",
        ),
        {
            "meta": {"uuid": UUID, "url": f"http://localhost/offersets/{UUID}"},
            "result": "YES",
            "offers": [
                {
                    "kind": SIMPLE,
                    "meta": {"uuid": UUID, "url": f"http://localhost/sessions/{UUID}"},
                    "phase": phase,
                }
                for phase in ("WAITING", "REJECTED", "EXPIRED")
            ],
        },
    ),
    "session": (
        doc("execution", session(phase="RUNNING", expires=False), f' kind="{SIMPLE}"'),
        {
            "kind": SIMPLE,
            "meta": {"uuid": UUID, "url": f"http://localhost/sessions/{UUID}"},
            "phase": "RUNNING",
        },
    ),
    "session-unknown-kind": (
        doc("execution", "<anything><at>all</at></anything>", ' kind="https://example.org/s"'),
        {"kind": "https://example.org/s", "anything": {"at": "all"}},
    ),
    "update": (
        doc("update", "<path>phase</path><value>ACCEPTED</value>", ' kind="uri:enum-value-update"'),
        {"kind": "uri:enum-value-update", "path": "phase", "value": "ACCEPTED"},
    ),
    "update-value-at-the-xs-long-bound": (
        doc(
            "update",
            "<path>/x</path><value>-9223372036854775808</value>",
            ' kind="uri:integer-value-update"',
        ),
        {"kind": "uri:integer-value-update", "path": "/x", "value": -(2**63)},
    ),
    "update-delta": (
        doc(
            "update",
            "<path>/compute/cores/min</path><delta> -2 </delta>",
            ' kind="uri:integer-delta-update"',
        ),
        {"kind": "uri:integer-delta-update", "path": "/compute/cores/min", "delta": -2},
    ),
    "error": (
        doc(
            "error",
            "<status>400</status><title>Invalid request</title><messages><message>"
            "<level>ERROR</level><template>bad {path}</template>"
            '<values><entry name="path">/compute</entry></values><message>bad /compute</message>'
            "</message></messages>",
        ),
        {
            "status": 400,
            "title": "Invalid request",
            "messages": [
                {
                    "level": "ERROR",
                    "template": "bad {path}",
                    "values": {"path": "/compute"},
                    "message": "bad /compute",
                }
            ],
        },
    ),
    "error-503": (
        doc(
            "error",
            "<status>503</status><title>Service unavailable</title><messages>"
            + _ERROR_ENTRY
            + "</messages>",
        ),
        {
            "status": 503,
            "title": "Service unavailable",
            "messages": [
                {"level": "ERROR", "template": "t", "values": {"path": ""}, "message": "m"}
            ],
        },
    ),
}

SCHEMA_OF = {
    "offers-request": "execution-request.yaml",
    "offers-response": "offer-set-response.yaml",
    "execution": "session.yaml",
    "update": "update.yaml",
    "error": "error-response.yaml",
    "session-list": "session-list.yaml",
}
assert set(SCHEMA_OF) == set(ROOTS)


@pytest.mark.parametrize("name", list(VALID))
def test_valid_documents(name: str) -> None:
    data, expected = VALID[name]
    assert list(xml_schema().iter_errors(data)) == []
    root, value = from_xml(data)
    assert value == expected
    validator(SCHEMA_OF[root]).validate(value)


# name: (document, the element named in the error, what happens without the XSD): True: the
# codec decodes it and the JSON Schema refuses the result; False: the codec refuses it too;
# None: a rule of the XML form alone (element order), so the JSON form is valid.
INVALID: dict[str, tuple[bytes, str, bool | None]] = {
    "older spelling of a known kind": (
        doc(
            "offers-request",
            '<executable kind="https://www.purl.org/ivoa.net/EB/schema/types/executable/'
            'jupyter-notebook-1.0"/>',
        ),
        "/eb:offers-request/eb:executable",
        True,
    ),
    "missing kind": (
        doc("offers-request", "<executable><location>https://example.org/</location></executable>"),
        "/eb:offers-request/eb:executable",
        False,
    ),
    "missing required executable": (
        doc("offers-request", f'<compute kind="{COMPUTE}"/>'),
        "/eb:offers-request",
        True,
    ),
    "children out of order": (
        doc("offers-request", f'<compute kind="{COMPUTE}"/><executable kind="{NOTEBOOK}"/>'),
        "/eb:offers-request",
        None,
    ),
    "integer that is not one": (
        doc(
            "offers-request",
            f'<executable kind="{NOTEBOOK}"/><compute kind="{COMPUTE}"><cores><min>two</min>'
            "</cores></compute>",
        ),
        "/eb:offers-request/eb:compute/eb:cores/eb:min",
        False,
    ),
    "cores below the minimum": (
        doc(
            "offers-request",
            f'<executable kind="{NOTEBOOK}"/><compute kind="{COMPUTE}"><cores><min>0</min>'
            "</cores></compute>",
        ),
        "/eb:offers-request/eb:compute/eb:cores/eb:min",
        True,
    ),
    "bad requested start": (
        doc(
            "offers-request",
            f'<executable kind="{NOTEBOOK}"/><schedule><requested><start>PT1H/2026-12-01T09:00:00Z'
            "</start></requested></schedule>",
        ),
        "/eb:offers-request/eb:schedule/eb:requested/eb:start",
        True,
    ),
    "wrong namespace": (
        b'<offers-request xmlns="urn:other"><executable kind="x"/></offers-request>',
        "/{urn:other}offers-request",
        False,
    ),
    "offered session without expires": (
        doc("execution", session(expires=False), f' kind="{SIMPLE}"'),
        "/eb:execution",
        True,
    ),
    "session phase not in the enumeration": (
        doc("execution", session(phase="DONE"), f' kind="{SIMPLE}"'),
        "/eb:execution/eb:phase",
        True,
    ),
    "YES without offers": (
        doc(
            "offers-response",
            f"<meta><uuid>{UUID}</uuid><url>http://x/</url></meta><result>YES</result>",
        ),
        "/eb:offers-response",
        True,
    ),
    "YES with an empty offers list": (
        doc(
            "offers-response",
            f"<meta><uuid>{UUID}</uuid><url>http://x/</url></meta><result>YES</result><offers/>",
        ),
        "/eb:offers-response",
        True,
    ),
    "NO without messages": (
        doc(
            "offers-response",
            f"<meta><uuid>{UUID}</uuid><url>http://x/</url></meta><result>NO</result>",
        ),
        "/eb:offers-response",
        True,
    ),
    "offer set without url": (
        doc(
            "offers-response",
            f"<meta><uuid>{UUID}</uuid><messages><message><message>m</message></message>"
            "</messages></meta><result>NO</result>",
        ),
        "/eb:offers-response/eb:meta",
        True,
    ),
    "unknown update without kind": (
        doc("update", "<path>phase</path>"),
        "/eb:update",
        False,
    ),
    "error status outside 4xx and 5xx": (
        doc("error", f"<status>200</status><title>t</title><messages>{_ERROR_ENTRY}</messages>"),
        "/eb:error/eb:status",
        True,
    ),
    "error status beyond 5xx": (
        doc("error", f"<status>600</status><title>t</title><messages>{_ERROR_ENTRY}</messages>"),
        "/eb:error/eb:status",
        True,
    ),
    "cores beyond xs:long": (
        doc(
            "offers-request",
            f'<executable kind="{NOTEBOOK}"/><compute kind="{COMPUTE}"><cores>'
            "<max>9223372036854775808</max></cores></compute>",
        ),
        "/eb:offers-request/eb:compute/eb:cores/eb:max",
        True,
    ),
    "error without an ERROR message": (
        doc(
            "error",
            "<status>400</status><title>t</title><messages>"
            + _ERROR_ENTRY.replace("ERROR", "WARN")
            + "</messages>",
        ),
        "/eb:error",
        True,
    ),
    "error message without a path value": (
        doc(
            "error",
            "<status>400</status><title>t</title><messages>"
            + _ERROR_ENTRY.replace('<entry name="path"></entry>', "")
            + "</messages>",
        ),
        "/eb:error/eb:messages/eb:message/eb:values",
        True,
    ),
    "map with a repeated key": (
        doc(
            "offers-request",
            f'<executable kind="{DOCKER}"><environment><entry name="A">1</entry>'
            '<entry name="A">2</entry></environment></executable>',
        ),
        "/eb:offers-request/eb:executable/eb:environment",
        False,
    ),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_documents(name: str) -> None:
    data, where, decodable = INVALID[name]
    assert list(xml_schema().iter_errors(data)) != []
    with pytest.raises(XmlInputError) as caught:
        from_xml(data)
    assert caught.value.path.startswith(where), caught.value
    if decodable is None:
        root, value = from_xml(data, validate=False)
        assert validator(SCHEMA_OF[root]).is_valid(value)
    elif decodable:
        root, value = from_xml(data, validate=False)
        assert not validator(SCHEMA_OF[root]).is_valid(value), value
    else:
        with pytest.raises(XmlInputError):
            from_xml(data, validate=False)


# Must-ignore (EXT-01): an element a known type does not declare is open content, valid in the
# XSD and read as a free property, which the reader then names and drops.
IGNORED: dict[str, tuple[bytes, str]] = {
    "kind-specific child of another kind": (
        doc(
            "offers-request",
            f'<executable kind="{NOTEBOOK}"><image><digest>sha256:0</digest></image></executable>',
        ),
        "/executable/image",
    ),
    "update with a property of another kind": (
        doc("update", "<path>phase</path><delta>1</delta><value>ACCEPTED</value>",
            ' kind="uri:enum-value-update"'),
        "/delta",
    ),
}


@pytest.mark.parametrize("name", IGNORED)
def test_undeclared_elements_are_open_content(name: str) -> None:
    from ivoa_eb_spec.unknown import ignored_properties

    data, path = IGNORED[name]
    assert list(xml_schema().iter_errors(data)) == []
    root, value = from_xml(data)
    assert [i.pointer for i in ignored_properties(value, root)] == [path]
