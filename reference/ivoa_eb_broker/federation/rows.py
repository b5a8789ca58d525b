"""The head's rows: its offer sets and the sessions that stand for sessions at sites.

Blocking SQLAlchemy Core calls, each in its own transaction; the head runs them in a
worker thread. Messages go to the broker's shared ``messages`` table, by owner uuid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, RowMapping, insert, select, update

from ..store import repository as repo
from ..store import transaction
from ..store.schema import head_offersets, head_sessions


def create(engine: Engine, offerset: Mapping[str, Any], sessions: Sequence[Mapping[str, Any]],
           messages: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """Store a new offer set, its sessions and messages ((owner, message) pairs)."""
    with transaction(engine, exclusive=True) as connection:
        connection.execute(insert(head_offersets).values(**offerset))
        for row in sessions:
            connection.execute(insert(head_sessions).values(**row))
        for owner, message in messages:
            repo.add_message(connection, owner, message)


def offerset(engine: Engine, uuid: str) -> tuple[RowMapping | None, list[RowMapping]]:
    """The offer set and its sessions in order (None, [] if it is not the head's)."""
    with transaction(engine) as connection:
        found = connection.execute(
            select(head_offersets).where(head_offersets.c.uuid == uuid)).mappings().first()
        if found is None:
            return None, []
        rows = connection.execute(
            select(head_sessions).where(head_sessions.c.offerset == uuid)
            .order_by(head_sessions.c.position)).mappings().all()
    return found, list(rows)


def session(engine: Engine, uuid: str) -> RowMapping | None:
    with transaction(engine) as connection:
        return connection.execute(
            select(head_sessions).where(head_sessions.c.uuid == uuid)).mappings().first()


def change(engine: Engine, uuid: str, changes: Mapping[str, Any],
           messages: Sequence[Mapping[str, Any]] = ()) -> None:
    """Write a session's new phase, document or expiry, and add messages to it."""
    with transaction(engine, exclusive=True) as connection:
        if changes:
            connection.execute(update(head_sessions).where(head_sessions.c.uuid == uuid)
                               .values(**changes))
        for message in messages:
            repo.add_message(connection, uuid, message)


def messages(engine: Engine, owners: Sequence[str]) -> dict[str, list[RowMapping]]:
    with transaction(engine) as connection:
        return repo.messages_of(connection, owners)

