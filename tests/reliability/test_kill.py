"""kill -9 and restart trials: an accept or cancel that was answered 200 is still there
after the broker is killed right after answering and started again on the same file
(requirement LIFE-32). More trials: ``EB_RELIABILITY_TRIALS``. The mid-run crash with the
scheduler resuming is ``tests/broker/test_restart.py``."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import yaml
from broker.conftest import Subprocess, accept, as_yaml, free_port, request_document, write_config

TRIALS = int(os.environ.get("EB_RELIABILITY_TRIALS", "2"))
ACCEPTED = {"ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING", "RELEASING",
            "COMPLETED"}

pytestmark = pytest.mark.slow


def test_acknowledged_updates_survive_kill_9(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path / "broker.toml", tmp_path / "broker.sqlite", port,
                          running=60.0)
    broker = Subprocess(config, port)
    acknowledged: list[tuple[str, set[str]]] = []
    try:
        for _ in range(TRIALS):
            broker.start()
            with httpx.Client(base_url=broker.url, timeout=10) as http:
                answer = yaml.safe_load(http.post("/requests",
                                                  content=as_yaml(request_document())).text)
                first, second, *_ = [o["meta"]["url"] for o in answer["offers"]]
                assert http.post(first, content=accept()).status_code == 200
                acknowledged.append((first, ACCEPTED))
                other = yaml.safe_load(http.post("/requests",
                                                 content=as_yaml(request_document())).text)
                doomed = other["offers"][0]["meta"]["url"]
                assert http.post(doomed, content=accept()).status_code == 200
                assert http.post(doomed, content=accept("CANCELLED")).status_code == 200
                acknowledged.append((doomed, {"CANCELLED"}))
            broker.kill()  # at once after the last answer: nothing more is flushed
        broker.start()
        with httpx.Client(timeout=10) as http:
            for url, allowed in acknowledged:
                phase = yaml.safe_load(http.get(url).text)["phase"]
                assert phase in allowed, (url, phase)
    finally:
        broker.stop()
