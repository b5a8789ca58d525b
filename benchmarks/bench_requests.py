"""Throughput and latency of POST /requests with many existing bookings (a script, not a test).

For each size (default 1k, 10k, 100k bookings) it seeds a fresh SQLite database directly
(half the bookings already ended, half committed and spread over the planning horizon),
starts ``ivoa-eb-broker serve`` on it as a subprocess, and measures with concurrent clients:

- ``POST /requests`` (planning against the ledger, holding, persisting, answering YAML);
- ``GET /health`` (no database, no planning: the ceiling of the HTTP stack).

Usage: ``python benchmarks/bench_requests.py [--sizes 1000,10000,100000] [--requests 200]
[--concurrency 8]``. Prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from ivoa_eb_broker.store import migrate, open_engine
from ivoa_eb_broker.store.schema import bookings
from sqlalchemy import insert

REQUEST = b"""executable:
  kind: https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/executable/docker-container.yaml
  image:
    locations: [localhost/busybox:test]
compute:
  kind: https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/compute/simple-compute-resource.yaml
  cores: {min: 1, max: 2}
  memory: {min: 1, max: 2}
schedule:
  requested:
    duration: PT1H
"""

CAPACITY = {"cores": 100000, "memory": 400000, "storage": 10000000}


def seed(database: Path, count: int) -> None:
    """``count`` bookings: half ended, half committed over the next 30 days."""
    engine = open_engine(f"sqlite:///{database}")
    migrate(engine)
    chance = random.Random(count)
    now = datetime.now(UTC)
    rows = []
    for index in range(count):
        past = index % 2 == 0
        offset = timedelta(minutes=chance.randrange(0, 30 * 24 * 60))
        start = now - offset - timedelta(hours=2) if past else now + offset
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "session": str(uuid.uuid4()),
                "offerset": str(uuid.uuid4()),
                "state": "RELEASED" if past else "COMMITTED",
                "cores": chance.randint(1, 4),
                "memory": chance.randint(1, 8),
                "storage": 0,
                "start": start,
                "end": start + timedelta(hours=1),
                "expires": None,
            }
        )
    with engine.begin() as connection:
        for chunk in range(0, len(rows), 5000):
            connection.execute(insert(bookings), rows[chunk : chunk + 5000])
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_broker(folder: Path, database: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    config = folder / "bench.toml"
    config.write_text(
        "\n".join(
            [
                "[server]", f"port = {port}",
                "[database]", f'url = "sqlite:///{database}"',
                "[logging]", 'level = "warning"',
                "[offers]", "lifetime = 3600",
                "[platform.simulated]",
                *(f"{key} = {value}" for key, value in CAPACITY.items()),
            ]
        )
        + "\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "ivoa_eb_broker", "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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


async def measure(url: str, method: str, path: str, total: int, concurrency: int
                  ) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(total):
        queue.put_nowait(index)

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            began = time.perf_counter()
            if method == "POST":
                response = await client.post(path, content=REQUEST)
            else:
                response = await client.get(path)
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return total / elapsed, latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    lines = [f"{'bookings':>9} {'endpoint':<15} {'n':>5} {'req/s':>8} {'p50 ms':>8} "
             f"{'p99 ms':>8} {'mean ms':>8}"]
    for size in sizes:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            database = folder / "bench.sqlite"
            seed(database, size)
            process, url = start_broker(folder, database)
            try:
                for method, path, label in (("POST", "/requests", "POST /requests"),
                                            ("GET", "/health", "GET /health")):
                    asyncio.run(measure(url, method, path, 10, 2))  # warm up
                    rate, latencies = asyncio.run(
                        measure(url, method, path, args.requests, args.concurrency)
                    )
                    lines.append(
                        f"{size:>9} {label:<15} {args.requests:>5} {rate:>8.1f} "
                        f"{percentile(latencies, 0.5) * 1000:>8.1f} "
                        f"{percentile(latencies, 0.99) * 1000:>8.1f} "
                        f"{statistics.mean(latencies) * 1000:>8.1f}"
                    )
                    print(lines[-1], flush=True)
            finally:
                process.terminate()
                process.wait(timeout=30)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
