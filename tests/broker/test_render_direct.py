"""The broker's usual answers are written by the YAML codec's direct writer (not a vacuous
speed-up), and read back as what was meant; ``tests/spec/test_yaml_fast_path.py`` holds the
direct writer byte-identical to PyYAML."""

from __future__ import annotations

import yaml
from ivoa_eb_spec.codecs import yaml_codec
from starlette.testclient import TestClient

from .conftest import accept, as_yaml, request_document


def test_offers_and_sessions_are_written_directly(client: TestClient) -> None:
    answer = client.post("/requests", content=as_yaml(request_document()))
    assert answer.status_code == 200
    offers = yaml.safe_load(answer.text)
    assert offers["result"] == "YES"
    assert yaml_codec._write_direct(offers) == answer.content
    session = client.post(f"/sessions/{offers['offers'][0]['meta']['uuid']}", content=accept())
    assert session.status_code == 200
    document = yaml.safe_load(session.text)
    assert document["phase"] in {"ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING"}
    assert yaml_codec._write_direct(document) == session.content
