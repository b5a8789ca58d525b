"""Persistence: SQLAlchemy Core tables, Alembic migrations, and the statements the service runs."""

from .db import migrate, open_engine, transaction

__all__ = ["migrate", "open_engine", "transaction"]
