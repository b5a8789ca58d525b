"""A real broker service for the end-to-end platform tests: ``ivoa-eb-broker serve`` as a
child process, configured by a TOML file like an operator's, reached over HTTP on loopback;
and a loopback HTTP server for data resources.

The client side (offers, accept, cancel, waiting for a phase) speaks only the broker's HTTP
interface, so these tests see what a client sees.
"""

from __future__ import annotations

import http.server
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

ENDED = {"COMPLETED", "FAILED", "CANCELLED"}
K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
NOTEBOOK = K + "executable/jupyter-notebook.yaml"
SINGULARITY = K + "executable/singularity-container.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def toml_value(value: Any) -> str:
    """A TOML value for a config file (strings, numbers, booleans, lists of them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(value)


def config_text(port: int, database: Path, platforms: list[dict[str, Any]]) -> str:
    """A broker config with ``[[platforms]]`` tables (name, type, kinds, settings)."""
    lines = [
        "[server]", 'host = "127.0.0.1"', f"port = {port}",
        "[database]", f"url = {toml_value(f'sqlite:///{database}')}",
        "[scheduler]", "interval = 0.1",
        "[offers]", "sweep_interval = 0.5",
    ]
    for platform in platforms:
        lines.append("[[platforms]]")
        for key in ("name", "type", "kinds"):
            if key in platform:
                lines.append(f"{key} = {toml_value(platform[key])}")
        lines.append("[platforms.settings]")
        for key, value in platform.get("settings", {}).items():
            lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


class BrokerService:
    """``ivoa-eb-broker serve --config FILE`` in a child process, and an HTTP client to it."""

    def __init__(self, folder: Path, platforms: list[dict[str, Any]]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "broker.toml"
        self.config.write_text(config_text(self.port, folder / "broker.sqlite", platforms))
        self.log = folder / "broker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.url, timeout=60)

    def start(self) -> BrokerService:
        command = [sys.executable, "-m", "ivoa_eb_broker", "serve", "--config",
                   str(self.config)]
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the broker did not start:\n{self.log.read_text()}")
            try:
                if self.http.get("/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"the broker did not answer:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.http.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # a clean shutdown, as an operator's
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # --- a client -------------------------------------------------------------------------

    def offers(self, request: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post("/requests", content=_yaml(request),
                                  headers={"Content-Type": "application/yaml"})
        assert response.status_code == 200, response.text
        return yaml.safe_load(response.text)

    def update(self, uuid: str, phase: str) -> dict[str, Any]:
        body = {"kind": "uri:enum-value-update", "path": "phase", "value": phase}
        response = self.http.post(f"/sessions/{uuid}", content=_yaml(body),
                                  headers={"Content-Type": "application/yaml"})
        assert response.status_code == 200, response.text
        return yaml.safe_load(response.text)

    def accept_first(self, request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Ask for offers, accept the first; its uuid and the session as accepted."""
        answer = self.offers(request)
        assert answer["result"] == "YES", answer
        uuid = answer["offers"][0]["meta"]["uuid"]
        return uuid, self.update(uuid, "ACCEPTED")

    def session(self, uuid: str) -> dict[str, Any]:
        response = self.http.get(f"/sessions/{uuid}")
        assert response.status_code == 200, response.text
        return yaml.safe_load(response.text)

    def wait(self, uuid: str, phases: set[str], timeout: float = 60) -> dict[str, Any]:
        """Poll the session until its phase is one of ``phases``."""
        deadline = time.monotonic() + timeout
        current = self.session(uuid)
        while current["phase"] not in phases:
            if time.monotonic() > deadline:
                raise AssertionError(f"session {uuid} stayed {current['phase']}; "
                                     f"messages: {messages(current)}\n{self.log.read_text()}")
            time.sleep(0.1)
            current = self.session(uuid)
        return current


@contextmanager
def broker_service(folder: Path, platforms: list[dict[str, Any]]) -> Iterator[BrokerService]:
    service = BrokerService(folder, platforms).start()
    try:
        yield service
    finally:
        service.stop()


def messages(document: dict[str, Any]) -> list[str]:
    return [m["message"] for m in document.get("meta", {}).get("messages", [])]


def _yaml(value: Any) -> bytes:
    return yaml.safe_dump(value, sort_keys=False).encode()


@contextmanager
def data_server(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a data resource's location); its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def wait_until(check: Any, timeout: float, step: float = 0.2) -> bool:
    """Poll ``check()`` until it is true or ``timeout`` s passed; its last value."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return bool(check())
        time.sleep(step)
    return True


__all__ = ["ENDED", "NOTEBOOK", "SINGULARITY", "BrokerService", "broker_service",
           "data_server", "messages", "wait_until"]
