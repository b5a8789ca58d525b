"""The blocking read of a session, like UWS WAIT (requirements UWS-05, UWS-06).

``GET /sessions/{uuid}?wait=N&phase=P`` answers when the session's phase is no longer ``P``
(the phase it had when asked, without ``phase``), or after ``N`` seconds capped at
:data:`MAX_WAIT`, whichever comes first; at once when the phase is terminal. The wait holds
neither a database connection nor a thread: each look is one short read, and between looks
the request sleeps on an :class:`asyncio.Event` that :class:`PhaseWatch` sets when this
process changes the session's phase, with a poll every :data:`POLL` seconds for changes
made elsewhere (another broker process on the same database, a head's sites).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..core import Phase, is_terminal
from .query import PHASES, phase, whole_number

#: The longest a blocking read waits, in seconds (a larger ``wait``, or -1, means this).
MAX_WAIT = 60
#: Seconds between looks at the session when no notification comes.
POLL = 2.0
#: The response header that says a broker honoured ``wait``, and for how many seconds.
HEADER = "EB-Wait"


@dataclass(frozen=True)
class WaitQuery:
    """A blocking read: at most ``seconds``, while the phase is ``phase`` (None: the phase
    found at the first look)."""

    seconds: int
    phase: str | None = None


def parse_wait(items: Sequence[tuple[str, str]]) -> WaitQuery | None:
    """The blocking read asked for by the query's ``(name, value)`` pairs; None without
    ``wait``. A 400 names a parameter that does not parse."""
    found = dict(items)
    if "wait" not in found:
        return None
    text = found["wait"]
    asked = whole_number(
        "wait", text, -1, "expected whole seconds, at least 0, or -1 for the broker's longest wait")
    seconds = MAX_WAIT if asked == -1 else min(asked, MAX_WAIT)
    asked_phase = found.get("phase")
    return WaitQuery(seconds, None if asked_phase is None else phase("phase", asked_phase))


class PhaseWatch:
    """Wakes the blocking reads of a session when this process changes its phase.

    :meth:`changed` may be called from any thread (the service's writes run in worker
    threads); the waiters are events of the event loop that registered them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def changed(self, uuid: str) -> None:
        with self._lock:
            waiters = list(self._waiting.get(uuid, ()))
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    async def pause(self, uuid: str, seconds: float) -> None:
        """Sleep up to ``seconds``, less if the session's phase changes meanwhile."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiting.setdefault(uuid, set()).add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), max(seconds, 0.0))
        except TimeoutError:
            pass
        finally:
            with self._lock:
                waiters = self._waiting.get(uuid)
                if waiters is not None:
                    waiters.discard(entry)
                    if not waiters:
                        del self._waiting[uuid]


async def wait_for_change(
    read: Callable[[], Awaitable[dict[str, Any]]],
    wait: WaitQuery,
    pause: Callable[[float], Awaitable[None]],
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """The session document once its phase differs from ``wait.phase`` or is terminal, or
    the last one read when ``wait.seconds`` have passed."""
    deadline = clock() + wait.seconds
    document = await read()
    waited = wait.phase or str(document.get("phase"))
    while True:
        phase = str(document.get("phase"))
        left = deadline - clock()
        if phase != waited or phase not in PHASES or is_terminal(Phase(phase)) or left <= 0:
            return document
        await pause(min(left, POLL))
        document = await read()
