"""End to end: the reference broker (HTTP app, scheduler, database) with the Docker-API
platform. A client asks for offers, accepts one, and finds its result in the storage; a
failing container shows as a FAILED session with its exit code."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from docker_support import SQRT2, document, remove_leftovers, session_containers, settings
from ivoa_eb_broker.config import load
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.platforms.docker_api import DockerApiPlatform
from starlette.testclient import TestClient

pytestmark = pytest.mark.engine
ACCEPT = {"kind": "uri:enum-value-update", "path": "phase", "value": "ACCEPTED"}


def as_yaml(value: Any) -> bytes:
    return yaml.safe_dump(value, sort_keys=False).encode()


def session(client: TestClient, uuid: str) -> dict[str, Any]:
    response = client.get(f"/sessions/{uuid}")
    assert response.status_code == 200, response.text
    return yaml.safe_load(response.text)


def wait_phase(client: TestClient, uuid: str, phases: set[str], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    current = session(client, uuid)
    while current["phase"] not in phases:
        if time.monotonic() > deadline:
            raise AssertionError(f"session stayed {current['phase']}: {current['meta']}")
        time.sleep(0.1)
        current = session(client, uuid)
    return current


def accept_first_offer(client: TestClient, request: dict[str, Any]) -> str:
    response = client.post("/requests", content=as_yaml(request))
    assert response.status_code == 200, response.text
    answer = yaml.safe_load(response.text)
    assert answer["result"] == "YES", answer
    uuid = answer["offers"][0]["meta"]["uuid"]
    response = client.post(f"/sessions/{uuid}", content=as_yaml(ACCEPT))
    assert response.status_code == 200, response.text
    return uuid


@pytest.fixture(autouse=True)
def no_leftovers(work: Path) -> Iterator[None]:
    """Remove the containers of every session the broker made here, even after a failure."""
    yield
    remove_leftovers([folder.name for folder in work.iterdir()])


def broker(platform: DockerApiPlatform, tmp_path: Path) -> TestClient:
    config = replace(load(None, database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}"),
                     scheduler_interval=0.1)
    return TestClient(create_app(config, platform=platform))


def test_request_accept_run_and_read_the_square_root(engine: None, work: Path,
                                                      tmp_path: Path) -> None:
    platform = DockerApiPlatform(settings(work, keep_storage=True))
    request = document(["sh", "-c", f"{SQRT2} > /results/out.txt"])
    request["schedule"] = {"requested": {"duration": "PT2M"}}
    with broker(platform, tmp_path) as client:
        uuid = accept_first_offer(client, request)
        done = wait_phase(client, uuid, {"COMPLETED", "FAILED", "CANCELLED"}, timeout=30)
        assert done["phase"] == "COMPLETED", done["meta"].get("messages")
        texts = [m["message"] for m in done["meta"]["messages"]]
        assert any("docker:" in t for t in texts), texts
    result = platform.storage_dir(uuid, "results") / "out.txt"
    assert float(result.read_text()) == pytest.approx(2 ** 0.5, rel=1e-9)
    assert session_containers(uuid, sparse=True) == []  # released: the container is gone


def test_a_failing_container_fails_the_session_with_its_exit_code(
        engine: None, work: Path, tmp_path: Path) -> None:
    platform = DockerApiPlatform(settings(work))
    request = document(["sh", "-c", "echo no input found >&2; exit 3"])
    request["schedule"] = {"requested": {"duration": "PT2M"}}
    with broker(platform, tmp_path) as client:
        uuid = accept_first_offer(client, request)
        done = wait_phase(client, uuid, {"COMPLETED", "FAILED", "CANCELLED"}, timeout=30)
        assert done["phase"] == "FAILED"
        texts = " ".join(m["message"] for m in done["meta"]["messages"])
        assert "exit code 3" in texts and "no input found" in texts
        deadline = time.monotonic() + 10
        while (session_containers(uuid, sparse=True) or platform.session_dir(uuid).exists()) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
    assert session_containers(uuid, sparse=True) == []
    assert not platform.session_dir(uuid).exists()


def test_a_client_cancel_stops_and_removes_the_container(
        engine: None, work: Path, tmp_path: Path) -> None:
    platform = DockerApiPlatform(settings(work))
    request = document(["sleep", "60"])
    request["schedule"] = {"requested": {"duration": "PT2M"}}
    with broker(platform, tmp_path) as client:
        uuid = accept_first_offer(client, request)
        wait_phase(client, uuid, {"RUNNING"}, timeout=30)
        deadline = time.monotonic() + 10
        while [c.status for c in session_containers(uuid, sparse=True)] != ["running"] \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [c.status for c in session_containers(uuid, sparse=True)] == ["running"]
        cancel = {**ACCEPT, "value": "CANCELLED"}
        response = client.post(f"/sessions/{uuid}", content=as_yaml(cancel))
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + 15
        while (session_containers(uuid, sparse=True) or platform.session_dir(uuid).exists()) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session(client, uuid)["phase"] == "CANCELLED"
    assert session_containers(uuid, sparse=True) == []
    assert not platform.session_dir(uuid).exists()


def test_the_broker_answers_no_for_a_notebook(engine: None, work: Path,
                                              tmp_path: Path) -> None:
    platform = DockerApiPlatform(settings(work))
    request = document(None)
    request["executable"] = {"kind": "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/"
                                     "v1.0/kinds/executable/jupyter-notebook.yaml",
                             "location": "https://example.org/notebook.ipynb"}
    with broker(platform, tmp_path) as client:
        response = client.post("/requests", content=as_yaml(request))
        assert response.status_code == 200, response.text
        answer = yaml.safe_load(response.text)
    assert answer["result"] == "NO"
    assert answer.get("offers", []) == []
    assert any("jupyter-notebook" in m["message"] or "notebook" in m["message"]
               for m in answer["meta"]["messages"]), answer["meta"]["messages"]
