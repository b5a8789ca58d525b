"""A broker as a child process for the reliability benchmarks: start it on a free loopback
port from a few config lines, and read its memory. Benchmarks only, not imported by tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

REQUEST = b"""executable:
  kind: https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/executable/docker-container.yaml
  image:
    locations: [localhost/busybox:test]
  command: [/bin/sh, -c, "echo hello"]
compute:
  kind: https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/compute/simple-compute-resource.yaml
  cores: {min: 1, max: 1}
  memory: {min: 1, max: 1}
schedule:
  requested:
    duration: PT1M
"""
ACCEPT = b"kind: uri:enum-value-update\npath: phase\nvalue: ACCEPTED\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(folder: Path, lines: Sequence[str]) -> tuple[subprocess.Popen[bytes], str]:
    """``ivoa-eb-broker serve`` with ``lines`` (TOML) plus a free port; waits for /health."""
    port = free_port()
    config = folder / "bench.toml"
    config.write_text("\n".join(["[server]", f"port = {port}", *lines]) + "\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "ivoa_eb_broker", "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the broker did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
