"""What the service's parts share: the database, the platform, settings, clock, the ledger.

:class:`Part` is the base of :class:`~.offers.Offers` and :class:`~.sessions.Sessions`, the
two halves of the service; :class:`~.broker.Broker` puts them together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import Connection, Engine

from ..platforms import Platform
from ..store import repository as repo
from .fleet import Fleet, Member
from .ledger_cache import Change, LedgerCache

#: A change to the bookings of one platform: (platform name, change).
PlatformChange = tuple[str, Change]
#: What a transaction did to each platform's generation: (platform, before, changes).
Bumped = list[tuple[str, int, list[Change]]]

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """What the service reads from config."""

    offer_count: int = 3
    offer_lifetime: timedelta = timedelta(minutes=5)
    default_duration: timedelta = timedelta(hours=1)
    horizon: timedelta = timedelta(days=30)
    #: Per identity (0: no limit): most live offers, most active sessions.
    max_live_offers: int = 0
    max_active_sessions: int = 0


@dataclass(frozen=True)
class Received:
    """A request as received: its parsed, alias-mapped document, the warnings that mapping
    produced, and the body as sent (kept with the offer set, decision 11)."""

    document: dict[str, Any]
    warnings: list[dict[str, Any]]
    media_type: str
    body: str


def now() -> datetime:
    return datetime.now(UTC)


class Part:
    """Shared state and the helpers every operation uses."""

    def __init__(
        self,
        engine: Engine,
        fleet: Fleet,
        settings: Settings,
        clock: Callable[[], datetime],
        caches: Mapping[str, LedgerCache],
        lock: asyncio.Lock,
    ) -> None:
        self.engine = engine
        self.fleet = fleet
        self.settings = settings
        self.clock = clock
        #: One kept ledger per platform, by platform name (they share one lock).
        self._caches = caches
        #: Serialises check-and-hold and accept within this process.
        self._ledger_lock = lock

    @property
    def platform(self) -> Platform:
        """The first (default) platform."""
        return self.fleet.default.platform

    @property
    def _cache(self) -> LedgerCache:
        """The first platform's kept ledger."""
        return self._caches[self.fleet.default.name]

    def platform_name(self, row: Mapping[str, Any]) -> str:
        """The platform a session or booking row belongs to (NULL: the default one)."""
        return row.get("platform") or self.fleet.default.name

    def member(self, row: Mapping[str, Any]) -> Member | None:
        """The configured platform of a session row; None if it is no longer configured."""
        return self.fleet.get(self.platform_name(row))

    async def in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking database step in a worker thread."""
        return await anyio.to_thread.run_sync(function, *args)

    def _bump(self, connection: Connection, changes: Iterable[PlatformChange]) -> Bumped:
        """Note in the database that this transaction changes the bookings of each platform
        in ``changes`` (in config order, so that concurrent brokers lock rows alike): bump
        the platform's generation and mark the changed bookings with it."""
        grouped: dict[str, list[Change]] = {}
        for platform, change in changes:
            grouped.setdefault(platform, []).append(change)
        order = [m.name for m in self.fleet if m.name in grouped]
        order += [name for name in grouped if name not in order]  # not configured any more
        return [(name, repo.bump_generation(connection, name, {b for _, b in grouped[name]}),
                 grouped[name]) for name in order]

    def _follow(self, bumped: Bumped) -> None:
        """After commit: each platform's kept ledger follows its changes (or is dropped)."""
        for name, before, changes in bumped:
            cache = self._caches.get(name)
            if cache is not None:
                cache.applied(before, changes)
