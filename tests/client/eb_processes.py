"""Reference brokers as real processes on loopback HTTP, for the client and federation tests.

``ivoa-eb-broker serve --config FILE`` in a child process, configured by TOML text as an
operator would; :meth:`BrokerProcess.kill` ends it abruptly (a site that vanishes).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

#: A simulated platform with short steps, so that lifecycles end within a test.
QUICK_SIMULATED = """
[platform]
name = "simulated"
[platform.simulated]
preparing = 0.2
running = 0.5
releasing = 0.2
"""


def start_all(*brokers: BrokerProcess) -> None:
    """Launch every broker, then wait for each."""
    for broker in brokers:
        broker.launch()
    for broker in brokers:
        broker.wait_ready()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BrokerProcess:
    """One broker process; ``url`` is its base URL."""

    def __init__(self, folder: Path, config: str, port: int | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "broker.toml"
        self.config.write_text(config, encoding="utf-8")
        self.log = folder / "broker.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> BrokerProcess:
        """Launch the process and wait until it answers."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> BrokerProcess:
        """Launch the process (several at once start faster than one after another)."""
        command = [sys.executable, "-m", "ivoa_eb_broker", "serve", "--config",
                   str(self.config), "--port", str(self.port), "--database",
                   f"sqlite:///{self.folder / 'broker.sqlite'}", "--log-level", "warning"]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 60) -> BrokerProcess:
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the broker did not start:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the broker did not answer:\n{self.log.read_text()}")

    def kill(self) -> None:
        """End the process at once (SIGKILL): a site that vanishes."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
