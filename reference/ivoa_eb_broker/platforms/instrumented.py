"""A platform seen through a meter: every call to the engine is timed and its outcome noted.

:class:`Instrumented` wraps any :class:`~.base.Platform` and reports each call (name, seconds,
whether it raised) to an ``observe`` callback; the HTTP layer feeds Prometheus with it
(:mod:`ivoa_eb_broker.http.metrics`). Wrapping keeps the engines free of metrics code, and
one wrapper serves every engine, the sites' own included.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from .base import Capability, Capacity, Health, Job, Platform, Reason, Status

#: ``observe(platform name, call, seconds, ok)``.
Observer = Callable[[str, str, float, bool], None]

T = TypeVar("T")


class Instrumented(Platform):
    """Delegates to ``inner`` and reports each engine call; other attributes (settings, an
    engine's own methods) are the inner platform's."""

    def __init__(self, inner: Platform, label: str, observe: Observer) -> None:
        self.inner = inner
        self.label = label
        self.name = inner.name
        self._observe = observe

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def _call(self, call: str, step: Callable[[], Awaitable[T]]) -> T:
        began = time.perf_counter()
        ok = False
        try:
            result = await step()
            ok = True
            return result
        finally:
            self._observe(self.label, call, time.perf_counter() - began, ok)

    def declared(self) -> tuple[Capability, ...]:  # type: ignore[override]
        """The inner platform's declarations (called on this instance, not the class)."""
        return self.inner.declared()

    def supported_kinds(self) -> frozenset[str]:
        return self.inner.supported_kinds()

    def resource_kinds(self) -> frozenset[str] | None:
        return self.inner.resource_kinds()

    def timings(self) -> tuple[timedelta, timedelta]:
        return self.inner.timings()

    def capacity(self) -> Capacity:
        return self._sync("capacity", self.inner.capacity)

    def largest(self) -> Capacity | None:
        return self._sync("largest", self.inner.largest)

    def _sync(self, call: str, step: Callable[[], T]) -> T:
        began = time.perf_counter()
        ok = False
        try:
            found = step()
            ok = True
            return found
        finally:
            self._observe(self.label, call, time.perf_counter() - began, ok)

    async def check(self, request: Mapping[str, Any]) -> list[Reason]:
        return await self._call("check", lambda: self.inner.check(request))

    async def hold(self, job: Job) -> None:
        await self._call("hold", lambda: self.inner.hold(job))

    async def prepare(self, job: Job) -> None:
        await self._call("prepare", lambda: self.inner.prepare(job))

    async def start(self, job: Job) -> str:
        return await self._call("start", lambda: self.inner.start(job))

    async def poll(self, handle: str) -> Status:
        return await self._call("poll", lambda: self.inner.poll(handle))

    async def cancel(self, handle: str) -> None:
        await self._call("cancel", lambda: self.inner.cancel(handle))

    async def release(self, job: Job) -> None:
        await self._call("release", lambda: self.inner.release(job))

    async def health(self) -> Health:
        """Counted as an error when the engine is down (the check itself never raises)."""
        began = time.perf_counter()
        found = Health(False)
        try:
            found = await self.inner.health()
            return found
        finally:
            self._observe(self.label, "health", time.perf_counter() - began, found.ok)

    async def close(self) -> None:
        await self.inner.close()
