"""End to end: the reference broker with the Slurm platform. A client asks for offers,
accepts one, sees the job in Slurm's queue while it runs, and finds its result."""

from __future__ import annotations

import math
import subprocess
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from ivoa_eb_broker.config import load
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.platforms.slurm import SlurmPlatform
from ivoa_eb_broker.platforms.slurm_cli import megabytes, minutes
from slurm_support import cancel_leftovers, document, host_settings, scontrol_job
from starlette.testclient import TestClient

pytestmark = pytest.mark.engine


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


def squeue_state(uuid: str) -> str:
    done = subprocess.run(["squeue", "--noheader", f"--name=eb-{uuid}", "--format=%T"],
                          capture_output=True, text=True, timeout=30, check=False)
    return done.stdout.strip()


def squeue_id(uuid: str) -> str:
    done = subprocess.run(["squeue", "--noheader", f"--name=eb-{uuid}", "--format=%i"],
                          capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip()


def test_request_accept_run_in_slurm_and_read_the_result(slurm: None, work: Path,
                                                         tmp_path: Path) -> None:
    platform = SlurmPlatform(host_settings(work, keep_storage=True))
    config = replace(load(None, database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}"),
                     scheduler_interval=0.1)
    request = document(["sh", "-c", "sleep 4; awk 'BEGIN{print sqrt(2)}' > storage/results/v"])
    request["schedule"] = {"requested": {"duration": "PT2M"}}
    try:
        with TestClient(create_app(config, platform=platform)) as client:
            response = client.post("/requests", content=as_yaml(request))
            assert response.status_code == 200, response.text
            answer = yaml.safe_load(response.text)
            assert answer["result"] == "YES", answer
            uuid = answer["offers"][0]["meta"]["uuid"]
            update = {"kind": "uri:enum-value-update", "path": "phase", "value": "ACCEPTED"}
            response = client.post(f"/sessions/{uuid}", content=as_yaml(update))
            assert response.status_code == 200, response.text
            wait_phase(client, uuid, {"RUNNING", "COMPLETED", "FAILED"}, timeout=30)
            # While the session runs, Slurm runs its job.
            deadline = time.monotonic() + 10
            while squeue_state(uuid) != "RUNNING" and time.monotonic() < deadline:
                time.sleep(0.2)
            assert squeue_state(uuid) == "RUNNING"
            # ... with the shape and window the offer booked.
            booking = client.app.state.broker.booking(uuid)
            jobid = squeue_id(uuid)
            seen = scontrol_job(jobid)
            assert int(seen["NumCPUs"]) == booking["cores"] == 1
            assert megabytes(seen["MinMemoryNode"]) == booking["memory"] * 1024
            booked_s = (booking["end"] - booking["start"]).total_seconds()
            assert minutes(seen["TimeLimit"]) == math.ceil(booked_s / 60)
            begin = datetime.fromisoformat(seen["EligibleTime"]).astimezone(UTC)
            assert abs((begin - booking["start"]).total_seconds()) < 1
            done = wait_phase(client, uuid, {"COMPLETED", "FAILED", "CANCELLED"}, timeout=40)
            assert done["phase"] == "COMPLETED", done["meta"].get("messages")
            texts = [m["message"] for m in done["meta"]["messages"]]
            assert any("slurm:" in t for t in texts), texts
        result = platform.storage_dir(uuid, "results") / "v"
        assert float(result.read_text()) == pytest.approx(2 ** 0.5, rel=1e-5)
        assert squeue_state(uuid) == ""
        assert not (platform.session_dir(uuid) / "job.sh").exists()
    finally:
        cancel_leftovers(work)


def test_client_cancel_stops_the_slurm_job(slurm: None, work: Path, tmp_path: Path) -> None:
    platform = SlurmPlatform(host_settings(work))
    config = replace(load(None, database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}"),
                     scheduler_interval=0.1)
    request = document(["sleep", "60"], storage=None)
    request["schedule"] = {"requested": {"duration": "PT2M"}}
    try:
        with TestClient(create_app(config, platform=platform)) as client:
            answer = yaml.safe_load(client.post("/requests", content=as_yaml(request)).text)
            uuid = answer["offers"][0]["meta"]["uuid"]
            update = {"kind": "uri:enum-value-update", "path": "phase", "value": "ACCEPTED"}
            assert client.post(f"/sessions/{uuid}", content=as_yaml(update)).status_code == 200
            wait_phase(client, uuid, {"RUNNING"}, timeout=30)
            deadline = time.monotonic() + 10
            while squeue_state(uuid) != "RUNNING" and time.monotonic() < deadline:
                time.sleep(0.2)
            assert squeue_state(uuid) == "RUNNING"
            update["value"] = "CANCELLED"
            response = client.post(f"/sessions/{uuid}", content=as_yaml(update))
            assert response.status_code == 200, response.text
            deadline = time.monotonic() + 30
            while (squeue_state(uuid) or platform.session_dir(uuid).exists()) \
                    and time.monotonic() < deadline:
                time.sleep(0.2)
            assert squeue_state(uuid) == ""
            assert not platform.session_dir(uuid).exists()
            assert session(client, uuid)["phase"] == "CANCELLED"
    finally:
        cancel_leftovers(work)
