"""Crash and restart: kill -9 a broker subprocess mid-lifecycle, start it again on the same
SQLite file; nothing is lost and the scheduler finishes the session."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
import yaml

from .conftest import Subprocess, accept, as_yaml, free_port, request_document, write_config

pytestmark = pytest.mark.slow


def phase(url: str) -> str:
    return yaml.safe_load(httpx.get(url, timeout=10).text)["phase"]


def wait(url: str, phases: set[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = phase(url)
        if current in phases:
            return current
        time.sleep(0.05)
    raise AssertionError(f"{url} stayed {current}")


def test_kill_9_mid_run_then_restart_completes(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path / "broker.toml", tmp_path / "broker.sqlite", port,
                          running=3.0, preparing=0.0, releasing=0.0)
    broker = Subprocess(config, port)
    broker.start()
    try:
        answer = yaml.safe_load(
            httpx.post(broker.url + "/requests", content=as_yaml(request_document()),
                       timeout=10).text
        )
        offerset = answer["meta"]["url"]
        running, offered, *rest = answer["offers"]
        running_url = running["meta"]["url"]
        # A second request whose offers stay OFFERED across the crash.
        other = yaml.safe_load(
            httpx.post(broker.url + "/requests", content=as_yaml(request_document()),
                       timeout=10).text
        )
        assert httpx.post(running_url, content=accept(), timeout=10).status_code == 200
        wait(running_url, {"RUNNING"})
        before = httpx.get(offerset, timeout=10).text
        broker.kill()
        with pytest.raises(httpx.TransportError):
            httpx.get(running_url, timeout=1)

        broker.start()
        # Everything is still there, unchanged apart from what the scheduler moves on.
        after = yaml.safe_load(httpx.get(offerset, timeout=10).text)
        assert after["meta"]["uuid"] == yaml.safe_load(before)["meta"]["uuid"]
        assert [o["meta"]["uuid"] for o in after["offers"]] == [
            o["meta"]["uuid"] for o in answer["offers"]
        ]
        assert phase(offered["meta"]["url"]) == "REJECTED"
        for offer in other["offers"]:
            assert phase(offer["meta"]["url"]) == "OFFERED"
        assert wait(running_url, {"COMPLETED", "FAILED"}) == "COMPLETED"
        document = yaml.safe_load(httpx.get(running_url, timeout=10).text)
        texts = [m["message"] for m in document["meta"]["messages"]]
        assert any("accepted" in t for t in texts)
        assert any("finished" in t for t in texts)
        # The offers of the second request can still be accepted after the restart.
        survivor = other["offers"][0]["meta"]["url"]
        assert httpx.post(survivor, content=accept(), timeout=10).status_code == 200
        assert wait(survivor, {"COMPLETED", "FAILED"}) == "COMPLETED"
    finally:
        broker.stop()


def test_restart_keeps_the_schema_and_data(tmp_path: Path) -> None:
    """A clean stop and start migrates nothing away (the prototype dropped its schema)."""
    port = free_port()
    config = write_config(tmp_path / "broker.toml", tmp_path / "broker.sqlite", port)
    broker = Subprocess(config, port)
    broker.start()
    try:
        answer = yaml.safe_load(
            httpx.post(broker.url + "/requests", content=as_yaml(request_document()),
                       timeout=10).text
        )
        broker.stop()
        broker.start()
        again = yaml.safe_load(httpx.get(answer["meta"]["url"], timeout=10).text)
        assert again["result"] == "YES"
        assert len(again["offers"]) == len(answer["offers"])
    finally:
        broker.stop()
