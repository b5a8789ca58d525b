"""Prometheus metrics at ``/metrics``: requests, offers, sessions, platform calls, the ledger.

Three sources, each where it is cheapest and truest:

- HTTP requests, counted and timed by :class:`MetricsMiddleware` per operation (the route's
  method and path template, so a uuid never becomes a label) and status;
- platform calls and their errors, timed per platform and call by wrapping each platform in
  :class:`~ivoa_eb_broker.platforms.instrumented.Instrumented` (:meth:`Metrics.instrument`);
- offers, sessions by phase and the ledger's bookings, counted in the database when Prometheus
  scrapes (:class:`StoreCollector`): the store is the truth, it survives restarts, and several
  broker processes on one database report the same figures.

Each app has its own registry, so that apps in one process (tests) do not share figures.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.lifecycle import Phase
from ..platforms.instrumented import Instrumented
from ..service.fleet import Fleet
from ..store.schema import bookings, sessions

#: Phases of a session that was accepted at some time (the rest were never, or not yet).
_NOT_ACCEPTED = {Phase.INITIAL, Phase.OFFERED, Phase.REJECTED, Phase.EXPIRED}
#: Request latency buckets, seconds: the interface answers in milliseconds, a slow platform
#: check in seconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class StoreCollector(Collector):
    """Offers, sessions by phase and bookings, counted in the database at each scrape."""

    def __init__(self, engine: Engine, default_platform: str) -> None:
        self.engine = engine
        self.default_platform = default_platform

    def collect(self) -> Iterator[Any]:
        by_phase = GaugeMetricFamily(
            "eb_sessions", "Sessions (offers included) by phase and platform, now.",
            labels=["phase", "platform"])
        offers = CounterMetricFamily(
            "eb_offers", "Offers made, and how many were accepted, rejected or expired, since "
            "the database was created.", labels=["outcome", "platform"])
        ledger = GaugeMetricFamily(
            "eb_ledger_bookings", "Bookings in the ledger by state and platform: the size of "
            "what every offer is planned against.", labels=["state", "platform"])
        with self.engine.connect() as connection:
            phases = connection.execute(
                select(sessions.c.platform, sessions.c.phase, func.count())
                .group_by(sessions.c.platform, sessions.c.phase)).all()
            states = connection.execute(
                select(bookings.c.platform, bookings.c.state, func.count())
                .group_by(bookings.c.platform, bookings.c.state)).all()
        outcomes: dict[tuple[str, str], int] = {}
        for platform, phase, count in phases:
            name = platform or self.default_platform
            by_phase.add_metric([phase, name], count)
            for outcome in _outcomes(phase):
                outcomes[(outcome, name)] = outcomes.get((outcome, name), 0) + count
        for (outcome, name), count in sorted(outcomes.items()):
            offers.add_metric([outcome, name], count)
        for platform, state, count in states:
            ledger.add_metric([state, platform or self.default_platform], count)
        yield from (by_phase, offers, ledger)


def _outcomes(phase: str) -> list[str]:
    found = ["made"]
    if phase not in _NOT_ACCEPTED:
        found.append("accepted")
    elif phase in (Phase.REJECTED, Phase.EXPIRED):
        found.append(phase.lower())
    return found


class Metrics:
    """The registry of one app and the instruments the middleware and platforms feed."""

    def __init__(self, engine: Engine, fleet: Fleet) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "eb_http_requests", "HTTP requests answered, by operation and status.",
            ["operation", "status"], registry=self.registry)
        self.latency = Histogram(
            "eb_http_request_duration_seconds", "Time to answer an HTTP request.",
            ["operation", "status"], buckets=_BUCKETS, registry=self.registry)
        self.platform_calls = Counter(
            "eb_platform_calls", "Calls to an execution platform, by platform and call.",
            ["platform", "call"], registry=self.registry)
        self.platform_errors = Counter(
            "eb_platform_errors", "Platform calls that failed (raised, or a health check "
            "that found the engine down), by platform and call.",
            ["platform", "call"], registry=self.registry)
        self.platform_latency = Histogram(
            "eb_platform_call_duration_seconds", "Time a platform call took.",
            ["platform", "call"], buckets=_BUCKETS, registry=self.registry)
        self.registry.register(StoreCollector(engine, fleet.default.name))

    def instrument(self, fleet: Fleet) -> Fleet:
        """The same platforms, each wrapped so that its calls are counted and timed."""
        return Fleet([dataclasses.replace(
            m, platform=Instrumented(m.platform, m.name, self.observe)) for m in fleet])

    def observe(self, platform: str, call: str, seconds: float, ok: bool) -> None:
        self.platform_calls.labels(platform, call).inc()
        self.platform_latency.labels(platform, call).observe(seconds)
        if not ok:
            self.platform_errors.labels(platform, call).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request by operation (``GET /sessions/{uuid}``; ``other``
    for a path no route serves) and status. Pure ASGI: it adds no buffering to answers."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list[Any]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    def operation(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return f"{scope['method']} {getattr(route, 'path', 'other')}"
        return "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500  # an exception before the answer starts is a server error

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            operation = self.operation(scope)
            labels = (operation, str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - began)


async def endpoint(request: Request) -> Response:
    """The Prometheus text exposition (the database is read in a worker thread)."""
    metrics: Metrics = request.app.state.metrics
    body = await anyio.to_thread.run_sync(metrics.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
