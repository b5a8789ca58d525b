"""Persistence: SQLAlchemy Core tables, Alembic migrations, and the statements the service runs."""

from .db import durability_warnings, migrate, open_engine, transaction

__all__ = ["durability_warnings", "migrate", "open_engine", "transaction"]
