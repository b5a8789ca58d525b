"""Concurrent clients against a small capacity: no overbooking, no lost update.

25 clients post requests, accept or reject offers and race each other on the same offers,
over real HTTP, against a broker with 4 cores. A sampler reads the bookings table all the
while and rebuilds the core's ledger from the live bookings, which refuses (Overbooked) any
set of bookings that exceeds the capacity at some instant. Afterwards the same check runs
on every booking of every session that was ever accepted (jobs run long enough that none
ends during the test, so those bookings were all live together), and on the schedules the
accepted sessions publish, counted from the start of preparing to the end of releasing: the
platform takes time for both, and a session's steps must not overlap another's on a full
platform.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml
from ivoa_eb_broker.core import Booking, BookingState, Capacity, Ledger, Resources
from ivoa_eb_broker.http import create_app
from ivoa_eb_broker.store import open_engine
from ivoa_eb_broker.store.schema import bookings, sessions
from ivoa_eb_spec.iso8601 import parse_duration, parse_instant
from sqlalchemy import select

from .conftest import (
    FAST,
    Subprocess,
    ThreadServer,
    accept,
    as_yaml,
    free_port,
    make_config,
    request_document,
)

pytestmark = pytest.mark.slow
CORES = 4
CLIENTS = 25
ROUNDS = 4
ACCEPTED_LINE = {"ACCEPTED", "WAITING", "PREPARING", "AVAILABLE", "RUNNING", "RELEASING",
                 "COMPLETED", "FAILED", "CANCELLED"}


def ledger_of(rows: list[Any]) -> Ledger:
    """The core ledger of these booking rows; raises Overbooked if they do not fit."""
    return Ledger.from_bookings(
        Capacity.constant(CORES, 64, 1000),
        (
            Booking(r.id, r.session, r.offerset, Resources(r.cores, r.memory, r.storage),
                    r.start, r.end, BookingState.HELD)
            for r in rows
        ),
    )


def published_span(session: dict[str, Any]) -> tuple[datetime, datetime]:
    """From the start of preparing to the end of releasing, as the session's schedule says."""
    schedule = session["schedule"]
    releasing = schedule["releasing"]
    return (parse_instant(schedule["preparing"]["start"]),
            parse_instant(releasing["start"]) + parse_duration(releasing["duration"]))


def check_published(documents: list[dict[str, Any]]) -> None:
    """Raises Overbooked if the published schedules, every step counted, overbook."""
    ledger_of([
        SimpleNamespace(id=d["meta"]["uuid"], session=d["meta"]["uuid"], offerset="",
                        cores=d["compute"]["cores"]["min"], memory=d["compute"]["memory"]["min"],
                        storage=0, start=span[0], end=span[1])
        for d in documents for span in [published_span(d)]
    ])


class Sampler(threading.Thread):
    """Checks the live bookings in the database, over and over, while the clients run."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = open_engine(url)
        self.stop = threading.Event()
        self.samples = 0
        self.failure: Exception | None = None

    def run(self) -> None:
        while not self.stop.is_set():
            with self.engine.connect() as connection:
                found = connection.execute(select(bookings)).all()
            # The instant after reading: a broker that gave away a lapsed hold's capacity did
            # so before the read, so the hold must read as lapsed too (an instant taken
            # before a slow read made a false overbooking on a loaded machine).
            now = datetime.now(UTC)
            rows = [r for r in found
                    if r.state == "COMMITTED" or (r.state == "HELD" and r.expires > now)]
            try:
                ledger_of(rows)
            except Exception as problem:  # Overbooked
                self.failure = problem
                return
            self.samples += 1
            time.sleep(0.01)


async def client_run(http: httpx.AsyncClient, seed: int, log: list[tuple[str, str, int]]) -> None:
    chance = random.Random(seed)
    for _ in range(ROUNDS):
        document = request_document(cores=1, duration="PT30M")
        document["compute"]["cores"] = {"min": 1, "max": 2}
        response = await http.post("/requests", content=as_yaml(document))
        assert response.status_code == 200, response.text
        answer = yaml.safe_load(response.text)
        if answer["result"] != "YES":
            continue
        offers = answer["offers"]
        choice = chance.random()
        target = chance.choice(offers)["meta"]["url"]
        if choice < 0.5:
            verdict = "ACCEPTED"
        elif choice < 0.8:
            verdict = "REJECTED"
        else:
            continue  # leave it to expire
        result = await http.post(target, content=accept(verdict))
        assert result.status_code in (200, 409), result.text
        log.append((target, verdict, result.status_code))


async def race(http: httpx.AsyncClient, log: list[tuple[str, str, int]],
               other: httpx.AsyncClient | None = None) -> None:
    """Two clients, one offer: one accepts, one rejects (through ``other`` broker, when
    given), at the same moment."""
    response = await http.post("/requests", content=as_yaml(request_document(cores=1)))
    answer = yaml.safe_load(response.text)
    if answer["result"] != "YES":
        return
    target = answer["offers"][0]["meta"]["url"]
    results = await asyncio.gather(
        http.post(target, content=accept("ACCEPTED")),
        (other or http).post(_path(target), content=accept("REJECTED")),
    )
    codes = [r.status_code for r in results]
    if codes == [409, 409]:  # the machine was so slow that the offer expired first
        assert yaml.safe_load((await http.get(target)).text)["phase"] == "EXPIRED"
        return
    # Exactly one wins. Accept first: the reject is no longer an option (422); reject
    # first: the session is final and admits nothing (409).
    assert sorted(codes) in ([200, 409], [200, 422]), [r.text for r in results]
    assert codes in ([200, 422], [409, 200]), codes
    for verdict, r in zip(("ACCEPTED", "REJECTED"), results, strict=True):
        log.append((target, verdict, r.status_code))


def _path(url: str) -> str:
    """The path of an absolute URL (to send it to another broker)."""
    return "/" + url.split("/", 3)[3]


POSTGRES = os.environ.get("EB_TEST_POSTGRES_URL", "")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql",
                 marks=pytest.mark.skipif(not POSTGRES, reason="EB_TEST_POSTGRES_URL is not set")),
]


STEPS = {"preparing": 1.0, "releasing": 1.0}  # held too, published in every schedule


def run_load(urls: list[str], database: str) -> None:
    """25 clients and 5 races against the brokers at ``urls`` (client i uses broker
    i mod n; a race accepts through one and rejects through the next), a sampler on the
    database all the while; then the checks: no overbooking (bookings and published
    schedules), no lost update."""
    sampler = Sampler(database)
    sampler.start()
    log: list[tuple[str, str, int]] = []
    published: list[dict[str, Any]] = []

    async def main() -> None:
        # Idle connections are dropped by the client before uvicorn's 5 s keep-alive ends,
        # so that no request goes out on a connection the server is closing (a ReadError).
        limits = httpx.Limits(max_connections=CLIENTS + 10, keepalive_expiry=1.0)
        clients = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for url in urls]
        try:
            await asyncio.gather(
                *(client_run(clients[seed % len(clients)], seed, log)
                  for seed in range(CLIENTS)),
                *(race(clients[i % len(clients)], log, clients[(i + 1) % len(clients)])
                  for i in range(5)),
            )
            # No lost update: every 200 is what the session shows now (through any broker).
            for index, (url, verdict, status) in enumerate(log):
                if status != 200:
                    continue
                reader = clients[index % len(clients)]
                now = yaml.safe_load((await reader.get(_path(url))).text)["phase"]
                if verdict == "ACCEPTED":
                    assert now in ACCEPTED_LINE, (url, now)
                else:
                    assert now == "REJECTED", (url, now)
            # What the accepted sessions publish, every step counted, fits the platform.
            accepted_urls = {url for url, verdict, status in log
                             if status == 200 and verdict == "ACCEPTED"}
            for url in sorted(accepted_urls):
                published.append(yaml.safe_load((await clients[0].get(_path(url))).text))
        finally:
            for client in clients:
                await client.aclose()

    asyncio.run(main())
    sampler.stop.set()
    sampler.join(timeout=10)
    assert sampler.failure is None, sampler.failure
    assert sampler.samples > 10
    engine = open_engine(database)
    with engine.connect() as connection:
        phases = dict(connection.execute(select(sessions.c.uuid, sessions.c.phase)).all())
        rows = connection.execute(select(bookings)).all()
    engine.dispose()
    accepted = [r for r in rows if phases[r.session] in ACCEPTED_LINE]
    assert accepted, "no session was accepted: the test proves nothing"
    ledger_of(accepted)  # raises Overbooked if the accepted sessions overbook
    check_published(published)
    assert sum(d["compute"]["cores"]["min"] for d in published) > CORES
    assert any(status == 200 and verdict == "ACCEPTED" for _, verdict, status in log)
    # Capacity was the limit: more cores were accepted than exist at one instant, so
    # the broker had to place sessions at different times.
    assert sum(r.cores for r in accepted) > CORES
    assert len({r.start for r in accepted}) > 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_overbooking_and_no_lost_update(tmp_path: Path, backend: str,
                                           request: pytest.FixtureRequest) -> None:
    database = (f"sqlite:///{tmp_path / 'broker.sqlite'}" if backend == "sqlite"
                else request.getfixturevalue("postgres_database"))
    config = make_config(tmp_path, platform={"cores": CORES, "running": 120.0, **STEPS},
                         offer_lifetime=5.0, sweep_interval=0.2, database_url=database)
    with ThreadServer(create_app(config)) as server:
        run_load([server.url], config.database())


@pytest.mark.skipif(not POSTGRES, reason="EB_TEST_POSTGRES_URL is not set")
def test_no_overbooking_across_two_broker_processes(tmp_path: Path,
                                                     postgres_database: str) -> None:
    """The same load shared by two ``ivoa-eb-broker serve`` processes on one PostgreSQL
    database: each client talks to one of them, each race accepts through one and rejects
    through the other. The processes share nothing but the database."""
    database = postgres_database
    brokers = []
    try:
        for index in range(2):
            port = free_port()
            config = tmp_path / f"broker{index}.toml"
            config.write_text("\n".join([
                "[server]", f"port = {port}", 'host = "127.0.0.1"',
                "[database]", f'url = "{database}"',
                "[offers]", "lifetime = 5.0", "sweep_interval = 0.2",
                "[scheduler]", "interval = 0.05",
                "[logging]", 'level = "warning"',
                "[platform]", 'name = "simulated"',
                "[platform.simulated]",
                *(f"{key} = {value!r}" for key, value in
                  {**FAST, "cores": CORES, "running": 120.0, **STEPS}.items()),
            ]) + "\n")
            broker = Subprocess(config, port)
            broker.start()
            brokers.append(broker)
        run_load([b.url for b in brokers], database)
    finally:
        for broker in brokers:
            broker.stop()
