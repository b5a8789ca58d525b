"""A reference broker in a subprocess, for the end-to-end tests of the suite.

The suite itself never imports the broker; this fixture only starts its command line, on a
free loopback port, with a fresh SQLite file and short timings so that lifecycles finish and
offers expire within the test's time budget.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CONFIG = """
[offers]
lifetime = 6
[platform.simulated]
preparing = 0.2
running = 0.5
releasing = 0.2
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def reference_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a freshly started reference broker (skipped when it is not installed)."""
    if importlib.util.find_spec("ivoa_eb_broker") is None:
        pytest.skip("the reference broker (ivoa_eb_broker) is not installed")
    folder: Path = tmp_path_factory.mktemp("broker")
    (folder / "broker.toml").write_text(CONFIG, encoding="utf-8")
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "ivoa_eb_broker",
        "serve",
        "--config",
        str(folder / "broker.toml"),
        "--port",
        str(port),
        "--database",
        f"sqlite:///{folder / 'broker.sqlite'}",
        "--log-level",
        "warning",
    ]
    log = (folder / "broker.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/sessions/00000000-0000-4000-8000-000000000000", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "the reference broker did not start:\n"
                        + (folder / "broker.log").read_text(errors="replace")[-3000:]
                    )
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
