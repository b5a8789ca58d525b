"""A hostile-input corpus over HTTP: every class of attack and accident named in issue 15,
in every media type and at every endpoint that reads a body, and random mutations of the
examples' bytes. No answer is a 5xx, every 4xx is an ErrorResponse naming paths, and no
answer quotes a local file.

The in-process client re-raises any exception that escapes a handler, so an input that
would reach the 500 handler fails with its traceback. Schema-level mutations of the
examples are in ``test_render.py``; unit-level hostile XML in ``tests/xml``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from broker.conftest import EXAMPLES, make_config, request_document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ivoa_eb_broker.http import create_app
from ivoa_eb_spec.codecs import MediaType, dump_document, load_document
from starlette.testclient import TestClient

NS = "http://www.ivoa.net/xml/ExecutionBroker/v1.0"
SECRET = b"root:x:0:0"  # the first line of /etc/passwd: must never come back
TYPES = ("application/yaml", "application/json", "application/xml")


def _laughs(depth: int = 9) -> bytes:
    entities = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(depth)
    )
    return (f'<?xml version="1.0"?><!DOCTYPE r [{entities}]>'
            f'<offers-request xmlns="{NS}"><executable kind="x">&l{depth - 1};'
            "</executable></offers-request>").encode()


def _corpus() -> dict[str, tuple[str, bytes]]:
    """Named bodies and their declared types."""
    valid = request_document()
    cases: dict[str, tuple[str, bytes]] = {
        "xml-xxe-file": ("application/xml", (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<offers-request xmlns="{NS}"><executable kind="x"><meta><name>&x;</name></meta>'
            "</executable></offers-request>").encode()),
        "xml-xinclude": ("application/xml", (
            f'<offers-request xmlns="{NS}" xmlns:xi="http://www.w3.org/2001/XInclude">'
            '<xi:include href="/etc/passwd" parse="text"/></offers-request>').encode()),
        "xml-billion-laughs": ("application/xml", _laughs()),
        "xml-deep": ("application/xml", f'<offers-request xmlns="{NS}">'.encode()
                     + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</offers-request>"),
        "xml-illegal-reference": ("application/xml", (
            f'<offers-request xmlns="{NS}"><executable kind="x"><meta><name>&#x1b;</name>'
            "</meta></executable></offers-request>").encode()),
        "yaml-alias-bomb": ("application/yaml", (
            "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                      for p, c in zip("abcdefgh", "bcdefghi", strict=True))).encode()),
        "yaml-python-tag": ("application/yaml",
                            b"!!python/object/apply:os.system ['cat /etc/passwd']"),
        "yaml-deep": ("application/yaml", b"[" * 100_000 + b"]" * 100_000),
        "yaml-merge-keys": ("application/yaml", b"a: &a {x: 1}\nb: {<<: *a}\n"),
        "yaml-escaped-controls": ("application/yaml",
                                  yaml.safe_dump({**valid, "x": "\x00\x1b"}).encode()),
        "json-deep": ("application/json", b"[" * 100_000 + b"]" * 100_000),
        "json-huge-integer": ("application/json", json.dumps(
            {**valid, "compute": {**valid["compute"], "cores": {"min": 10**400}}}).encode()),
        "json-huge-float": ("application/json", json.dumps(valid).replace(
            '"min": 1', '"min": 1e400', 1).encode()),
        "json-nan": ("application/json", json.dumps(valid).replace(
            '"min": 1', '"min": NaN', 1).encode()),
        "json-digits": ("application/json", b'{"a": ' + b"9" * 100_000 + b"}"),
        "json-lone-surrogate": ("application/json", json.dumps(
            {**valid, "executable": {**valid["executable"], "meta": {"name": "\ud800"}}}
        ).encode()),
        "json-nul-key": ("application/json", json.dumps(
            {**valid, "executable": {**valid["executable"], "environment": {"\x00": "v"}}}
        ).encode()),
        "json-duplicate-keys": ("application/json", b'{"executable": 1, "executable": 2}'),
        "json-many-keys": ("application/json", json.dumps(
            {f"k{i}": i for i in range(50_000)}).encode()),
        "utf16-with-bom": ("application/json", json.dumps(valid).encode("utf-16")),
        "latin1-bytes": ("application/yaml", "name: caf\xe9\n".encode("latin-1")),
        "overlong-utf8": ("application/json", b'{"a": "\xc0\xaf"}'),
        "cesu-surrogate": ("application/json", b'{"a": "\xed\xa0\x80"}'),
        "nul-bytes": ("application/yaml", b"\x00" * 1000),
        "empty": ("application/yaml", b""),
        "charset-bogus": ("application/json; charset=ebcdic", json.dumps(valid).encode()),
    }
    return cases


CORPUS = _corpus()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("hostile")
    with TestClient(create_app(make_config(folder, offer_count=1))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def offer(client: TestClient) -> str:
    answer = client.post("/requests", content=yaml.safe_dump(request_document()))
    return str(yaml.safe_load(answer.text)["offers"][0]["meta"]["url"])


def check(response: object, accept: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    content: bytes = response.content  # type: ignore[attr-defined]
    assert status < 500, content[:300]
    assert SECRET not in content
    if status >= 400:
        media = MediaType.XML if accept.endswith("xml") else (
            MediaType.JSON if accept.endswith("json") else MediaType.YAML)
        document, _ = load_document(content, media)
        assert document["status"] == status
        assert all("path" in m["values"] for m in document["messages"]), document


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("accept", TYPES)
def test_corpus(client: TestClient, offer: str, name: str, accept: str) -> None:
    content_type, body = CORPUS[name]
    headers = {"Content-Type": content_type, "Accept": accept}
    for path in ("/requests", "/direct", offer):
        check(client.post(path, content=body, headers=headers), accept)


def _forms() -> list[tuple[str, bytes]]:
    """Every example in each of its three forms."""
    forms = []
    for entry in yaml.safe_load((EXAMPLES / "examples.yaml").read_text())["examples"]:
        document = yaml.safe_load((EXAMPLES / entry["file"]).read_text())
        forms.append(("application/yaml", dump_document(document, MediaType.YAML)))
        forms.append(("application/json", json.dumps(document).encode()))
        forms.append(("application/xml",
                      dump_document(document, MediaType.XML, "offers-request")))
    return forms


FORMS = _forms()
EDITS = st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete"]),
                           st.floats(0, 1, exclude_max=True), st.binary(min_size=1, max_size=4)),
                 min_size=1, max_size=6)


def mutate_bytes(body: bytes, edits: list[tuple[str, float, bytes]]) -> bytes:
    data = bytearray(body)
    for action, where, value in edits:
        at = int(where * len(data)) if data else 0
        if action == "flip" and data:
            data[at] ^= value[0] or 1
        elif action == "insert":
            data[at:at] = value
        elif data:
            del data[at:at + len(value)]
    return bytes(data)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(form=st.sampled_from(FORMS), edits=EDITS, accept=st.sampled_from(TYPES))
def test_mutated_example_bytes(client: TestClient, form: tuple[str, bytes],
                               edits: list[tuple[str, float, bytes]], accept: str) -> None:
    content_type, body = form
    response = client.post("/requests", content=mutate_bytes(body, edits),
                           headers={"Content-Type": content_type, "Accept": accept})
    check(response, accept)
