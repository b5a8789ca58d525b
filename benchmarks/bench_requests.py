"""Throughput and latency of the request path with many existing bookings (a script, not a test).

For each size (default 1k, 10k, 100k bookings) it seeds a fresh database directly (half the
bookings already ended, half committed and spread over the planning horizon), starts
``ivoa-eb-broker serve`` on it as a subprocess, and measures with concurrent clients:

- ``POST /requests`` with a YAML, a JSON and an XML body (planning against the ledger,
  holding, persisting, answering in the body's type);
- ``GET /sessions/{uuid}`` of an offer, and accepting offers (``POST /sessions/{uuid}``);
- ``GET /health`` (no database, no planning: the ceiling of the HTTP stack).

It prints one table and every ratio of issue 12 with its goal and PASS or MISS. Ratios are
taken within one run on one machine, so a busy machine shifts both sides alike.

Modes:

- default: the table and the ratios (``--markdown FILE`` also writes them as Markdown);
- ``--workers N --database URL``: scale-out on a shared database (PostgreSQL): POST
  /requests with one broker process, then with N, and a count of overbooked instants of
  the bookings the N processes wrote (must be zero);
- ``--memory 10000,100000``: the broker's resident memory after each number of requests.

Usage: ``python benchmarks/bench_requests.py [--sizes 1000,10000,100000] [--requests 200]
[--concurrency 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml
from ivoa_eb_broker.core import Capacity, Ledger, Overbooked
from ivoa_eb_broker.service.rows import booking_of_row
from ivoa_eb_broker.store import migrate, open_engine
from ivoa_eb_broker.store.schema import bookings, metadata
from ivoa_eb_spec.codecs import MediaType, dump_document
from ivoa_eb_spec.codecs.yaml_codec import load_yaml
from sqlalchemy import insert, select, text

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
_DOCUMENT = load_yaml(REQUEST)
BODIES = {
    "yaml": ("application/yaml", REQUEST),
    "json": ("application/json", dump_document(_DOCUMENT, MediaType.JSON)),
    "xml": ("application/xml", dump_document(_DOCUMENT, MediaType.XML, "offers-request")),
}
ACCEPT = b"kind: uri:enum-value-update\npath: phase\nvalue: ACCEPTED\n"
CAPACITY = {"cores": 100000, "memory": 400000, "storage": 10000000}


def fresh(url: str) -> None:
    """An empty, migrated database at ``url`` (a shared PostgreSQL one is emptied first)."""
    engine = open_engine(url)
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            metadata.drop_all(connection)
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate(engine)
    engine.dispose()


def seed(database: Path | str, count: int) -> None:
    """``count`` bookings: half ended, half committed over the next 30 days."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    fresh(url)
    engine = open_engine(url)
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


@contextmanager
def broker(folder: Path, database: str, *, workers: int = 1, lifetime: float = 3600,
           capacity: dict[str, int] | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``ivoa-eb-broker serve`` on ``database`` as a subprocess; its process and base URL."""
    port = free_port()
    config = folder / "bench.toml"
    config.write_text(
        "\n".join(
            [
                "[server]", f"port = {port}",
                "[database]", f'url = "{database}"',
                "[logging]", 'level = "warning"',
                "[offers]", f"lifetime = {lifetime}",
                "[platform.simulated]",
                *(f"{key} = {value}" for key, value in (capacity or CAPACITY).items()),
            ]
        )
        + "\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "ivoa_eb_broker", "serve", "--config", str(config),
         "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the broker did not start") from None
                time.sleep(0.1)
        yield process, url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


#: One request of a measurement: (method, path, content type, body) from its index.
Call = Callable[[int], tuple[str, str, str | None, bytes | None]]


@dataclass
class Figure:
    """The outcome of one measurement."""

    rate: float
    latencies: list[float]

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(url: str, call: Call, total: int, concurrency: int) -> Figure:
    """``total`` requests from ``concurrency`` clients; requests per second and latencies."""
    latencies: list[float] = []
    indexes = iter(range(total))

    async def worker(client: httpx.AsyncClient) -> None:
        for index in indexes:
            method, path, content_type, body = call(index)
            headers = {"content-type": content_type} if content_type else {}
            began = time.perf_counter()
            response = await client.request(method, path, content=body, headers=headers)
            latencies.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"{method} {path}: {response.status_code} "
                                   f"{response.text[:300]}")

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return Figure(total / elapsed, latencies)


def post(kind: str) -> Call:
    content_type, body = BODIES[kind]
    return lambda _index: ("POST", "/requests", content_type, body)


def first_offers(url: str, count: int) -> list[str]:
    """The first offer's uuid of each of ``count`` fresh offer sets."""
    found = []
    with httpx.Client(base_url=url, timeout=120) as client:
        for _ in range(count):
            answer = yaml.safe_load(client.post("/requests", content=REQUEST).text)
            found.append(answer["offers"][0]["meta"]["uuid"])
    return found


def endpoints(url: str, requests: int) -> list[tuple[str, Call, int]]:
    """(label, call, how many) of every measured endpoint, in order."""
    offers = first_offers(url, requests + 10)
    one = offers[-1]
    return [
        # First, on a broker with nothing to drive: the ceiling of the HTTP stack (measured
        # last, it would share the process with the accepted sessions' scheduler).
        ("GET /health", lambda _i: ("GET", "/health", None, None), requests),
        ("POST /requests yaml", post("yaml"), requests),
        ("POST /requests json", post("json"), requests),
        ("POST /requests xml", post("xml"), requests),
        ("GET /sessions/{id}", lambda _i: ("GET", f"/sessions/{one}", None, None), requests),
        ("accept", lambda i: ("POST", f"/sessions/{offers[i]}", "application/yaml", ACCEPT),
         requests),
    ]


#: (name, goal text, test) of each ratio measured at one size.
RATIOS: list[tuple[str, str, Callable[[dict[str, Figure]], float], float]] = [
    ("POST yaml / health", ">= 0.5",
     lambda f: f["POST /requests yaml"].rate / f["GET /health"].rate, 0.5),
    ("POST json / POST yaml", ">= 0.77 (within 1.3x)",
     lambda f: f["POST /requests json"].rate / f["POST /requests yaml"].rate, 1 / 1.3),
    ("POST xml / POST yaml", ">= 0.77 (within 1.3x)",
     lambda f: f["POST /requests xml"].rate / f["POST /requests yaml"].rate, 1 / 1.3),
    ("GET session / health", ">= 0.7",
     lambda f: f["GET /sessions/{id}"].rate / f["GET /health"].rate, 0.7),
    ("accept / health", ">= 0.4", lambda f: f["accept"].rate / f["GET /health"].rate, 0.4),
    ("POST yaml p50 / p99", ">= 0.25 (p99 <= 4x p50)",
     lambda f: f["POST /requests yaml"].p(0.5) / f["POST /requests yaml"].p(0.99), 0.25),
]


def interleaved(url: str, pid: int, calls: dict[str, Call], total: int, concurrency: int,
                rounds: int = 4) -> dict[str, tuple[Figure, float]]:
    """Each call measured in ``rounds`` chunks taken in turn (YAML, JSON, XML, YAML, ...):
    every request leaves offers held, so measured one after the other the last kind would
    plan against the most holds. The figure of each kind and its broker CPU per request."""
    for call in calls.values():
        asyncio.run(measure(url, call, 10, 2))
    seconds = dict.fromkeys(calls, 0.0)
    cpu = dict.fromkeys(calls, 0.0)
    latencies: dict[str, list[float]] = {label: [] for label in calls}
    chunk = max(1, total // rounds)
    for _ in range(rounds):
        for label, call in calls.items():
            before = cpu_seconds(pid)
            figure = asyncio.run(measure(url, call, chunk, concurrency))
            cpu[label] += cpu_seconds(pid) - before
            seconds[label] += chunk / figure.rate
            latencies[label] += figure.latencies
    done = chunk * rounds
    return {label: (Figure(done / seconds[label], latencies[label]), cpu[label] / done)
            for label in calls}


def verdict(value: float, goal: float) -> str:
    return "PASS" if value >= goal else "MISS"


def run_sizes(sizes: list[int], requests: int, concurrency: int) -> tuple[list[str], list[str]]:
    """The table rows and ratio rows (Markdown table lines) of every size."""
    table = ["| bookings | endpoint | n | req/s | p50 ms | p99 ms | broker CPU ms/req |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    ratios = ["| bookings | ratio | measured | goal | verdict |", "|---:|---|---:|---|---|"]
    posts: dict[int, float] = {}
    for size in sizes:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            database = f"sqlite:///{folder / 'bench.sqlite'}"
            seed(database, size)
            with broker(folder, database) as (process, url):
                figures: dict[str, Figure] = {}
                measured = endpoints(url, requests)
                posts_by_kind = {label: call for label, call, _ in measured
                                 if label.startswith("POST /requests")}
                by_kind = interleaved(url, process.pid, posts_by_kind, requests, concurrency)
                for label, call, count in measured:
                    if label in by_kind:
                        figure, used = by_kind[label]
                    else:
                        asyncio.run(measure(url, call if label != "accept" else _warm, 10, 2))
                        before = cpu_seconds(process.pid)
                        figure = asyncio.run(measure(url, call, count, concurrency))
                        used = (cpu_seconds(process.pid) - before) / count
                    figures[label] = figure
                    table.append(f"| {size} | {label} | {count} | {figure.rate:.1f} | "
                                 f"{figure.p(0.5) * 1000:.1f} | {figure.p(0.99) * 1000:.1f} | "
                                 f"{used * 1000:.2f} |")
                    print(table[-1], flush=True)
                for ratio, goal_text, compute, goal in RATIOS:
                    value = compute(figures)
                    ratios.append(f"| {size} | {ratio} | {value:.2f} | {goal_text} | "
                                  f"{verdict(value, goal)} |")
                    print(ratios[-1], flush=True)
                posts[size] = figures["POST /requests yaml"].rate
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        value = posts[large] / posts[small]
        ratios.append(f"| {large} vs {small} | POST yaml at {large} / at {small} | {value:.2f} | "
                      f">= 0.8 | {verdict(value, 0.8)} |")
        print(ratios[-1], flush=True)
    return table, ratios


def _warm(_index: int) -> tuple[str, str, str | None, bytes | None]:
    return "GET", "/health", None, None


def overbooked(database: str, capacity: dict[str, int]) -> int:
    """Live bookings (COMMITTED, or HELD and not lapsed) that do not fit the capacity when
    replayed into a ledger in order of start: zero when nothing was booked twice."""
    engine = open_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(select(bookings).order_by(bookings.c.start)).mappings().all()
    engine.dispose()
    now = datetime.now(UTC)
    ledger = Ledger(Capacity.constant(capacity["cores"], capacity["memory"], capacity["storage"]))
    refused = 0
    for row in rows:
        live = row["state"] == "COMMITTED" or (
            row["state"] == "HELD" and (row["expires"] is None or row["expires"] > now))
        if not live:
            continue
        booking = booking_of_row(row)
        try:
            ledger.hold(booking.id, booking.owner, booking.group, booking.resources,
                        booking.start, booking.end)
        except Overbooked:
            refused += 1
    return refused


def run_workers(database: str, workers: int, requests: int, concurrency: int,
                size: int) -> list[str]:
    """POST /requests with one process and with ``workers``, on ``database``; then the
    overbooking check of a contended run (small capacity, every offer accepted at once)."""
    lines = ["| processes | POST /requests req/s | p50 ms | p99 ms |", "|---:|---:|---:|---:|"]
    rates = {}
    for count in (1, workers):
        with tempfile.TemporaryDirectory() as name:
            seed(database, size)
            with broker(Path(name), database, workers=count) as (_process, url):
                # Warm every process (its first request builds its ledger and imports
                # lazily): each round opens fresh connections, which the kernel hands to
                # whichever process accepts first, so one round may miss a process.
                for _ in range(3 * count):
                    asyncio.run(measure(url, post("yaml"), 16, concurrency))
                figure = asyncio.run(measure(url, post("yaml"), requests, concurrency))
        rates[count] = figure.rate
        lines.append(f"| {count} | {figure.rate:.1f} | {figure.p(0.5) * 1000:.1f} | "
                     f"{figure.p(0.99) * 1000:.1f} |")
        print(lines[-1], flush=True)
    value = rates[workers] / rates[1]
    lines.append("")
    lines.append(f"Scale-out: {workers} processes / 1 = {value:.2f} (goal >= 1.6: "
                 f"{verdict(value, 1.6)})")
    small = {"cores": 4, "memory": 8, "storage": 100}
    with tempfile.TemporaryDirectory() as name:
        fresh(database)
        with broker(Path(name), database, workers=workers, capacity=small) as (_p, url):
            asyncio.run(_contend(url, requests, concurrency))
    found = overbooked(database, small)
    lines.append(f"Overbooked bookings after {requests} contended requests and accepts on "
                 f"{workers} processes: {found} (goal 0: {'PASS' if found == 0 else 'MISS'})")
    print("\n".join(lines[-2:]), flush=True)
    return lines


async def _contend(url: str, total: int, concurrency: int) -> None:
    """Requests for 2 cores now, each accepted at once, from many clients."""
    body = REQUEST.replace(b"{min: 1, max: 2}", b"{min: 2, max: 2}")
    indexes = iter(range(total))

    async def client_loop(client: httpx.AsyncClient) -> None:
        for _ in indexes:
            answer = yaml.safe_load((await client.post("/requests", content=body)).text)
            for offer in answer.get("offers") or []:
                await client.post(f"/sessions/{offer['meta']['uuid']}", content=ACCEPT)

    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))


def _family(pid: int) -> list[int]:
    """A process and its children (uvicorn workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid] + ([int(p) for p in children.read_text().split()] if children.exists() else [])


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its children: what a
    measurement cost the broker, whatever else the machine was doing."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for one in _family(pid):
        stat = Path(f"/proc/{one}/stat")
        if stat.exists():
            fields = stat.read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn workers), in KiB."""
    total = 0
    for one in _family(pid):
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def run_memory(marks: list[int], concurrency: int) -> list[str]:
    """RSS of one broker process after each number of POST /requests (offers lapse after
    2 s, so only what the broker keeps beyond them can grow)."""
    lines = ["| requests | RSS MiB |", "|---:|---:|"]
    with tempfile.TemporaryDirectory() as name:
        database = f"sqlite:///{Path(name) / 'bench.sqlite'}"
        seed(database, 1000)
        with broker(Path(name), database, lifetime=2) as (process, url):
            done = 0
            found = {}
            for mark in sorted(marks):
                asyncio.run(measure(url, post("yaml"), mark - done, concurrency))
                done = mark
                found[mark] = rss_kib(process.pid) / 1024
                lines.append(f"| {mark} | {found[mark]:.1f} |")
                print(lines[-1], flush=True)
    low, high = min(marks), max(marks)
    growth = found[high] / found[low] - 1
    lines.append("")
    lines.append(f"RSS after {high} requests is {growth:+.1%} of that after {low} "
                 f"(goal within 10%: {'PASS' if abs(growth) <= 0.10 else 'MISS'})")
    print(lines[-1], flush=True)
    return lines


def machine() -> str:
    """One line on the machine the figures come from."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}, "
            f"load average {load:.1f} at the start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=0,
                        help="scale-out mode: this many broker processes on --database")
    parser.add_argument("--database", default=os.environ.get("EB_TEST_POSTGRES_URL", ""),
                        help="the shared database of the scale-out mode (PostgreSQL)")
    parser.add_argument("--memory", default="",
                        help="memory mode: request counts after which RSS is read, "
                             "e.g. 10000,100000")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="also write the figures as Markdown to this file")
    args = parser.parse_args()
    command = "python benchmarks/bench_requests.py " + " ".join(sys.argv[1:])
    out = [f"Machine: {machine()}.", "", f"Command: `{command.strip()}`", ""]
    if args.workers:
        if not args.database:
            parser.error("--workers needs --database (or EB_TEST_POSTGRES_URL)")
        out += run_workers(args.database, args.workers, args.requests, args.concurrency,
                           int(args.sizes.split(",")[0]))
    elif args.memory:
        out += run_memory([int(m) for m in args.memory.split(",")], args.concurrency)
    else:
        table, ratios = run_sizes([int(s) for s in args.sizes.split(",")], args.requests,
                                  args.concurrency)
        out += table + ["", "Ratios (same run, same machine):", ""] + ratios
    print()
    print("\n".join(out))
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
