"""What durable acknowledgement costs: accepts per second with SQLite ``synchronous=FULL``
(the default: an answered accept survives power loss) against ``NORMAL`` (it may not).

A script, not a test. For each setting it starts ``ivoa-eb-broker serve`` on a fresh SQLite
file on disk (``--folder``, default a temporary folder under the current one, so the file is
not on a memory file system where a sync costs nothing) and runs request-and-accept cycles
with concurrent clients; each accept commits, so each pays one sync.

Usage: ``python benchmarks/bench_durability.py [--cycles 300] [--concurrency 4]
[--folder PATH]``. Prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from broker_process import ACCEPT, REQUEST, percentile, start, stop


async def cycles(url: str, total: int, concurrency: int) -> tuple[float, list[float]]:
    """``total`` request-then-accept cycles; cycles per second and the accepts' latencies."""
    latencies: list[float] = []
    left = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in left:
            offers = await client.post("/requests", content=REQUEST)
            offer = offers.headers["location"]
            first = (await client.get(offer, headers={"Accept": "application/json"})).json()
            began = time.perf_counter()
            accepted = await client.post(first["offers"][0]["meta"]["url"], content=ACCEPT)
            latencies.append(time.perf_counter() - began)
            if accepted.status_code != 200:
                raise RuntimeError(f"accept: {accepted.status_code} {accepted.text[:200]}")

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return total / (time.perf_counter() - began), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--folder", type=Path, default=Path.cwd())
    args = parser.parse_args()
    lines = [f"{'synchronous':<12} {'cycles':>6} {'cycles/s':>9} {'accept p50 ms':>14} "
             f"{'accept p95 ms':>14} {'mean ms':>8}"]
    for setting in ("FULL", "NORMAL"):
        with tempfile.TemporaryDirectory(dir=args.folder, prefix="bench-durability-") as name:
            folder = Path(name)
            process, url = start(folder, [
                "[database]", f'url = "sqlite:///{folder / "bench.sqlite"}"',
                f'sqlite_synchronous = "{setting}"',
                "[logging]", 'level = "warning"',
                "[offers]", "count = 1", "lifetime = 3600",
                "[platform.simulated]", "cores = 1000000", "memory = 1000000",
                "preparing = 0", "running = 0", "releasing = 0",
            ])
            try:
                asyncio.run(cycles(url, 20, 2))  # warm up
                rate, latencies = asyncio.run(cycles(url, args.cycles, args.concurrency))
            finally:
                stop(process)
        lines.append(f"{setting:<12} {args.cycles:>6} {rate:>9.1f} "
                     f"{percentile(latencies, 0.5) * 1000:>14.1f} "
                     f"{percentile(latencies, 0.95) * 1000:>14.1f} "
                     f"{statistics.mean(latencies) * 1000:>8.1f}")
        print(lines[-1], flush=True)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
