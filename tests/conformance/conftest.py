"""A reference broker in a subprocess, for the end-to-end tests of the suite.

The suite itself never imports the broker; this fixture only starts its command line, on a
free loopback port, with a fresh SQLite file and short timings so that lifecycles finish and
offers expire within the test's time budget. :func:`start_broker` also starts the faulty
brokers of the fault harness (``faulty_broker.py``: the reference broker with one rule
broken), and :func:`pytest_terminal_summary` prints the harness's table of faults caught.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

HERE = Path(__file__).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningBroker:
    """A broker process on a loopback port; ``stop`` ends it (and only it)."""

    url: str
    process: subprocess.Popen[bytes]
    folder: Path
    _log: Any

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{self.url}/sessions/00000000-0000-4000-8000-000000000000", timeout=1)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(
                        "the broker did not start:\n"
                        + (self.folder / "broker.log").read_text(errors="replace")[-3000:]
                    )
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def start_broker(folder: Path, config: str = CONFIG, patch: str | None = None) -> RunningBroker:
    """Start the reference broker (or, with ``patch``, a faulty one); call ``wait_ready``."""
    if importlib.util.find_spec("ivoa_eb_broker") is None:
        pytest.skip("the reference broker (ivoa_eb_broker) is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broker.toml").write_text(config, encoding="utf-8")
    port = _free_port()
    launcher = (
        ["-m", "ivoa_eb_broker"] if patch is None else [str(HERE / "faulty_broker.py"), patch]
    )
    command = [
        sys.executable,
        *launcher,
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
    return RunningBroker(f"http://127.0.0.1:{port}", process, folder, log)


@pytest.fixture(scope="session")
def reference_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a freshly started reference broker (skipped when it is not installed)."""
    broker = start_broker(tmp_path_factory.mktemp("broker"))
    try:
        broker.wait_ready()
        yield broker.url
    finally:
        broker.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fault harness's table: each fault, the ids it must fail, what failed, caught."""
    report = getattr(terminalreporter.config, "eb_fault_report", None)
    if not report:
        return
    write = terminalreporter.write_line
    terminalreporter.section("conformance fault harness")
    rows = report["faults"]
    width = max(len(r["fault"]) for r in rows)
    write(f"{'fault':<{width}}  {'via':<9} {'caught':<6} expected -> failed by the suite")
    for row in rows:
        failed = " ".join(row["failed"]) or "-"
        caught = "yes" if row["caught"] else "NO"
        write(
            f"{row['fault']:<{width}}  {row['via']:<9} {caught:<6} "
            f"{' '.join(row['expected'])} -> {failed}"
        )
    control = report["control"]
    write(
        f"control (unmodified reference broker): failing MUSTs "
        f"{' '.join(control['failing_must']) or 'none'}"
    )
    write(
        f"caught {report['caught']} of {report['total']} faults "
        f"({report['fraction']:.0%}) in {report['seconds']:.0f} s; report: {report['path']}"
    )
