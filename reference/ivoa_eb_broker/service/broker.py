"""The application service: requests become offers, offers become sessions, updates apply.

:class:`Broker` joins the two halves, :class:`~.offers.Offers` (planning and holding) and
:class:`~.sessions.Sessions` (reading, expiry, updates, the scheduler's steps), over one
database, platforms, clock, ledger cache and lock. Each operation is one database
transaction run in a worker thread, so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from ..core import Phase
from ..platforms import Platform
from ..store.schema import sessions as sessions_table
from . import documents, listing, waiting
from .context import Received, Settings, now
from .errors import bad_request
from .fleet import Fleet, Member
from .ledger_cache import LedgerCache
from .messages import error
from .offers import Offers
from .ownership import Identity
from .rows import session_document
from .sessions import ENUM_UPDATE, Sessions, Step

__all__ = ["Broker", "Received", "Settings"]


class Broker:
    """The broker's operations, independent of HTTP."""

    def __init__(
        self,
        engine: Engine,
        platform: Platform | Fleet | Sequence[Member],
        settings: Settings | None = None,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.engine = engine
        #: Every platform the broker fronts; ``platform`` is the first (the default).
        self.fleet = Fleet.of(platform)
        self.platform = self.fleet.default.platform
        self.settings = settings or Settings()
        self.clock = clock
        lock = threading.RLock()
        self._caches = {m.name: LedgerCache(lock) for m in self.fleet}
        self._cache = self._caches[self.fleet.default.name]
        shared = (engine, self.fleet, self.settings, clock, self._caches, asyncio.Lock())
        self.offers = Offers(*shared)
        self.sessions = Sessions(*shared)
        # Reading and changing sessions, and the scheduler's steps, are the sessions' own.
        self.offerset = self.sessions.offerset
        self.session = self.sessions.session
        self.sweep = self.sessions.sweep
        #: Wakes blocking reads (UWS-06) when this process changes a session's phase.
        self.watch = waiting.PhaseWatch()
        self.advance = self._advance
        self.note = self.sessions.note
        self.active = self.sessions.active
        self.row = self.sessions.row
        self.snapshot = self.sessions.snapshot
        self.booking = self.sessions.booking
        self.job = self.sessions.job
        self.member = self.sessions.member

    def _advance(self, uuid: str, *args: Any, **kwargs: Any) -> Any:
        """The scheduler's phase change (:meth:`Sessions.advance`), waking blocking reads."""
        try:
            return self.sessions.advance(uuid, *args, **kwargs)
        finally:
            self.watch.changed(uuid)

    def advance_many(self, steps: Sequence[Step]) -> list[Phase | None | Exception]:
        """Several phase changes in one transaction (:meth:`Sessions.advance_many`), waking
        blocking reads of each session."""
        try:
            return self.sessions.advance_many(steps)
        finally:
            for step in steps:
                self.watch.changed(step.uuid)

    async def update(self, uuid: str, update: Any, warnings: Sequence[dict[str, Any]] = (),
                     caller: Identity | None = None, base: str | None = None
                     ) -> dict[str, Any] | None:
        """A client's update (:meth:`Sessions.update`), waking blocking reads."""
        try:
            return await self.sessions.update(uuid, update, warnings, caller, base)
        finally:
            self.watch.changed(uuid)

    async def waited(self, uuid: str, base: str, caller: Identity | None,
                     wait: waiting.WaitQuery) -> dict[str, Any]:
        """The session once its phase changes, or after the bounded wait (UWS-06)."""
        return await waiting.wait_for_change(
            lambda: self.session(uuid, base, caller), wait,
            lambda seconds: self.watch.pause(uuid, seconds))

    async def sessions_page(self, query: listing.SessionQuery, base: str,
                            caller: Identity | None) -> dict[str, Any]:
        """One page of the caller's sessions (UWS-01..UWS-04), offers past expiry EXPIRED."""
        await self.sweep()
        return await self.sessions.in_thread(
            listing.page, self.engine, sessions_table, query, base, caller,
            lambda row, said: session_document(row, base, said, caller))

    @property
    def on_accept(self) -> Callable[[str], None]:
        return self.sessions.on_accept

    @on_accept.setter
    def on_accept(self, callback: Callable[[str], None]) -> None:
        self.sessions.on_accept = callback

    @property
    def on_cancel(self) -> Callable[[str], Any]:
        return self.sessions.on_cancel

    @on_cancel.setter
    def on_cancel(self, callback: Callable[[str], Any]) -> None:
        self.sessions.on_cancel = callback

    async def request(self, received: Received, count: int | None = None,
                      caller: Identity | None = None) -> str:
        """Plan, hold and store offers for a request, owned by ``caller``; the offer set's
        uuid."""
        return await self.offers.request(received, count, caller)

    async def offer(self, received: Received, base: str, count: int | None = None,
                    caller: Identity | None = None) -> tuple[str, dict[str, Any]]:
        """Plan, hold and store offers, owned by ``caller``; the offer set's uuid and its
        answer (URLs under ``base``), rendered from what was written."""
        return await self.offers.answer(received, base, count, caller)

    async def direct(self, received: Received, caller: Identity | None = None) -> str:
        """Plan one offer and accept it at once; the session's uuid. 400 if impossible."""
        written = await self.offers.make(received, 1, caller)
        if not written.sessions:
            messages = written.messages[written.uuid]
            raise bad_request(
                [documents.message_document(m) for m in messages if m["level"] == "ERROR"]
                or [error("The request cannot be run", path="")]
            )
        first = str(written.sessions[0]["uuid"])
        await self.update(first, {"kind": ENUM_UPDATE, "path": "/phase", "value": "ACCEPTED"},
                          caller=caller)
        return first
