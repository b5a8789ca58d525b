"""Through a real uvicorn server: the spec files, the API page, a whole lifecycle, URLs."""

from __future__ import annotations

import json
import time

import httpx
import yaml
from ivoa_eb_spec import files

from .conftest import accept, as_yaml, request_document


def test_spec_files_are_served_verbatim(http: httpx.Client) -> None:
    for name, media_type in (("openapi.yaml", "application/yaml"),
                             ("openapi.json", "application/json")):
        response = http.get("/" + name)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        path = files() / "bundled" / name
        if path.is_file():
            assert response.text == path.read_text("utf-8")
    spec = json.loads(http.get("/openapi.json").text)
    assert {"/requests", "/direct", "/offersets/{uuid}", "/sessions/{uuid}"} <= set(spec["paths"])


def test_api_pages_work_offline(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/requests" in page.text and "<script" not in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "")
    docs = http.get("/docs")
    assert docs.status_code == 200
    for src in ("docs/static/swagger-ui-bundle.js", "docs/static/swagger-ui.css"):
        if src in docs.text:  # Swagger UI is installed: its files come from here, not a CDN
            assert http.get("/" + src).status_code == 200
    assert "cdn" not in docs.text.lower() and "unpkg" not in docs.text.lower()


def test_lifecycle_over_real_http(http: httpx.Client) -> None:
    response = http.post("/requests", content=as_yaml(request_document()))
    assert response.status_code == 200
    answer = yaml.safe_load(response.text)
    assert response.headers["location"] == answer["meta"]["url"]
    assert answer["meta"]["url"].startswith(str(http.base_url).rstrip("/"))
    url = answer["offers"][0]["meta"]["url"]
    assert http.post(url, content=accept()).status_code == 200
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        phase = yaml.safe_load(http.get(url).text)["phase"]
        if phase in ("COMPLETED", "FAILED"):
            break
        time.sleep(0.05)
    assert phase == "COMPLETED"


def test_public_url_is_used_for_urls(tmp_path) -> None:
    from ivoa_eb_broker.http import create_app
    from starlette.testclient import TestClient

    from .conftest import make_config

    config = make_config(tmp_path, public_url="https://broker.example.org/eb/")
    with TestClient(create_app(config)) as client:
        response = client.post("/requests", content=as_yaml(request_document()))
        answer = yaml.safe_load(response.text)
        assert answer["meta"]["url"].startswith("https://broker.example.org/eb/offersets/")
        assert response.headers["location"] == answer["meta"]["url"]
        assert answer["offers"][0]["meta"]["url"].startswith("https://broker.example.org/eb/sessions/")
