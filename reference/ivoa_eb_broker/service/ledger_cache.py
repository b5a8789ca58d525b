"""The booking ledger kept in memory between requests, valid while the database agrees.

Rebuilding the core's :class:`~ivoa_eb_broker.core.Ledger` from the bookings table on every
request costs O(n log n) in the live bookings; keeping it costs nothing. The database's
``ledger_locks.generation`` counter says whether the kept ledger is still right: every
transaction that changes bookings bumps it, and tells the cache which changes it made
(after it committed). The cache applies them only if it was exactly one generation behind;
anything else (a change by another broker process, a change applied out of order, an
error) drops it, and the next request reloads from the table. Correct first, fast usually.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from ..core import Ledger, LedgerError

#: A change made to the bookings: ("release" | "commit", booking id).
Change = tuple[str, str]


class LedgerCache:
    """One ledger and the generation it reflects; all access under :attr:`lock`."""

    def __init__(self, lock: threading.RLock | None = None) -> None:
        #: May be shared by the caches of several platforms, so that one lock covers all.
        self.lock = lock or threading.RLock()
        self._ledger: Ledger | None = None
        self._generation: int | None = None

    def get(self, generation: int) -> Ledger | None:
        """The kept ledger if it reflects ``generation`` (call with :attr:`lock` held)."""
        if self._ledger is not None and self._generation == generation:
            return self._ledger
        return None

    def keep(self, ledger: Ledger, generation: int) -> None:
        with self.lock:
            self._ledger, self._generation = ledger, generation

    def drop(self) -> None:
        with self.lock:
            self._ledger, self._generation = None, None

    def applied(self, before: int, changes: Iterable[Change]) -> None:
        """A committed transaction moved the generation from ``before`` to ``before + 1``
        with ``changes``: follow it, or drop the ledger if it cannot be followed."""
        with self.lock:
            ledger = self._ledger
            if ledger is None or self._generation != before:
                self._ledger, self._generation = None, None
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
