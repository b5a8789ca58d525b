"""Opening the database: engine, SQLite settings, schema migration at start-up.

SQLite (the default) gets WAL journalling (readers do not block the writer), a busy
timeout, foreign keys, and transactions that can be started ``IMMEDIATE`` (taking the write
lock at BEGIN) for check-and-hold, so two broker processes on one file cannot both read the
same free capacity. PostgreSQL needs none of this: check-and-hold locks its row in
``ledger_locks`` with ``SELECT ... FOR UPDATE`` (see :mod:`.repository`).
"""

from __future__ import annotations

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


def open_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created if missing."""
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
    _sqlite_settings(engine, wal=not memory)
    return engine


def _sqlite_settings(engine: Engine, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so it can say IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def transaction(engine: Engine, *, exclusive: bool = False) -> Iterator[Connection]:
    """A connection in a transaction, committed on success and rolled back on error.

    ``exclusive`` takes the database's write lock at the start on SQLite (BEGIN IMMEDIATE).
    Every transaction that writes must say so: check-and-hold needs reading free capacity
    and writing the hold to be one atomic step, and on SQLite a deferred transaction that
    reads and then writes fails with "database is locked" when another writer got in first
    (the lock upgrade cannot wait). Read-only transactions stay deferred, so reads never
    queue behind writers (WAL).
    """
    with engine.connect() as connection:
        if exclusive:
            connection = connection.execution_options(**{IMMEDIATE: True})
        with connection.begin():
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
