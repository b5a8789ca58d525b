"""The booking ledger kept in memory between requests, brought up to date from the database.

Rebuilding the core's :class:`~ivoa_eb_broker.core.Ledger` from the bookings table costs
O(n log n) in the live bookings; keeping it costs nothing. The database's
``ledger_locks.generation`` counter says whether the kept ledger is still right: every
transaction that changes a platform's bookings bumps it while holding the row's lock, and
marks each booking it changed with the new generation (``bookings.generation``).

So a kept ledger at generation ``g`` is brought to the current generation ``c`` in one of
three ways, cheapest first:

- ``g == c``: kept as it is;
- ``g < c``: *followed*: the bookings marked after ``g`` (those changed since, by this
  process or another one) are read and applied (hold the new live ones, commit the
  committed, release the ended, rejected and lapsed). A booking's row carries its state now,
  so applying it once is enough however often it changed; no booking changed after ``g``
  is unmarked, so the ledger then equals one rebuilt from the table;
- otherwise *rebuilt* from all live bookings: no kept ledger, a capacity change, more
  changed bookings than :data:`FOLLOW_LIMIT`, a generation the marks do not account for (a
  writer that bumped without marking), or changes that do not apply (e.g. would overbook:
  a sign that the kept ledger was wrong).

A committed transaction of this process also tells the cache its changes
(:meth:`LedgerCache.applied`), which saves the next request the read. Correct first,
fast usually: whatever cannot be followed is rebuilt.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..core import BookingState, Capacity, Ledger, LedgerError
from .rows import booking_of_row

#: A change made to the bookings: ("release" | "commit", booking id).
Change = tuple[str, str]

#: Most changed bookings a kept ledger follows; beyond, rebuilding is as cheap.
FOLLOW_LIMIT = 1000

#: Reads the bookings marked after a generation (at most ``limit`` + 1 of them).
ChangedSince = Callable[[int, int], Sequence[Mapping[str, Any]]]
#: Reads every live booking (a rebuild).
AllLive = Callable[[], Iterable[Mapping[str, Any]]]


class CannotFollow(Exception):
    """The changed bookings do not account for the generation reached: rebuild."""


class LedgerCache:
    """One ledger and the generation it reflects; all access under :attr:`lock`."""

    def __init__(self, lock: threading.RLock | None = None) -> None:
        #: May be shared by the caches of several platforms, so that one lock covers all.
        self.lock = lock or threading.RLock()
        self._ledger: Ledger | None = None
        self._generation: int | None = None
        #: How each request got its ledger: "kept", "followed" or "rebuilt" (and how many
        #: bookings were "applied" while following; on the first platform's cache, how
        #: many optimistic plans were "replanned" under the lock): what tests look at.
        self.counts: Counter[str] = Counter()

    @property
    def generation(self) -> int | None:
        """The generation the kept ledger reflects (None: none kept)."""
        return self._generation

    def ledger(
        self, generation: int, capacity: Capacity, clock: Callable[[], datetime],
        changed: ChangedSince, live: AllLive,
    ) -> tuple[Ledger, datetime]:
        """The ledger at ``generation`` (call with :attr:`lock` held, inside the transaction
        that read ``generation``): the kept one, followed, or rebuilt (see the module
        docstring), its lapsed holds released; and the time it is right for. It is not
        kept yet: the caller keeps it (:meth:`keep`) after its transaction commits.

        ``clock`` is read after the bookings: a hold another process wrote may rest on its
        clock having passed the ``expires`` of an older hold (whose room it took), and every
        writer read its clock before it committed. So the older hold has lapsed by the time
        read here, never by an earlier one (which would find the two overbooking)."""
        ledger, at = self._ledger, self._generation
        if ledger is not None and at is not None and ledger.capacity == capacity:
            if at == generation:
                now = clock()
                ledger.expire(now)
                self.counts["kept"] += 1
                return ledger, now
            if at < generation:
                try:
                    rows = changed(at, FOLLOW_LIMIT)
                    now = clock()
                    if len(rows) <= FOLLOW_LIMIT:
                        follow(ledger, rows, generation, now)
                        self.counts["followed"] += 1
                        self.counts["applied"] += len(rows)
                        return ledger, now
                except (CannotFollow, LedgerError):
                    pass
        self._ledger, self._generation = None, None  # half-followed or stale: never reused
        self.counts["rebuilt"] += 1
        rows = list(live())
        now = clock()
        fresh = Ledger.from_bookings(
            capacity, (booking_of_row(row) for row in rows if _live(row, now)))
        return fresh, now

    def keep(self, ledger: Ledger, generation: int) -> None:
        with self.lock:
            self._ledger, self._generation = ledger, generation

    def drop(self) -> None:
        with self.lock:
            self._ledger, self._generation = None, None

    def applied(self, before: int, changes: Iterable[Change]) -> None:
        """A committed transaction of this process moved the generation from ``before`` to
        ``before + 1`` with ``changes``: follow it at once if the kept ledger is at
        ``before``. A ledger further behind follows it from the table later; one already
        past it has read it there; one the changes do not apply to is dropped."""
        with self.lock:
            ledger = self._ledger
            if ledger is None or self._generation != before:
                return
            try:
                for action, booking in changes:
                    if booking not in ledger:
                        continue
                    if action == "commit":
                        ledger.commit(booking)
                    else:
                        ledger.release(booking)
            except LedgerError:
                self._ledger, self._generation = None, None
                return
            self._generation = before + 1


def follow(ledger: Ledger, rows: Sequence[Mapping[str, Any]], generation: int,
           now: datetime) -> None:
    """Apply the booking rows changed since the ledger's generation, as they are now.

    A row still takes capacity if it is COMMITTED, or HELD and not lapsed, and has not
    ended (what a rebuild reads); the others leave the ledger. Lapsed holds and releases go
    first, so that the holds (checked against the capacity) meet the same free room as in
    a rebuild. Raises :class:`CannotFollow` when no row carries ``generation`` (the newest
    change is unaccounted for), :class:`LedgerError` when a row does not apply."""
    if not rows or max(row["generation"] for row in rows) != generation:
        raise CannotFollow(f"no booking is marked with generation {generation}")
    ledger.expire(now)
    taking, ending = [], []
    for row in rows:
        (taking if _live(row, now) else ending).append(row)
    for row in ending:
        if row["id"] in ledger:
            ledger.release(row["id"])
    for row in taking:
        booking = booking_of_row(row)
        if booking.id not in ledger:
            ledger.hold(booking.id, booking.owner, booking.group, booking.resources,
                        booking.start, booking.end, expires=booking.expires,
                        state=booking.state)
        elif booking.state is BookingState.COMMITTED:
            ledger.commit(booking.id)
        elif ledger.get(booking.id).state is not BookingState.HELD:
            raise CannotFollow(f"booking {booking.id} is committed here, held in the table")


def _live(row: Mapping[str, Any], now: datetime) -> bool:
    """A booking row that takes capacity at ``now``: COMMITTED, or HELD and not lapsed, and
    not ended."""
    state, expires = row["state"], row["expires"]
    return row["end"] > now and (
        state == "COMMITTED" or (state == "HELD" and (expires is None or expires > now)))
