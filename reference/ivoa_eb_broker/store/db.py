"""Opening the database: engine, SQLite settings, schema migration at start-up.

SQLite (the default) gets WAL journalling (readers do not block the writer), a busy
timeout, foreign keys, and transactions that can be started ``IMMEDIATE`` (taking the write
lock at BEGIN) for check-and-hold, so two broker processes on one file cannot both read the
same free capacity. PostgreSQL needs none of this: check-and-hold locks its row in
``ledger_locks`` with ``SELECT ... FOR UPDATE`` (see :mod:`.repository`).

Durability (requirement LIFE-32): an accept or cancel answered 2xx is committed first, and
a commit must survive power loss. SQLite therefore runs with ``synchronous=FULL`` (in WAL
mode, ``NORMAL`` would make every commit durable only at the next checkpoint, so a power
loss could roll back an acknowledged accept); ``NORMAL`` stays available as a setting for
those who trade that for speed (``benchmarks/bench_durability.py`` measures the cost).
A transaction that only writes new offers may say ``durable=False``: SQLite then commits it
without waiting for the disk (a crash of the broker still loses nothing; a power loss may
forget the newest offers, and accepting one of them then answers 404). The next durable
commit writes the log up to itself to disk, offers included.
PostgreSQL is durable with its defaults (``fsync=on``, ``synchronous_commit=on``); the
broker changes neither for durable transactions, and :func:`durability_warnings` names any
that a server turned off. A ``durable=False`` transaction sets ``synchronous_commit = off``
for itself alone (``SET LOCAL``): the same trade as on SQLite, and the offer path's commit no
longer waits for the WAL flush while it holds the ledger row's lock.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).parent / "migrations"
IMMEDIATE = "ivoa_eb_immediate"
DURABLE = "ivoa_eb_durable"


#: One lock per SQLite engine that its writers take before BEGIN IMMEDIATE (:func:`transaction`).
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()

#: The values of SQLite's ``synchronous`` the broker accepts: durable ones, and ``NORMAL``.
SQLITE_SYNCHRONOUS = ("FULL", "EXTRA", "NORMAL")


def open_engine(url: str, *, synchronous: str = "FULL") -> Engine:
    """An engine for ``url``; a SQLite file's folder is created if missing.

    ``synchronous`` is SQLite's setting (see the module docstring); PostgreSQL ignores it."""
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}")
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not memory:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if memory:
        options["poolclass"] = StaticPool
    engine = create_engine(url, **options)
    _sqlite_settings(engine, wal=not memory, synchronous=synchronous)
    _WRITERS[engine] = threading.RLock()
    return engine


def durability_warnings(engine: Engine) -> list[str]:
    """What makes a committed transaction less than durable on this database, in words;
    empty when every commit survives power loss."""
    found: list[str] = []
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            level = connection.exec_driver_sql("PRAGMA synchronous").scalar()
            if level is not None and int(level) < 2:  # 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
                found.append("SQLite synchronous is below FULL: a power loss can roll back "
                             "acknowledged accepts and cancels")
        elif engine.dialect.name == "postgresql":
            for name in ("fsync", "synchronous_commit"):
                value = connection.exec_driver_sql(f"SHOW {name}").scalar()
                if value == "off":
                    found.append(f"PostgreSQL {name} is {value}: a power loss can roll back "
                                 "acknowledged accepts and cancels")
    return found


def _sqlite_settings(engine: Engine, wal: bool, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so it can say IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        options = connection.get_execution_options()
        if wal:  # between transactions, the only time SQLite lets it change
            level = synchronous if options.get(DURABLE, True) else "NORMAL"
            if connection.info.get(DURABLE) != level:
                connection.exec_driver_sql(f"PRAGMA synchronous={level}")
                connection.info[DURABLE] = level
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(IMMEDIATE) else "BEGIN")


@contextmanager
def transaction(
    engine: Engine, *, exclusive: bool = False, durable: bool = True
) -> Iterator[Connection]:
    """A connection in a transaction, committed on success and rolled back on error.

    ``exclusive`` takes the database's write lock at the start on SQLite (BEGIN IMMEDIATE).
    Every transaction that writes must say so: check-and-hold needs reading free capacity
    and writing the hold to be one atomic step, and on SQLite a deferred transaction that
    reads and then writes fails with "database is locked" when another writer got in first
    (the lock upgrade cannot wait). Read-only transactions stay deferred, so reads never
    queue behind writers (WAL).

    ``durable=False`` lets SQLite and PostgreSQL commit without waiting for the disk (see
    the module docstring): only for writes that LIFE-32 does not cover, i.e. new offers.

    On a SQLite file, the writers of one process queue on a lock of their own before
    BEGIN IMMEDIATE: SQLite's busy handler makes a waiting writer sleep in steps of up to
    100 ms, while a lock hands over at once. Other processes still wait in SQLite.
    """
    writers = _WRITERS.get(engine) if exclusive else None
    with writers if writers is not None else contextlib.nullcontext():
        with engine.connect() as connection:
            if exclusive or not durable:
                connection = connection.execution_options(
                    **{IMMEDIATE: exclusive, DURABLE: durable})
            with connection.begin():
                if not durable and connection.dialect.name == "postgresql":
                    connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
                yield connection


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (run at every start-up)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        if connection.in_transaction():
            connection.commit()
