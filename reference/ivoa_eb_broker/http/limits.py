"""Limits on connections, so that slow or stalled clients cannot hold the broker's sockets.

uvicorn bounds a few things itself: an idle keep-alive connection (``timeout_keep_alive``),
the number of connections and requests at once (``limit_concurrency``; beyond it a request
is answered 503) and the size of a request head (``h11_max_incomplete_event_size``). It has
no deadline for the request head, though: a connection that sends nothing, or sends its
headers a byte at a time, stays open for ever. :class:`GuardedH11Protocol` adds one
(``header_timeout``, from connecting or from the previous answer). The body has its own
deadline in the app's body reader (:mod:`.body`), answered 408.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from ..config import Config


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head."""

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        """Close the connection unless a new request head is in by the deadline: a new head
        replaces ``self.cycle``, which the timer compares with the one it saw."""
        self._disarm_head_deadline()
        if self.transport.is_closing():
            return
        waiting_after = self.cycle

        def expire() -> None:
            if self.cycle is waiting_after and not self.transport.is_closing():
                self.transport.close()

        self._head_deadline = self.loop.call_later(self.header_timeout, expire)

    def _disarm_head_deadline(self) -> None:
        deadline = getattr(self, "_head_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._head_deadline = None


def uvicorn_options(config: Config) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` that bound connections, from the config."""
    protocol = type("GuardedH11Protocol", (GuardedH11Protocol,),
                    {"header_timeout": config.header_timeout})
    return {
        "http": protocol,
        "timeout_keep_alive": config.keep_alive_timeout,
        "limit_concurrency": config.max_connections,
        "h11_max_incomplete_event_size": config.header_limit,
    }
