"""Fuzzing the endpoints: no client input reaches the 500 handler.

The in-process client re-raises any exception that escapes a handler, so an input that
would have produced a 500 fails the test with its traceback, besides the status check.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ivoa_eb_broker.http import create_app
from starlette.testclient import TestClient

from .conftest import make_config, request_document

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["kind", "meta", "name", "min", "max", "cores", "memory", "path",
                        "value", "start", "duration", "volumes", "resource", "size", "data",
                        "location", "update", "image", "locations", "environment", "phase"])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with TestClient(create_app(make_config(folder, offer_count=1))) as test_client:
        yield test_client


def leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))


def mutate(document: Any, path: tuple[Any, ...], value: Any, key: str | None) -> Any:
    if not path:
        return value
    target = document
    for step in path[:-1]:
        target = target[step]
    if key is not None and isinstance(target, dict):
        target[key] = value
    else:
        target[path[-1]] = value
    return document


@st.composite
def mutated_requests(draw: st.DrawFn) -> Any:
    document = request_document()
    document["schedule"] = {"requested": {"start": "2030-06-01T09:00:00Z/PT3H",
                                          "duration": "PT1H"}}
    for _ in range(draw(st.integers(1, 3))):
        places = list(leaves(document))
        path = draw(st.sampled_from(places))
        key = draw(st.none() | KEYS)
        document = mutate(copy.deepcopy(document), path, draw(JSON), key)
    return document


def check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        document = yaml.safe_load(response.text)
        assert document["status"] == response.status_code
        assert all("path" in m["values"] for m in document["messages"])


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(document=mutated_requests(), as_json=st.booleans())
def test_mutated_requests(client: TestClient, document: Any, as_json: bool) -> None:
    if as_json:
        body = json.dumps(document).encode()
        headers = {"Content-Type": "application/json"}
    else:
        body = yaml.safe_dump(document).encode()
        headers = {}
    for endpoint in ("/requests", "/direct"):
        check(client.post(endpoint, content=body, headers=headers))


@FUZZ
@given(update=JSON | st.fixed_dictionaries(
    {"kind": st.sampled_from(["uri:enum-value-update", "uri:string-value-update",
                              "uri:integer-value-update", "x"]) | st.text(max_size=5),
     "path": st.sampled_from(["phase", "/phase", "state", "/x", ""]) | st.text(max_size=5),
     "value": JSON}))
def test_random_updates(client: TestClient, update: Any) -> None:
    answer = yaml.safe_load(client.post("/requests",
                                        content=yaml.safe_dump(request_document())).text)
    uuid = answer["offers"][0]["meta"]["uuid"]
    check(client.post(f"/sessions/{uuid}", content=json.dumps(update).encode(),
                      headers={"Content-Type": "application/json"}))


@FUZZ
@given(body=st.binary(max_size=300), content_type=st.sampled_from(
    ["application/json", "application/yaml", "text/yaml", "", "application/x-yaml"]),
    accept=st.text(max_size=40))
def test_random_bytes_and_headers(client: TestClient, body: bytes, content_type: str,
                                  accept: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    if accept.isascii() and accept.isprintable():
        headers["Accept"] = accept
    response = client.post("/requests", content=body, headers=headers)
    assert response.status_code < 500, response.text
