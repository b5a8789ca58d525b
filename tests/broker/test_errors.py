"""Errors: every 4xx is an ErrorResponse in the negotiated type, naming the offending path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ivoa_eb_broker.http import create_app
from ivoa_eb_spec.registry import validator
from starlette.testclient import TestClient

from .conftest import DOCKER, as_yaml, make_config, request_document

ALIAS = "https://www.purl.org/ivoa.net/EB/schema/types/executable/docker-container-1.0"
COMPUTE_ALIAS = "https://www.purl.org/ivoa.net/EB/schema/v1.0/types/computer/simple-compute-resource-1.0"


@pytest.fixture
def small(tmp_path: Path) -> Iterator[TestClient]:
    """A broker with a 2000-byte body limit."""
    with TestClient(create_app(make_config(tmp_path, body_limit=2000))) as client:
        yield client


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    kind = response.headers["content-type"]
    document = json.loads(response.text) if "json" in kind else yaml.safe_load(response.text)
    problems = [e.message for e in validator("error-response.yaml").iter_errors(document)]
    assert not problems, problems
    assert document["status"] == status
    return document


def paths(document: dict[str, Any]) -> list[str]:
    return [m["values"]["path"] for m in document["messages"]]


def test_unknown_uuid_is_404(client: TestClient) -> None:
    for url in ("/sessions/8d3c0f4e-1111-4222-8333-944455556666",
                "/offersets/8d3c0f4e-1111-4222-8333-944455556666",
                "/sessions/not-a-uuid", "/offersets/%00"):
        assert paths(error_of(client.get(url), 404)) == [""]


def test_unknown_route_and_method_are_error_responses(client: TestClient) -> None:
    error_of(client.get("/nowhere"), 404)
    error_of(client.delete("/requests"), 405)


def test_accept_negotiation(client: TestClient) -> None:
    body = as_yaml(request_document())
    cases = {
        None: "application/yaml",
        "*/*": "application/yaml",
        "application/json": "application/json",
        "application/json;q=0.9, application/yaml;q=0.5": "application/json",
        "application/json;q=0.5, application/yaml;q=0.5": "application/yaml",
        "application/*;q=0.2, application/yaml;q=0": "application/json",
        "text/html, application/json;q=0.1": "application/json",
        "text/yaml": "text/yaml",
    }
    for accept, expected in cases.items():
        headers = {"Accept": accept} if accept else {}
        response = client.post("/requests", content=body, headers=headers)
        assert response.status_code == 200, (accept, response.text)
        assert response.headers["content-type"].split(";")[0] == expected, accept


def test_nothing_acceptable_is_406(client: TestClient) -> None:
    for accept in ("text/html", "application/json;q=0, application/yaml;q=0, application/xml;q=0"
                   ", text/yaml;q=0, text/xml;q=0, application/x-yaml;q=0"):
        response = client.post("/requests", content=as_yaml(request_document()),
                               headers={"Accept": accept})
        assert paths(error_of(response, 406)) == [""]
    assert client.get("/sessions/x", headers={"Accept": "image/png"}).status_code == 406


def test_unsupported_content_type_is_415(client: TestClient) -> None:
    for content_type in ("text/plain", "application/octet-stream",
                         "application/json; charset=latin-1"):
        response = client.post("/requests", content=b"{}",
                               headers={"Content-Type": content_type})
        assert paths(error_of(response, 415)) == [""]


def test_body_types_are_read_by_content_type(client: TestClient) -> None:
    document = request_document()
    for content_type, body in (
        ("application/json", json.dumps(document).encode()),
        ("application/json; charset=utf-8", json.dumps(document).encode()),
        ("application/x-yaml", as_yaml(document)),
        ("text/yaml", as_yaml(document)),
        (None, as_yaml(document)),
    ):
        headers = {"Content-Type": content_type} if content_type else {}
        response = client.post("/requests", content=body, headers=headers)
        assert response.status_code == 200, (content_type, response.text)


def test_body_limit_is_413_declared_or_streamed(small: TestClient) -> None:
    big = as_yaml(request_document(extra_padding=None) | {"x": "y" * 5000})
    assert paths(error_of(small.post("/requests", content=big), 413)) == [""]

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"# padding comment line that never ends\n" * 10

    error_of(small.post("/requests", content=chunks()), 413)
    # Just under the limit is read (and then judged on its content).
    assert small.post("/requests", content=as_yaml(request_document())).status_code == 200


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["compute"]["cores"].update(min="four"), "/compute/cores/min"),
        (lambda d: d["compute"]["cores"].update(min=-1), "/compute/cores/min"),
        (lambda d: d["executable"].update(colour="red", privileged="yes"),
         "/executable/privileged"),
        (lambda d: d.pop("executable"), ""),
        (lambda d: d.update(schedule={"requested": {"start": "PT1H/2030-06-01T10:00:00Z"}}),
         "/schedule/requested/start"),
        (lambda d: d.update(schedule={"requested": {"start": "2030-06-01T10:00:00"}}),
         "/schedule/requested/start"),
        (lambda d: d.update(schedule={"requested": {"duration": "P1M"}}),
         "/schedule/requested/duration"),
        (lambda d: d["compute"].update(volumes=[{
            "kind": "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
                    "volume/simple-volume-mount.yaml",
            "path": "/data", "mode": "READONLY", "resource": "nothing"}]),
         "/compute/volumes/0/resource"),
    ],
    ids=["wrong-type", "negative", "wrong-type-beside-unknown", "no-executable", "duration-end",
         "no-zone", "months", "dangling-volume"],
)
def test_invalid_requests_are_400_naming_the_path(client: TestClient, change: Any,
                                                  path: str) -> None:
    document = request_document()
    change(document)
    response = client.post("/requests", content=as_yaml(document))
    found = paths(error_of(response, 400))
    assert path in found, found


def test_an_unknown_field_is_ignored_with_a_warning(client: TestClient) -> None:
    # Must-ignore (EXT-01, EXT-02): 200, and a WARN naming the path and the likely field.
    document = request_document()
    document["executable"]["comand"] = ["echo", "hi"]
    response = client.post("/requests", content=as_yaml(document))
    assert response.status_code == 200, response.text
    warned = [m for m in yaml.safe_load(response.content)["meta"]["messages"]
              if m["level"] == "WARN"]
    assert [(m["values"]["path"], m["message"]) for m in warned] == [
        ("/executable/comand", "`comand` ignored; did you mean `command`?")
    ]


def test_duplicate_names_are_400(client: TestClient) -> None:
    storage = {
        "kind": "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
                "storage/simple-storage-resource.yaml",
        "meta": {"name": "scratch"},
        "size": {"min": 1},
    }
    document = request_document(storage=[storage, storage])
    found = paths(error_of(client.post("/requests", content=as_yaml(document)), 400))
    assert found == ["/storage/1/meta/name"]


def test_unknown_kind_is_no_naming_the_kind(client: TestClient) -> None:
    document = request_document()
    document["executable"] = {"kind": "https://example.org/kinds/quantum-job", "qubits": 5}
    response = client.post("/requests", content=as_yaml(document))
    assert response.status_code == 200
    answer = yaml.safe_load(response.text)
    assert answer["result"] == "NO" and "offers" not in answer
    message = answer["meta"]["messages"][0]
    assert message["values"]["path"] == "/executable/kind"
    assert "https://example.org/kinds/quantum-job" in message["message"]


def test_alias_kinds_are_mapped_with_warnings(client: TestClient) -> None:
    document = request_document()
    document["executable"]["kind"] = ALIAS
    document["compute"]["kind"] = COMPUTE_ALIAS
    response = client.post("/requests", content=as_yaml(document))
    assert response.status_code == 200, response.text
    answer = yaml.safe_load(response.text)
    assert answer["result"] == "YES"
    offer = answer["offers"][0]
    assert offer["executable"]["kind"] == DOCKER
    warnings = {m["values"]["path"]: m for m in answer["meta"]["messages"] if m["level"] == "WARN"}
    assert set(warnings) == {"/executable/kind", "/compute/kind"}
    assert ALIAS in warnings["/executable/kind"]["message"]
    assert any(m["level"] == "WARN" for m in offer["meta"]["messages"])


HOSTILE = {
    "xml-entity-expansion": (
        "application/xml",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<offers-request xmlns="http://www.ivoa.net/xml/ExecutionBroker/v1.0">&lol3;'
        b"</offers-request>",
    ),
    "xml-external-entity": (
        "application/xml",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<offers-request xmlns="http://www.ivoa.net/xml/ExecutionBroker/v1.0">&x;'
        b"</offers-request>",
    ),
    "yaml-alias-bomb": (
        "application/yaml",
        b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
        b"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e]\n",
    ),
    "yaml-python-tag": ("application/yaml", b"!!python/object/apply:os.system ['true']\n"),
    "json-deep": ("application/json", b"[" * 100000 + b"]" * 100000),
    "yaml-deep": ("application/yaml", b"[" * 100000 + b"]" * 100000),
    "json-huge-exponent": ("application/json", b'{"executable": 1e999999}'),
    "json-nan": ("application/json", b'{"executable": NaN}'),
    "json-duplicate-keys": ("application/json", b'{"executable": {}, "executable": {}}'),
    "not-utf8": ("application/json", b'{"executable": "\xff\xfe"}'),
    "yaml-list": ("application/yaml", b"- 1\n- 2\n"),
    "yaml-scalar": ("application/yaml", b"42\n"),
    "empty": ("application/yaml", b""),
    "json-null": ("application/json", b"null"),
    "wrong-types": ("application/json", b'{"executable": {"kind": 5}, "compute": []}'),
    "binary": ("application/yaml", bytes(range(256))),
    "yaml-nul-byte": ("application/yaml", b"\x00"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_get_4xx_never_5xx(client: TestClient, name: str) -> None:
    content_type, body = HOSTILE[name]
    for endpoint in ("/requests", "/direct"):
        response = client.post(endpoint, content=body, headers={"Content-Type": content_type})
        assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
        error_of(response, response.status_code)


def test_huge_numbers_are_rejected_with_their_path_not_crashed(client: TestClient) -> None:
    """Integers beyond xs:long are malformed under the schemas: a 400 naming the field."""
    document = request_document()
    document["compute"]["cores"] = {"min": 10**400}
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/json"}
    for endpoint in ("/requests", "/direct"):
        response = client.post(endpoint, content=body, headers=headers)
        assert paths(error_of(response, 400)) == ["/compute/cores/min"], endpoint


def test_an_unexpected_error_is_a_generic_500(tmp_path: Path) -> None:
    """The last-resort handler exists and says nothing about internals."""
    app = create_app(make_config(tmp_path))

    async def broken(*_: Any) -> str:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.broker.offer = broken  # what POST /requests calls
        response = client.post("/requests", content=as_yaml(request_document()))
        assert response.status_code == 500
        assert "secret" not in response.text
        document = yaml.safe_load(response.text)
        assert document["status"] == 500 and document["messages"][0]["values"]["path"] == ""


def test_errors_come_in_the_negotiated_type(client: TestClient) -> None:
    from ivoa_eb_spec.codecs import MediaType, load_document

    url = "/sessions/8d3c0f4e-1111-4222-8333-944455556666"
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.text)["status"] == 404
    response = client.get(url, headers={"Accept": "application/xml"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/xml")
    document, root = load_document(response.content, MediaType.XML)
    assert root == "error" and document["status"] == 404
    try:
        from ivoa_eb_spec.xmlschema_gen import xml_schema
    except ImportError:
        return
    xml_schema().validate(response.content)
