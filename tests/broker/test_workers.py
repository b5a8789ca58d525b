"""``ivoa-eb-broker serve --workers N``: several broker processes on one port (issue 12).

The load across processes (no overbooking, no lost update) is checked by the concurrency
test on two processes; this checks the option itself: N workers start on the migrated
database, answer requests on the one port, and stop with the parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from .conftest import accept, as_yaml, free_port, request_document

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def test_two_workers_serve_one_port(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "ivoa_eb_broker", "serve", "--workers", "2",
               "--port", str(port), "--log-level", "warning",
               "--database", f"sqlite:///{tmp_path / 'broker.sqlite'}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=dict(os.environ))
    url = f"http://127.0.0.1:{port}"
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        workers = _children(process.pid)
        assert len([p for p in workers if Path(f"/proc/{p}").exists()]) >= 2, workers
        for _ in range(4):  # fresh connections: the kernel spreads them over the workers
            answer = httpx.post(url + "/requests", content=as_yaml(request_document()),
                                timeout=30)
            assert answer.status_code == 200, answer.text
            offer = yaml.safe_load(answer.text)["offers"][0]["meta"]["url"]
            accepted = httpx.post(offer, content=accept(), timeout=30)
            assert accepted.status_code == 200, accepted.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    deadline = time.monotonic() + 20  # the workers end with the parent
    while [p for p in workers if _running(p)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in workers if _running(p)]


def _running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False
