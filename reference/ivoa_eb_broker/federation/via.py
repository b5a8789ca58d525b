"""The loop guard: the ``EB-Via`` header, a list of the brokers a request has passed.

Like HTTP ``Via``: a head adds its own id when it forwards a request to a child
(``EB-Via: head-1, head-2``). A broker that finds its own id in the header of a request
refuses it (answers NO naming the loop), so a misconfigured cycle of heads ends after one
round instead of looping. The header of the request being served is kept in a context
variable by :class:`ViaMiddleware`, so the service's signatures need not change.
"""

from __future__ import annotations

import contextvars
from typing import Any

HEADER = "EB-Via"
_CURRENT: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("eb_via",
                                                                           default=())


def parse(value: str | None) -> tuple[str, ...]:
    """The broker ids of a header value (comma separated, spaces ignored)."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def current() -> tuple[str, ...]:
    """The ids the request being served has passed."""
    return _CURRENT.get()


def forwarded(ids: tuple[str, ...], own: str) -> str:
    """The header a head sends on: the ids so far, then its own."""
    return ", ".join((*ids, own))


class ViaMiddleware:
    """Pure ASGI middleware: keeps the request's ``EB-Via`` for the service."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = [v for k, v in scope.get("headers", []) if k.lower() == b"eb-via"]
        token = _CURRENT.set(parse(b",".join(raw).decode("latin-1")))
        try:
            await self.app(scope, receive, send)
        finally:
            _CURRENT.reset(token)
