"""The upstream prototype's published requests (re-expressed, see data/README.md), posted over
real HTTP in the media type each was written in: every one answered 200, YES or NO, with a WARN
message for every older form it uses and every property the must-ignore rule drops."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from broker.conftest import ThreadServer, make_config, request_document
from ivoa_eb_broker.http import create_app
from ivoa_eb_spec.registry import validator

DATA = Path(__file__).parent / "data"
MANIFEST = yaml.safe_load((DATA / "manifest.yaml").read_text())["documents"]
REQUESTS = sorted(n for n, e in MANIFEST.items() if e["body"] == "request")
UPDATES = sorted(n for n, e in MANIFEST.items() if e["body"] == "update")


def media_type(name: str) -> str:
    return "application/json" if name.endswith(".json") else "application/yaml"


def read(body: bytes, kind: str) -> Any:
    return json.loads(body) if kind.startswith("application/json") else yaml.safe_load(body)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = make_config(tmp_path_factory.mktemp("interop"), {"storage": 100_000_000})
    with ThreadServer(create_app(config)) as running:
        yield running.url


def kinds(node: Any) -> Iterator[str]:
    """Every ``kind`` value in a document."""
    if isinstance(node, dict):
        if isinstance(node.get("kind"), str):
            yield node["kind"]
        for value in node.values():
            yield from kinds(value)
    elif isinstance(node, list):
        for value in node:
            yield from kinds(value)


def warns(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [m["values"] for m in messages if m["level"] == "WARN"]


def test_every_data_file_is_in_the_manifest() -> None:
    files = {p.name for p in DATA.iterdir() if p.suffix in (".yaml", ".json")}
    assert files - {"manifest.yaml"} == set(MANIFEST)


@pytest.mark.parametrize("name", REQUESTS)
def test_prototype_request(url: str, name: str) -> None:
    expected = MANIFEST[name]
    kind = media_type(name)
    response = httpx.post(url + "/requests", content=(DATA / name).read_bytes(),
                          headers={"Content-Type": kind, "Accept": kind}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(kind)
    answer = read(response.content, kind)
    assert not [e.message for e in validator("offer-set-response.yaml").iter_errors(answer)]
    assert answer["result"] in ("YES", "NO")
    found = warns(answer["meta"]["messages"])
    forms = sorted((v["form"], v["path"]) for v in found if "form" in v)
    assert forms == sorted(tuple(f) for f in expected["forms"])
    ignored = sorted(v["path"] for v in found if "name" in v and "form" not in v)
    assert ignored == sorted(expected["ignored"])
    # Every kind in the answer is canonical (the aliases were mapped, decision 15).
    assert not [k for k in kinds(answer) if "/EB/schema/" in k]
    if answer["result"] == "YES":
        for offer in answer["offers"]:
            reject = {"kind": "uri:enum-value-update", "path": "phase", "value": "REJECTED"}
            httpx.post(offer["meta"]["url"], content=yaml.safe_dump(reject).encode(),
                       headers={"Content-Type": "application/yaml"}, timeout=60)


@pytest.mark.parametrize("name", UPDATES)
def test_prototype_update(url: str, name: str) -> None:
    offered = httpx.post(url + "/requests", content=yaml.safe_dump(request_document()).encode(),
                         headers={"Content-Type": "application/yaml"}, timeout=60)
    assert offered.status_code == 200, offered.text
    offer = yaml.safe_load(offered.content)["offers"][0]
    kind = media_type(name)
    response = httpx.post(offer["meta"]["url"], content=(DATA / name).read_bytes(),
                          headers={"Content-Type": kind, "Accept": kind}, timeout=60)
    assert response.status_code == 200, response.text
    session = read(response.content, kind)
    sent = read((DATA / name).read_bytes(), kind)
    sent = sent.get("update", sent)
    assert session["phase"] in (sent["value"], "WAITING", "PREPARING", "AVAILABLE", "RUNNING",
                                "RELEASING", "COMPLETED")
    if sent["value"] == "REJECTED":
        assert session["phase"] == "REJECTED"
    found = warns(session["meta"].get("messages", []))
    forms = sorted((v["form"], v["path"]) for v in found if "form" in v)
    assert forms == sorted(tuple(f) for f in MANIFEST[name]["forms"])
    assert any(v.get("wrapper") == "update" for v in found) == bool(
        MANIFEST[name].get("wrapped-update"))
