"""Several broker processes on one port: ``ivoa-eb-broker serve --workers N``.

uvicorn starts N worker processes that share the listening socket; each builds its own app
(engine, platforms, scheduler) from the same settings, handed over in an environment
variable. They coordinate only through the database, exactly as separate brokers on one
database do: check-and-hold locks the platform's ``ledger_locks`` row (PostgreSQL) or takes
the write lock (SQLite), and every session write is a compare-and-set, so no capacity is
booked twice and no phase change is lost. The schema is migrated once, before the workers
start, so that they do not race to create it. Each worker bounds its connections as a single
broker does (:mod:`.http.limits`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette

from . import config as configuration
from .http.limits import GuardedH11Protocol, uvicorn_options

#: The environment variable that carries ``serve``'s config file and options to workers.
SETTINGS_VARIABLE = "IVOA_EB_BROKER_SERVE"


class WorkerH11Protocol(GuardedH11Protocol):
    """The guarded h11 protocol of a worker: a class by name, as uvicorn hands it to its
    worker processes; each sets the head deadline from the handed settings (:func:`app`)."""


def prepare(settings: configuration.Config) -> None:
    """Migrate the database once, in the parent, before any worker opens it."""
    from .store import migrate, open_engine

    engine = open_engine(settings.database())
    try:
        migrate(engine)
    finally:
        engine.dispose()


def run(config_file: Path | None, options: Mapping[str, object],
        settings: configuration.Config, workers: int) -> None:
    """Serve with ``workers`` processes until interrupted."""
    import uvicorn

    os.environ[SETTINGS_VARIABLE] = json.dumps(
        {"config": str(config_file) if config_file else None, "options": dict(options)}
    )
    limits = {**uvicorn_options(settings), "http": WorkerH11Protocol}
    uvicorn.run(
        "ivoa_eb_broker.workers:app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        lifespan="on",
        **limits,
    )


def app() -> Starlette:
    """The app of one worker, from the settings its parent handed over."""
    from .http import create_app

    handed = json.loads(os.environ[SETTINGS_VARIABLE])
    config_file = Path(handed["config"]) if handed["config"] else None
    settings = configuration.load(config_file, **handed["options"])
    configuration.configure_logging(settings.log_format, settings.log_level)
    WorkerH11Protocol.header_timeout = settings.header_timeout
    return create_app(settings)
