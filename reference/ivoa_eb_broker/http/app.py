"""The Starlette application: routes, error handlers, and the lifespan that runs the scheduler.

:func:`create_app` wires the parts from a :class:`~ivoa_eb_broker.config.Config`; tests may
pass their own platform (for instance a simulated platform with zero timings) or engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog
from ivoa_eb_spec.iso8601 import parse_duration
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import platforms
from ..auth import Authenticator
from ..config import Config
from ..federation import install as federation
from ..platforms import Platform
from ..service import intake
from ..service.broker import Broker, Settings
from ..service.errors import Problem
from ..service.fleet import Fleet, Member
from ..service.messages import error
from ..service.scheduler import Scheduler
from ..store import durability_warnings, migrate, open_engine
from . import docs, identity, render, routes, uws, vosi
from .metrics import Metrics, MetricsMiddleware
from .metrics import endpoint as metrics_endpoint
from .negotiation import answer_format

log = structlog.get_logger("ivoa_eb_broker.http")


def _http_problem(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 400)
    detail = getattr(exc, "detail", "") or "error"
    failure = Problem(
        status,
        str(detail),
        [error("{method} {target}: {detail}", path="", method=request.method,
               target=request.url.path[:200], detail=str(detail))],
    )
    try:
        chosen = answer_format(request.headers.get("accept"))
    except Problem:
        chosen = None
    return render.problem(failure, chosen)


def _server_error(request: Request, exc: Exception) -> Response:
    """The last resort: a generic body, no internals. Client input never gets here (the
    tests fuzz the endpoints to show it); a bug does, and is logged."""
    log.error("unexpected error", path=request.url.path, error=repr(exc))
    body = (
        "status: 500\ntitle: Internal Server Error\nmessages:\n"
        "- level: ERROR\n  template: The service failed; the failure is logged\n"
        "  values: {path: ''}\n  message: The service failed; the failure is logged\n"
    )
    return Response(body, status_code=500, media_type="application/yaml")


def fleet_of(config: Config) -> Fleet:
    """The platforms of the config, each built by its factory (a clear error if unknown)."""
    if not config.platforms:  # the single form: named like the platform itself
        made = platforms.create(config.platform, config.platform_settings)
        return Fleet([Member(made.name, made, rates=config.platform_rates)])
    members = []
    for table in config.platforms:
        try:
            built = platforms.create(table.type, table.settings)
        except ValueError as problem:  # name the platform table, not only the engine's
            raise ValueError(f"[[platforms]] {table.name} settings: {problem}") from None
        members.append(Member(table.name, built, table.kinds, table.rates))
    return Fleet(members)


def create_app(
    config: Config,
    *,
    platform: Platform | None = None,
    engine: Engine | None = None,
    run_scheduler: bool = True,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """The broker as an ASGI app. The database is migrated here, before the first request.

    The broker fronts ``platform`` when given (a platform, or a :class:`Fleet` of named
    ones), else the platforms of the config: ``[[platforms]]``, or the one ``[platform]``.
    """
    fleet = Fleet.of(platform) if platform is not None else fleet_of(config)
    engine = engine or open_engine(config.database(), synchronous=config.sqlite_synchronous)
    migrate(engine)
    intake.prepare()  # the first requests do not wait for the schemas to be built
    for warning in durability_warnings(engine):
        log.warning("not durable", problem=warning)
    settings = Settings(
        offer_count=config.offer_count,
        offer_lifetime=timedelta(seconds=config.offer_lifetime),
        default_duration=parse_duration(config.default_duration),
        max_live_offers=config.auth.max_live_offers,
        max_active_sessions=config.auth.max_active_sessions,
    )
    metrics = Metrics(engine, fleet)
    broker = Broker(engine, metrics.instrument(fleet), settings,
                    **({"clock": clock} if clock else {}))
    scheduler = Scheduler(broker, None, config.scheduler_interval, config.sweep_interval)
    closing: list[Callable[[], Awaitable[None]]] = []
    auth = Authenticator(config.auth) if config.auth.enabled else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(scheduler.run()) if run_scheduler else None
        log.info("started", platforms=[m.name for m in fleet],
                 database=engine.url.render_as_string())
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await scheduler.stop()
            for close in closing:
                await close()
            for member in fleet:
                await member.platform.close()
            if auth is not None:
                await auth.close()

    route_list = [
        Route("/", docs.index, methods=["GET"]),
        Route("/docs", docs.swagger, methods=["GET"]),
        Route("/openapi.yaml", docs.openapi_yaml, methods=["GET"]),
        Route("/openapi.json", docs.openapi_json, methods=["GET"]),
        Route("/health", routes.health, methods=["GET"]),
        Route("/availability", vosi.availability, methods=["GET"]),
        Route("/capabilities", vosi.capabilities, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/.well-known/oauth-protected-resource", identity.protected_resource,
              methods=["GET"]),
        Route("/requests", routes.post_requests, methods=["POST"]),
        Route("/direct", routes.post_direct, methods=["POST"]),
        Route("/offersets/{uuid}", routes.get_offerset, methods=["GET"]),
        Route("/sessions", uws.list_sessions, methods=["GET"]),
        Route("/sessions/{uuid}", routes.get_session, methods=["GET"]),
        Route("/sessions/{uuid}", routes.post_session, methods=["POST"]),
    ]
    folder = docs.swagger_folder()
    if folder is not None:
        route_list.append(Mount("/docs/static", StaticFiles(directory=folder), name="swagger"))
    app = Starlette(
        routes=route_list,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_problem, Exception: _server_error},
        middleware=[Middleware(MetricsMiddleware, metrics=metrics, routes=route_list)],
    )
    app.state.context = routes.Context(broker, config.body_limit, config.public_url,
                                       config.body_timeout, auth)
    app.state.broker = broker
    app.state.scheduler = scheduler
    app.state.platform = fleet.default.platform
    app.state.platforms = {m.name: m.platform for m in fleet}
    app.state.engine = engine
    app.state.registry = config.registry
    app.state.metrics = metrics
    app.state.up_since = datetime.now(UTC)
    head = federation.install(app, broker, config)  # a head broker: [[children]]
    if head is not None:
        closing.append(head.close)
    return app
