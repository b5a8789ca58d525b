"""A broker process follows the bookings another one changed, and ends where a rebuild would.

Two brokers (two engines, as two processes have) share one database, SQLite or PostgreSQL.
Random interleavings of what changes bookings (offers, accepts, rejects, cancels, failures,
expiry by the sweep and by time) run on either; after each step, each broker's ledger as the
offer path gets it must equal the ledger rebuilt from the table, and must have been kept or
followed, never rebuilt (only the first use of a broker builds it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ivoa_eb_broker.core import Capacity, Event, Ledger
from ivoa_eb_broker.platforms.simulated import SimulatedPlatform, SimulatedSettings
from ivoa_eb_broker.service.broker import Broker, Received, Settings
from ivoa_eb_broker.service.errors import Problem
from ivoa_eb_broker.service.ledger_cache import LedgerCache
from ivoa_eb_broker.service.rows import FOREVER, booking_of_row
from ivoa_eb_broker.service.sessions import ENUM_UPDATE
from ivoa_eb_broker.store import migrate, open_engine, transaction
from ivoa_eb_broker.store import repository as repo
from sqlalchemy import Engine

from .conftest import request_document

LIFETIME = timedelta(minutes=5)
CORES = 8


class Clock:
    """The brokers' shared clock, moved on by the test."""

    def __init__(self) -> None:
        self.now = datetime(2031, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def broker_on(engine: Engine, clock: Clock) -> Broker:
    platform = SimulatedPlatform(SimulatedSettings(cores=CORES, memory=32, storage=100,
                                                   preparing=0, releasing=0))
    return Broker(engine, platform, Settings(offer_lifetime=LIFETIME), clock=clock)


def cache_of(broker: Broker) -> LedgerCache:
    return broker._caches[broker.fleet.default.name]


def as_used(ledger: Ledger, now: datetime) -> tuple[dict[str, tuple[Any, ...]], list[Any]]:
    """What a ledger says from ``now`` on (what planning sees): each booking not yet ended,
    and the resources used over the next year."""
    books = {b.id: (str(b.state), b.start, b.end, b.resources, b.expires)
             for b in ledger if b.end > now}
    return books, ledger.profile(now, now + timedelta(days=365))


def check(broker: Broker, clock: Clock) -> None:
    """The ledger the offer path would plan on now equals one rebuilt from the table."""
    member = broker.fleet.default
    cache = cache_of(broker)
    with cache.lock, transaction(broker.engine, exclusive=True) as connection:
        generation = repo.lock_ledger(connection, member.name)
        ledger, _ = broker.offers._ledger(member, connection, clock(), generation)
        rows = repo.live_bookings(connection, clock(), clock(), FOREVER)
        fresh = Ledger.from_bookings(ledger.capacity, (booking_of_row(r) for r in rows))
        fresh.expire(clock())
    cache.keep(ledger, generation)
    assert ledger.capacity == Capacity.constant(CORES, 32, 100)
    assert as_used(ledger, clock()) == as_used(fresh, clock())


def update(broker: Broker, uuid: str, phase: str) -> None:
    change = {"path": "phase", "kind": ENUM_UPDATE, "value": phase}
    try:
        asyncio.run(broker.update(uuid, change))
    except Problem:
        pass  # not allowed in its phase any more (expired, rejected, ...): nothing changes


def step(brokers: dict[str, Broker], clock: Clock, offered: list[str], who: str,
         action: str, pick: int, cores: int) -> None:
    broker = brokers[who]
    target = offered[pick % len(offered)] if offered else None
    if action == "request":
        document = request_document(cores=cores, duration=f"PT{10 * cores}M")
        written = asyncio.run(broker.offers.make(
            Received(document, [], "application/yaml", "")))
        offered.extend(session["uuid"] for session in written.sessions)
    elif action == "time":  # holds lapse by time alone; the sweep marks them later
        clock.now += timedelta(minutes=cores)
    elif action == "sweep":
        asyncio.run(broker.sweep())
    elif target is None:
        return
    elif action == "fail":
        broker.advance(target, Event.FAIL, release=True)
    else:
        update(broker, target, action)


ACTIONS = st.sampled_from(["request", "request", "ACCEPTED", "ACCEPTED", "REJECTED",
                           "CANCELLED", "fail", "time", "sweep"])
STEPS = st.lists(st.tuples(st.sampled_from(["a", "b"]), ACTIONS, st.integers(0, 99),
                           st.integers(1, 4)), min_size=1, max_size=24)


def run_example(engines: tuple[Engine, Engine], clock: Clock,
                steps: list[tuple[str, str, int, int]]) -> None:
    clock.now += timedelta(days=400)  # whatever an earlier example left has ended
    brokers = {"a": broker_on(engines[0], clock), "b": broker_on(engines[1], clock)}
    for broker in brokers.values():
        check(broker, clock)  # the first use builds the ledger
    offered: list[str] = []
    for who, action, pick, cores in steps:
        step(brokers, clock, offered, who, action, pick, cores)
        for broker in brokers.values():
            check(broker, clock)
    for broker in brokers.values():
        assert cache_of(broker).counts["rebuilt"] == 1, cache_of(broker).counts


def two_engines(url: str) -> Iterator[tuple[Engine, Engine]]:
    first, second = open_engine(url), open_engine(url)
    migrate(first)
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()


@pytest.fixture
def sqlite_engines(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    yield from two_engines(f"sqlite:///{tmp_path / 'shared.sqlite'}")


@pytest.fixture
def postgres_engines(postgres_database: str) -> Iterator[tuple[Engine, Engine]]:
    yield from two_engines(postgres_database)


CLOCK = Clock()  # shared by the examples of a test: each starts long after the last
EXAMPLES = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@EXAMPLES
@given(steps=STEPS)
def test_followed_ledgers_equal_rebuilt_ones_on_sqlite(
    sqlite_engines: tuple[Engine, Engine], steps: list[tuple[str, str, int, int]]
) -> None:
    run_example(sqlite_engines, CLOCK, steps)


@settings(EXAMPLES, max_examples=12)
@given(steps=STEPS)
def test_followed_ledgers_equal_rebuilt_ones_on_postgresql(
    postgres_engines: tuple[Engine, Engine], steps: list[tuple[str, str, int, int]]
) -> None:
    run_example(postgres_engines, CLOCK, steps)


def follow_once(engines: tuple[Engine, Engine]) -> None:
    """B offers; A's next ledger reads just B's three new bookings."""
    clock = Clock()
    a, b = broker_on(engines[0], clock), broker_on(engines[1], clock)
    check(a, clock)
    written = asyncio.run(b.offers.make(Received(request_document(), [], "x", "")))
    assert len(written.sessions) == 3
    check(a, clock)
    counts = cache_of(a).counts
    assert (counts["rebuilt"], counts["followed"], counts["applied"]) == (1, 1, 3)
    update(b, written.sessions[0]["uuid"], "ACCEPTED")  # commit one, release two
    check(a, clock)
    assert (counts["rebuilt"], counts["followed"], counts["applied"]) == (1, 2, 6)
    ledger = cache_of(a)._ledger
    assert ledger is not None
    assert [str(booking.state) for booking in ledger] == ["COMMITTED"]


def test_a_process_follows_another_on_sqlite(sqlite_engines: tuple[Engine, Engine]) -> None:
    follow_once(sqlite_engines)


def test_a_process_follows_another_on_postgresql(
    postgres_engines: tuple[Engine, Engine]
) -> None:
    follow_once(postgres_engines)


def test_an_unmarked_change_is_rebuilt_not_followed(
    sqlite_engines: tuple[Engine, Engine]
) -> None:
    """A writer that bumps the generation without marking its bookings (an older broker)
    leaves nothing to follow: the ledger is rebuilt, and is right."""
    clock = Clock()
    a = broker_on(sqlite_engines[0], clock)
    asyncio.run(a.offers.make(Received(request_document(), [], "x", "")))
    with transaction(sqlite_engines[1], exclusive=True) as connection:
        repo.set_bookings(connection, "RELEASED")
        repo.bump_generation(connection, a.fleet.default.name)
    check(a, clock)
    assert cache_of(a).counts["rebuilt"] == 2
    assert len(cache_of(a)._ledger or ()) == 0


def test_too_many_changes_are_rebuilt(
    sqlite_engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the follow limit, rebuilding is as cheap: so it rebuilds."""
    from ivoa_eb_broker.service import ledger_cache

    monkeypatch.setattr(ledger_cache, "FOLLOW_LIMIT", 2)
    clock = Clock()
    a, b = broker_on(sqlite_engines[0], clock), broker_on(sqlite_engines[1], clock)
    check(a, clock)
    asyncio.run(b.offers.make(Received(request_document(), [], "x", "")))  # 3 bookings
    check(a, clock)
    assert (cache_of(a).counts["rebuilt"], cache_of(a).counts["followed"]) == (2, 0)



def test_an_optimistic_plan_that_no_longer_fits_is_made_again_under_the_lock(
    postgres_engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plans without the ledger row's lock; B takes the whole platform before A locks it.
    A's offers no longer fit: A plans again under the lock, and nothing is overbooked."""
    clock = Clock()
    a, b = broker_on(postgres_engines[0], clock), broker_on(postgres_engines[1], clock)
    check(a, clock)
    whole = request_document(cores=CORES, memory=1, duration="PT30M")
    taken: list[Any] = []
    read = repo.generation_of

    def racing(connection: Any, platform: str) -> int:
        generation = read(connection, platform)
        if not taken:  # once, after A read the generation: B offers the same slots
            taken.append(None)  # (B reads the generation too)
            taken.append(asyncio.run(b.offers.make(Received(whole, [], "x", ""))))
        return generation

    monkeypatch.setattr(repo, "generation_of", racing)
    mine = asyncio.run(a.offers.make(Received(whole, [], "x", "")))
    assert cache_of(a).counts["replanned"] == 1
    theirs = taken[1].bookings
    assert len(mine.bookings) == len(theirs) == 3
    for booking in mine.bookings:  # the whole platform each: no overlap with B's
        assert all(booking["end"] <= other["start"] or other["end"] <= booking["start"]
                   for other in theirs)
    check(a, clock)  # the table rebuilds without Overbooked, and A's ledger equals it
    check(b, clock)
    assert cache_of(a).counts["rebuilt"] == 1


def test_a_hold_lapsed_by_the_writers_clock_has_lapsed_for_the_reader(
    sqlite_engines: tuple[Engine, Engine]
) -> None:
    """B holds the room of A's lapsed (not yet swept) holds. A's request read its clock
    before B committed: its ledger must be right for a time read after the bookings, at
    which those holds have lapsed too, not for its first reading (found overbooked then)."""
    clock = Clock()
    a, b = broker_on(sqlite_engines[0], clock), broker_on(sqlite_engines[1], clock)
    whole = request_document(cores=CORES, memory=1, duration="PT30M")
    asyncio.run(a.offers.make(Received(whole, [], "x", "")))
    began = clock.now
    clock.now += LIFETIME + timedelta(seconds=1)  # A's holds lapse
    asyncio.run(b.offers.make(Received(whole, [], "x", "")))  # in the same room
    readings = iter([began + LIFETIME - timedelta(seconds=1)])  # A's first: before that
    a.offers.clock = lambda: next(readings, clock.now)
    written = asyncio.run(a.offers.make(Received(whole, [], "x", "")))
    assert written.offerset["result"] == "YES"
    check(a, clock)
    assert cache_of(a).counts["rebuilt"] == 1
