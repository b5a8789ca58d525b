"""What the service's parts share: the database, the platform, settings, clock, the ledger.

:class:`Part` is the base of :class:`~.offers.Offers` and :class:`~.sessions.Sessions`, the
two halves of the service; :class:`~.broker.Broker` puts them together.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import Connection, Engine

from ..platforms import Platform
from ..store import repository as repo
from .ledger_cache import LedgerCache

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """What the service reads from config."""

    offer_count: int = 3
    offer_lifetime: timedelta = timedelta(minutes=5)
    default_duration: timedelta = timedelta(hours=1)
    horizon: timedelta = timedelta(days=30)


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
    """Shared state and the two helpers every operation uses."""

    def __init__(
        self,
        engine: Engine,
        platform: Platform,
        settings: Settings,
        clock: Callable[[], datetime],
        cache: LedgerCache,
        lock: asyncio.Lock,
    ) -> None:
        self.engine = engine
        self.platform = platform
        self.settings = settings
        self.clock = clock
        self._cache = cache
        #: Serialises check-and-hold and accept within this process.
        self._ledger_lock = lock

    async def in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking database step in a worker thread."""
        return await anyio.to_thread.run_sync(function, *args)

    def _changed(self, connection: Connection) -> int:
        """Note in the database that this transaction changes bookings."""
        return repo.bump_generation(connection, self.platform.name)
