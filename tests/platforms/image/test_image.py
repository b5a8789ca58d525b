"""The broker's container image, run with podman as a site would, judged from outside: the
conformance suite against the running container, VOSI answers valid, metrics moving, a
non-root user, the database on its volume and a healthcheck.

The image is built by ``scripts/image/build.sh`` (``.ci/run`` does it before the tests); a
machine without it skips here, CI fails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from engine_gate import absent
from ivoa_eb_spec.vosi import validation_errors

pytestmark = [pytest.mark.engine, pytest.mark.slow]

IMAGE = os.environ.get("EB_IMAGE", "localhost/ivoa-eb-broker:dev")
UID = 10001
CONFIG = """
[server]
host = "0.0.0.0"
port = 8080
[database]
url = "sqlite:////var/lib/ivoa-eb/broker.sqlite"
[offers]
# Short, so that the conformance suite can watch an offer expire within its budget.
lifetime = 20
[platform.simulated]
preparing = 0.5
running = 1.0
releasing = 0.5
"""


@dataclass
class Running:
    container: str
    url: str
    data: Path


def _podman(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    if shutil.which("podman") is None:
        absent("podman is not installed (scripts/engines/podman.sh)")
    if _podman("image", "exists", IMAGE).returncode != 0:
        absent(f"no image {IMAGE}: build it with scripts/image/build.sh")
    folder = tmp_path_factory.mktemp("image")
    config, data = folder / "etc", folder / "data"
    config.mkdir()
    data.mkdir()
    (config / "broker.toml").write_text(CONFIG)
    os.chown(data, UID, UID) if os.geteuid() == 0 else data.chmod(0o777)
    port = _free_port()
    started = _podman("run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8080",
                      "-v", f"{config}:/etc/ivoa-eb:ro", "-v", f"{data}:/var/lib/ivoa-eb",
                      IMAGE)
    assert started.returncode == 0, started.stderr
    container = started.stdout.strip()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the container did not answer /health: "
                                     + _podman("logs", container).stderr[-2000:])
            time.sleep(0.3)
        yield Running(container, url, data)
    finally:
        _podman("stop", "-t", "5", container)


def test_runs_as_non_root_with_its_database_on_the_volume_and_a_healthcheck(
        broker: Running) -> None:
    assert _podman("exec", broker.container, "id", "-u").stdout.strip() == str(UID)
    httpx.get(broker.url + "/capabilities", timeout=10)
    assert (broker.data / "broker.sqlite").is_file()
    inspected = json.loads(_podman("image", "inspect", IMAGE).stdout)[0]
    healthcheck = inspected.get("Healthcheck") or inspected["Config"].get("Healthcheck") or {}
    assert "/health" in " ".join(healthcheck.get("Test", [])), inspected["Config"]
    assert _podman("healthcheck", "run", broker.container).returncode == 0


def test_vosi_answers_are_valid_and_metrics_move(broker: Running) -> None:
    with httpx.Client(base_url=broker.url, timeout=10) as client:
        for path in ("/availability", "/capabilities"):
            answer = client.get(path)
            assert answer.status_code == 200
            assert validation_errors(answer.content) == [], answer.text
        assert b"<vosi:available>true</vosi:available>" in client.get("/availability").content

        def requests_of_health() -> float:
            for line in client.get("/metrics").text.splitlines():
                if line.startswith('eb_http_requests_total{operation="GET /health",status="200"}'):
                    return float(line.rsplit(" ", 1)[1])
            return 0.0

        before = requests_of_health()
        client.get("/health")
        client.get("/health")
        assert requests_of_health() == before + 2


def test_the_conformance_suite_passes_against_the_container(broker: Running,
                                                           tmp_path: Path) -> None:
    report = tmp_path / "conformance.json"
    suite = Path(sys.executable).parent / "ivoa-eb-conformance"
    done = subprocess.run([str(suite), "run", "--url", broker.url + "/", "--time-budget", "100",
                           "--json", str(report)], capture_output=True, text=True, timeout=400,
                          check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert report.is_file()
