"""Where one ``POST /requests`` spends its time: cProfile on the ASGI app, in process.

A fresh SQLite database with ``--bookings`` committed bookings, the simulated platform, the
benchmark's YAML request; ``--requests`` requests are sent through the ASGI app (no socket,
no client library) after a warm-up, under cProfile. Prints the cumulative top functions and
a coarse split by stage (parse, validate, plan, store, render), each a share of the total.

Usage: ``python benchmarks/profile_request.py [--requests 300] [--bookings 10000]
[--out profile.txt]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio.to_thread

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_requests import BODIES, CAPACITY, seed  # noqa: E402
from ivoa_eb_broker.config import configure_logging, load  # noqa: E402
from ivoa_eb_broker.http import create_app  # noqa: E402

#: Stages of the request path, each named by functions whose cumulative time it is: a bare
#: name, or ``file.py:name`` where the bare name is also used elsewhere. The stages do not
#: overlap; what they leave out (HTTP, routing, holding in the ledger, its lock, the thread
#: hop) is "other".
STAGES: dict[str, tuple[str, ...]] = {
    "parse (codec)": ("load_yaml", "load_json", "load_xml"),
    "validate (schema + model)": ("is_valid", "schema_errors", "model_validate", "canonical"),
    "plan (core)": ("plan",),
    "offer documents": ("documents.py:offer", "offers.py:document"),
    "write (inserts + commit)": ("insert_offers", "insert_bookings", "base.py:commit"),
    "render (codec)": ("dump_yaml", "dump_json", "dump_xml"),
    # The lock is taken inside _hold; _ledger runs inside it too only when another broker
    # process wrote meanwhile (never in this one-process profile).
    "ledger (load, follow, lock, hold)": ("offers.py:_ledger", "offers.py:_hold",
                                          "generation_of", "offers.py:_room"),
}
#: The function inside which the broker's own handling runs: what the ASGI app spends
#: outside it is HTTP (Starlette, the middleware, routing).
ENDPOINT = "routes.py:endpoint"


async def _post(app: object, content_type: str, body: bytes) -> int:
    """One POST /requests through the ASGI interface; the status."""
    status = 0
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/requests", "raw_path": b"/requests", "query_string": b"",
        "root_path": "", "headers": [(b"host", b"bench"), (b"content-type", content_type.encode())],
        "client": ("127.0.0.1", 1), "server": ("bench", 80),
    }
    await app(scope, receive, send)  # type: ignore[operator]
    return status


def total_time(stats: pstats.Stats) -> float:
    """Seconds in the profiled requests (the ``_run`` loop: no idle event-loop time)."""
    raw = stats.stats  # type: ignore[attr-defined]
    return max(entry[3] for (_f, _l, name), entry in raw.items() if name == "_run")


async def _inline(function: Any, *args: Any, **_options: Any) -> Any:
    """Worker-thread calls run inline while profiling: cProfile sees one thread only."""
    return function(*args)


def stage_split(stats: pstats.Stats) -> list[tuple[str, float, float]]:
    """(stage, seconds, share of the total) from the cumulative times of named functions."""
    raw = stats.stats  # type: ignore[attr-defined]
    total = total_time(stats)
    rows = []
    for stage, names in STAGES.items():
        seconds = 0.0
        for (file, _line, function), entry in raw.items():
            if function in names or f"{Path(file).name}:{function}" in names:
                seconds += entry[3]
        rows.append((stage, seconds, seconds / total))
    inside = sum(entry[3] for (file, _line, function), entry in raw.items()
                 if f"{Path(file).name}:{function}" == ENDPOINT)
    http = total - inside
    rows.append(("HTTP (Starlette, middleware, routing)", http, http / total))
    other = total - sum(seconds for _, seconds, _ in rows)
    rows.append(("other (the service's own code, thread hop)", other, other / total))
    return rows


async def _run(app: object, count: int, body: str = "yaml") -> None:
    for _ in range(count):
        status = await _post(app, *BODIES[body])
        if status != 200:
            raise RuntimeError(f"POST /requests answered {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--bookings", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--body", choices=sorted(BODIES), default="yaml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        database = Path(name) / "profile.sqlite"
        seed(database, args.bookings)
        config = load(None, database_url=f"sqlite:///{database}")
        from dataclasses import replace

        config = replace(config, platform_settings={**CAPACITY}, offer_lifetime=3600)
        configure_logging(level="warning")
        app = create_app(config, run_scheduler=False)
        anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
        asyncio.run(_run(app, 20, args.body))  # warm up: caches, the kept ledger
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(_run(app, args.requests, args.body))
        profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    total = total_time(stats)
    print(f"{args.requests} {args.body} requests at {args.bookings} bookings: "
          f"{total / args.requests * 1000:.2f} ms each (profiled, wall clock)", file=text)
    print(f"\n{'stage':<44} ms/request  share", file=text)
    for stage, seconds, share in stage_split(stats):
        print(f"{stage:<44} {seconds / args.requests * 1000:>10.2f} {share:>6.0%}", file=text)
    print(file=text)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    output = text.getvalue()
    print(output)
    if args.out is not None:
        args.out.write_text(output)


if __name__ == "__main__":
    main()
