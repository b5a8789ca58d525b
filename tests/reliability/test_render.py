"""Requirement ERR-31 as a property: every document the broker accepts, in any media type,
has every later answer about it (offer set, offers, accept, session, ``/direct``) in all
three media types; a document holding text XML 1.0 cannot carry is refused with 400 naming
its path, in every media type.

The in-process client re-raises any exception that escapes a handler, so a render failure
fails the test with its traceback, besides the status check.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from broker.conftest import accept, clock_from, make_config, request_document
from broker.test_examples import AS_OF
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ivoa_eb_broker.http import create_app
from ivoa_eb_spec.codecs import MediaType, load_document
from starlette.testclient import TestClient

from .corpus import body, structure_mutations, text_mutations, xml_illegal

TYPES = (MediaType.YAML, MediaType.JSON, MediaType.XML)
RENDER = settings(max_examples=40, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("render")
    app = create_app(make_config(folder, offer_count=1, platform={"cores": 4096,
                                                                 "memory": 16384}),
                     clock=clock_from(AS_OF))
    with TestClient(app) as test_client:
        yield test_client


def renders(client: TestClient, url: str) -> dict[str, Any]:
    """GET ``url`` in each media type: 200 and a readable body every time; the YAML one."""
    documents = []
    for media_type in TYPES:
        response = client.get(url, headers={"Accept": str(media_type)})
        assert response.status_code == 200, (media_type, response.text)
        documents.append(load_document(response.content, media_type)[0])
    return documents[0]


def post(client: TestClient, path: str, content: bytes, sent: MediaType,
         answer: MediaType) -> Any:
    return client.post(path, content=content,
                       headers={"Content-Type": str(sent), "Accept": str(answer)})


#: Lone surrogates cannot be written in YAML at all: the escape ``"\uD800"`` is malformed
#: YAML (not a Unicode scalar value), refused by the parser with its line and column.
YAML_SURROGATE = "invalid Unicode character escape"


def refused_for_text(response: Any, answer: MediaType, sent: MediaType) -> None:
    """A 400 in the asked type whose messages name where the text is (or, for a lone
    surrogate escaped in a YAML body, where the parser found it)."""
    assert response.status_code == 400, response.text
    document, _ = load_document(response.content, answer)
    said = [m["message"] for m in document["messages"]]
    assert any("XML 1.0" in text or (sent is MediaType.YAML and YAML_SURROGATE in text)
               for text in said), document


def check(client: TestClient, document: Any, sent: MediaType, answer: MediaType) -> None:
    content = body(document, sent)
    if content is None:
        return
    response = post(client, "/requests", content, sent, answer)
    assert response.status_code < 500, response.text
    event(f"request answered {response.status_code}")
    if xml_illegal(document) and isinstance(document, dict):
        refused_for_text(response, answer, sent)
        refused_for_text(post(client, "/direct", content, sent, answer), answer, sent)
        return
    if response.status_code != 200:
        return
    offerset = renders(client, response.headers["location"])
    for offer in offerset.get("offers", []):
        renders(client, offer["meta"]["url"])
        accepted = client.post(offer["meta"]["url"], content=accept(),
                               headers={"Accept": str(answer)})
        assert accepted.status_code == 200, accepted.text
        renders(client, offer["meta"]["url"])
    direct = post(client, "/direct", content, sent, answer)
    assert direct.status_code < 500, direct.text
    if direct.status_code == 200:
        renders(client, direct.headers["location"])


@RENDER
@given(document=text_mutations(), sent=st.sampled_from(TYPES), answer=st.sampled_from(TYPES))
def test_accepted_text_renders_everywhere(client: TestClient, document: Any, sent: MediaType,
                                          answer: MediaType) -> None:
    check(client, document, sent, answer)


@RENDER
@given(document=structure_mutations(), sent=st.sampled_from(TYPES),
       answer=st.sampled_from(TYPES))
def test_accepted_structure_renders_everywhere(client: TestClient, document: Any,
                                               sent: MediaType, answer: MediaType) -> None:
    check(client, document, sent, answer)


@pytest.mark.parametrize("answer", TYPES, ids=lambda t: t.name)
def test_outcasts_are_refused_with_their_paths(client: TestClient, answer: MediaType) -> None:
    document = request_document()
    document["executable"]["command"] = ["/bin/sh", "-c", "printf '\x1b[31mred'"]
    document["executable"]["environment"] = {"OK\x00": "v", "B": "\ufffe"}
    for sent in (MediaType.JSON, MediaType.YAML):
        content = body(document, sent)
        assert content is not None
        for path in ("/requests", "/direct"):
            response = post(client, path, content, sent, answer)
            assert response.status_code == 400, response.text
            messages = load_document(response.content, answer)[0]["messages"]
            assert [(m["values"]["path"], m["values"]["character"]) for m in messages] == [
                ("/executable/command/2", "U+001B"),
                ("/executable/environment", "U+0000"),
                ("/executable/environment/B", "U+FFFE"),
            ]
