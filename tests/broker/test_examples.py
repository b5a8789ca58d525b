"""Every example request, posted over real HTTP in YAML, JSON and XML; every answer valid.

The broker's clock is set to the catalogue's ``as_of`` (the examples ask for starts in 2030),
moving on with real time from there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from ivoa_eb_broker.http import create_app
from ivoa_eb_spec.codecs import MediaType, dump_document, load_document
from ivoa_eb_spec.iso8601 import parse_instant
from ivoa_eb_spec.registry import validator

from .conftest import EXAMPLES, ThreadServer, clock_from, make_config

CATALOGUE = yaml.safe_load((EXAMPLES / "examples.yaml").read_text())
AS_OF = parse_instant(CATALOGUE["as_of"])
CASES = [(entry["id"], entry) for entry in CATALOGUE["examples"]]

try:
    from ivoa_eb_spec import xmlcodec  # noqa: F401

    XML_REASON = ""
except ImportError:
    XML_REASON = "ivoa_eb_spec.xmlcodec is not there yet"

FORMATS = [
    pytest.param(MediaType.YAML, id="yaml"),
    pytest.param(MediaType.JSON, id="json"),
    pytest.param(MediaType.XML, id="xml",
                 marks=pytest.mark.skipif(bool(XML_REASON), reason=XML_REASON or "-")),
]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("examples")
    app = create_app(make_config(folder), clock=clock_from(AS_OF))
    with ThreadServer(app) as running:
        yield running.url


def encode(document: dict[str, Any], media_type: MediaType, root: str) -> bytes:
    if media_type is MediaType.JSON:
        return json.dumps(document).encode()
    return dump_document(document, media_type, root)


def check_xsd(body: bytes) -> None:
    try:
        from ivoa_eb_spec.xmlschema_gen import xml_schema
    except ImportError:
        return
    xml_schema().validate(body)


@pytest.mark.parametrize("media_type", FORMATS)
@pytest.mark.parametrize(("name", "entry"), CASES, ids=[c[0] for c in CASES])
def test_example(url: str, name: str, entry: dict[str, Any], media_type: MediaType) -> None:
    document = yaml.safe_load((EXAMPLES / entry["file"]).read_text())
    body = encode(document, media_type, "offers-request")
    headers = {"Content-Type": str(media_type), "Accept": str(media_type)}
    response = httpx.post(url + entry["endpoint"], content=body, headers=headers, timeout=30)
    assert response.headers["content-type"].startswith(str(media_type))
    answer, _ = load_document(response.content, media_type)
    if media_type is MediaType.XML:
        check_xsd(response.content)
    if entry["endpoint"] == "/direct":
        if entry["expect"] == "YES":
            assert response.status_code == 200, response.text
            assert not list(validator("session.yaml").iter_errors(answer))
        else:
            assert response.status_code == 400, response.text
            assert not list(validator("error-response.yaml").iter_errors(answer))
        return
    assert response.status_code == 200, response.text
    errors = [e.message for e in validator("offer-set-response.yaml").iter_errors(answer)]
    assert not errors, errors
    assert answer["result"] == entry["expect"], answer.get("meta", {}).get("messages")
    assert response.headers["location"] == answer["meta"]["url"]
    assert answer["meta"]["url"].startswith("http://127.0.0.1:")
    if answer["result"] == "NO":
        assert any(m["level"] == "ERROR" for m in answer["meta"]["messages"])
        return
    for offer in answer["offers"]:
        assert offer["phase"] == "OFFERED"
        assert offer["meta"]["url"].startswith("http://127.0.0.1:")
        assert parse_instant(offer["expires"]) > AS_OF
        starts = [parse_instant(offer["schedule"][step]["start"].split("/")[0])
                  for step in ("preparing", "available", "releasing")]
        assert all(s.year >= 2030 for s in starts), starts
        assert starts[0] <= starts[1] < starts[2]
        assert offer["meta"]["options"] == [
            {"kind": "uri:enum-value-option", "path": "/phase", "values": ["ACCEPTED", "REJECTED"]}
        ]
        # Each offer meets the request's minimums and stays within its maximums.
        compute = document.get("compute", {})
        for field in ("cores", "memory"):
            low = compute.get(field, {}).get("min", 1)
            high = compute.get(field, {}).get("max")
            offered = offer["compute"][field]["min"]
            assert offered >= low and (high is None or offered <= high)
        for asked, given in zip(document.get("storage", []), offer.get("storage", []),
                                strict=True):
            low = asked.get("size", {}).get("min", 0)
            high = asked.get("size", {}).get("max")
            size = given["size"]["min"]
            assert size >= low and (high is None or size <= high)
            assert given["meta"] == asked["meta"]
    # The offer set reads back the same.
    again = httpx.get(answer["meta"]["url"], headers={"Accept": str(media_type)}, timeout=30)
    assert again.status_code == 200
    assert load_document(again.content, media_type)[0]["meta"]["uuid"] == answer["meta"]["uuid"]
    # Reject every offer (in the same format), so the holds do not crowd the next example.
    update = {"kind": "uri:enum-value-update", "path": "phase", "value": "REJECTED"}
    for offer in answer["offers"]:
        rejected = httpx.post(offer["meta"]["url"], content=encode(update, media_type, "update"),
                              headers=headers, timeout=30)
        assert rejected.status_code == 200, rejected.text
        session, _ = load_document(rejected.content, media_type)
        assert session["phase"] == "REJECTED"
        assert not list(validator("session.yaml").iter_errors(session))
