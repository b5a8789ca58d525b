"""One page of a session table for the listing extension (GET /sessions, UWS-01..UWS-04).

The broker's ``sessions`` and a head broker's ``head_sessions`` have the same columns that
matter here (uuid, phase, created, owner), so one query serves both. Rows come in a stable
order, oldest first, the uuid breaking ties, which is what the page cursor relies on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, RowMapping, Table, and_, or_, select


def page(
    connection: Connection,
    table: Table,
    *,
    owner: str | None,
    everyone: bool,
    phases: Sequence[str],
    after: datetime | None,
    before: datetime | None,
    cursor: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[RowMapping]:
    """Up to ``limit`` rows in listing order; ``everyone`` (an operator) drops the owner test,
    else only rows of ``owner`` (``None``: the anonymous ones) are read."""
    query = select(table)
    if not everyone:
        query = query.where(table.c.owner.is_(None) if owner is None
                            else table.c.owner == owner)
    if phases:
        query = query.where(table.c.phase.in_(list(phases)))
    if after is not None:
        query = query.where(table.c.created > after)
    if before is not None:
        query = query.where(table.c.created < before)
    if cursor is not None:
        created, uuid = cursor
        query = query.where(or_(table.c.created > created,
                                and_(table.c.created == created, table.c.uuid > uuid)))
    query = query.order_by(table.c.created, table.c.uuid).limit(limit)
    return connection.execute(query).mappings().all()
