"""Memory over a long soak: RSS of the broker after many accept-and-run cycles (a script, not
a test). Issue 15 asks for RSS after 20,000 cycles within 10 % of RSS after 2,000.

It starts ``ivoa-eb-broker serve`` on a fresh SQLite file, then runs cycles with concurrent
clients: request one offer, accept it, and wait until the session has run to COMPLETED. The
broker's RSS (``/proc/PID/status``) is printed at every checkpoint, and the final table
compares each checkpoint with the first.

Usage: ``python benchmarks/bench_soak.py [--checkpoints 2000,5000,10000,20000]
[--concurrency 8] [--platform simulated|docker]``. ``docker`` runs each session as a
container on the Docker API at ``--docker-url`` (default podman's ``unix:///tmp/podman.sock``,
image ``localhost/busybox:test``); use fewer cycles there.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from broker_process import ACCEPT, REQUEST, rss_mib, start, stop

DONE = {"COMPLETED", "FAILED", "CANCELLED"}


async def cycle(client: httpx.AsyncClient, timeout: float) -> str:
    """One request, accept and run; the session's last phase."""
    offers = await client.post("/requests", content=REQUEST,
                               headers={"Accept": "application/json"})
    session = offers.json()["offers"][0]["meta"]["url"]
    accepted = await client.post(session, content=ACCEPT)
    if accepted.status_code != 200:
        raise RuntimeError(f"accept: {accepted.status_code} {accepted.text[:200]}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        phase = (await client.get(session, headers={"Accept": "application/json"})).json()["phase"]
        if phase in DONE:
            return phase
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{session} did not finish within {timeout} s")


async def worker(client: httpx.AsyncClient, left: Iterator[int], phases: dict[str, int],
                 timeout: float) -> None:
    """Cycles until ``left`` (shared by the workers) runs out, counting the last phases."""
    for _ in left:
        phase = await cycle(client, timeout)
        phases[phase] = phases.get(phase, 0) + 1


async def soak(url: str, pid: int, checkpoints: list[int], concurrency: int,
               timeout: float) -> list[tuple[int, float, float, dict[str, int]]]:
    """Run up to the last checkpoint; (cycles, seconds, RSS MiB, phases) at each."""
    done = 0
    phases: dict[str, int] = {}
    results: list[tuple[int, float, float, dict[str, int]]] = []
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        for checkpoint in checkpoints:
            left = iter(range(checkpoint - done))
            await asyncio.gather(*(worker(client, left, phases, timeout)
                                   for _ in range(concurrency)))
            done = checkpoint
            results.append((done, time.monotonic() - began, rss_mib(pid), dict(phases)))
            print(f"{done:>7} cycles  {results[-1][1]:>8.0f} s  RSS {results[-1][2]:>7.1f} MiB  "
                  f"{phases}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", default="2000,5000,10000,20000")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--platform", choices=["simulated", "docker"], default="simulated")
    parser.add_argument("--docker-url", default="unix:///tmp/podman.sock")
    args = parser.parse_args()
    checkpoints = sorted(int(c) for c in args.checkpoints.split(","))
    if args.platform == "simulated":
        platform = ["[platform]", 'name = "simulated"', "[platform.simulated]",
                    "cores = 1000000", "memory = 1000000",
                    "preparing = 0", "running = 0", "releasing = 0"]
        timeout = 60.0
    else:
        platform = ["[platform]", 'name = "docker"', "[platform.docker]",
                    f'base_url = "{args.docker_url}"', "preparing = 0.5", "releasing = 0.5"]
        timeout = 300.0
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as name:
        folder = Path(name)
        process, url = start(folder, [
            "[database]", f'url = "sqlite:///{folder / "soak.sqlite"}"',
            "[logging]", 'level = "warning"',
            "[offers]", "count = 1", "lifetime = 3600",
            "[scheduler]", "interval = 0.05",
            *platform,
        ])
        try:
            results = asyncio.run(soak(url, process.pid, checkpoints, args.concurrency, timeout))
        finally:
            stop(process)
    first = results[0][2]
    print()
    print(f"platform {args.platform}, concurrency {args.concurrency}")
    print(f"{'cycles':>7} {'seconds':>8} {'RSS MiB':>8} {'vs first':>9}")
    for cycles, seconds, rss, _ in results:
        print(f"{cycles:>7} {seconds:>8.0f} {rss:>8.1f} {(rss / first - 1) * 100:>+8.1f}%")


if __name__ == "__main__":
    main()
