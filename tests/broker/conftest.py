"""Fixtures for the broker's tests: configs with short timings, an in-process client, and a
real uvicorn server on a free loopback port (in a thread, or as a subprocess)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import yaml
from ivoa_eb_broker.config import Config, load
from ivoa_eb_broker.http import create_app
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
DOCKER = K + "executable/docker-container.yaml"
COMPUTE = K + "compute/simple-compute-resource.yaml"

FAST = {
    "cores": 16,
    "memory": 64,
    "storage": 1000,
    "preparing": 0.0,
    "running": 0.2,
    "releasing": 0.0,
}


def make_config(tmp_path: Path, platform: dict[str, Any] | None = None, **overrides: Any) -> Config:
    """A config on a fresh SQLite file with fast simulated timings."""
    config = load(None, database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")
    settings = {**FAST, **(platform or {})}
    fields = {"scheduler_interval": 0.05, "sweep_interval": 0.2, **overrides}
    return replace(config, platform_settings=settings, **fields)


def clock_from(start: datetime) -> Callable[[], datetime]:
    """A broker clock that reads ``start``, then moves on with real time (the examples ask
    for starts in 2030: tests that post them start the clock at the catalogue's ``as_of``)."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def request_document(
    cores: int = 1, memory: int = 1, duration: str | None = "PT10M", **extra: Any
) -> dict[str, Any]:
    """A small docker-container request."""
    document: dict[str, Any] = {
        "executable": {
            "kind": DOCKER,
            "meta": {"name": "job"},
            "image": {"locations": ["localhost/busybox:test"]},
            "command": ["/bin/sh", "-c", "echo hello"],
        },
        "compute": {
            "kind": COMPUTE,
            "cores": {"min": cores, "max": cores},
            "memory": {"min": memory, "max": memory},
        },
    }
    if duration is not None:
        document["schedule"] = {"requested": {"duration": duration}}
    document.update(extra)
    return document


def as_yaml(document: Any) -> bytes:
    return yaml.safe_dump(document, sort_keys=False).encode()


def accept(phase: str = "ACCEPTED") -> bytes:
    return as_yaml({"kind": "uri:enum-value-update", "path": "phase", "value": phase})


def wait_for_phase(
    client: Any, url: str, phases: set[str], timeout: float = 15.0
) -> dict[str, Any]:
    """Poll a session until its phase is one of ``phases``; the last document."""
    deadline = time.monotonic() + timeout
    document: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(url)
        assert response.status_code == 200, response.text
        document = yaml.safe_load(response.text)
        if document["phase"] in phases:
            return document
        time.sleep(0.05)
    raise AssertionError(f"session stayed in {document.get('phase')}, wanted {phases}")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def client(config: Config) -> Iterator[TestClient]:
    with TestClient(create_app(config)) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThreadServer:
    """uvicorn serving an app on a loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                           access_log=False, lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def server(config: Config) -> Iterator[ThreadServer]:
    with ThreadServer(create_app(config)) as running:
        yield running


@pytest.fixture
def http(server: ThreadServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http_client:
        yield http_client


def write_config(path: Path, database: Path, port: int, **platform: Any) -> Path:
    """A TOML config file for a broker subprocess."""
    settings = {**FAST, **platform}
    lines = [
        "[server]", f"port = {port}", 'host = "127.0.0.1"',
        "[database]", f'url = "sqlite:///{database}"',
        "[scheduler]", "interval = 0.05",
        "[platform]", 'name = "simulated"',
        "[platform.simulated]",
        *(f"{key} = {value!r}" for key, value in settings.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


class Subprocess:
    """``ivoa-eb-broker serve`` as a child process (for kill -9 and restart)."""

    def __init__(self, config_file: Path, port: int) -> None:
        self.config_file = config_file
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "ivoa_eb_broker", "serve", "--config",
                   str(self.config_file)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ)
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stderr.read() if self.process.stderr else b""
                raise RuntimeError(output.decode(errors="replace"))
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the broker subprocess did not start")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as in a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


#: A PostgreSQL server the tests may create scratch databases on (``scripts/engines/postgres.sh``
#: prints it); tests that need it are skipped without it.
POSTGRES = os.environ.get("EB_TEST_POSTGRES_URL", "")


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own for one test, dropped after it: tests on
    two workers never share a schema (one dropped the other's tables mid-run before)."""
    if not POSTGRES:
        pytest.skip("EB_TEST_POSTGRES_URL is not set")
    server = make_url(POSTGRES)
    name = f"eb_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
