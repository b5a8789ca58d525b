"""Reading and writing the broker's rows. Every function takes an open transaction.

The service decides what to write; these functions only know the tables. Nothing here is
SQLite-specific: the same statements run on PostgreSQL.

The statements of the request path are built once, with bound parameters (``bindparam``),
and only executed per call: building a SQLAlchemy statement costs about twice as much as
running it on SQLite, and the request path runs a dozen of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    Select,
    Update,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from .schema import bookings, ledger_locks, messages, offersets, sessions

#: The states of a booking that takes capacity.
LIVE = ("HELD", "COMMITTED")

# --- offer sets --------------------------------------------------------------------------


def get_offerset(connection: Connection, uuid: str) -> RowMapping | None:
    return connection.execute(select(offersets).where(offersets.c.uuid == uuid)).mappings().first()


def insert_offers(
    connection: Connection,
    offerset: Mapping[str, Any],
    session_rows: Sequence[Mapping[str, Any]],
    booking_rows: Sequence[Mapping[str, Any]],
    messages_by_owner: Mapping[str, Sequence[Mapping[str, Any]]],
) -> None:
    """An offer set with its sessions, bookings and messages: one statement per table, the
    rows of each sent together (executemany). Session rows start at version 1."""
    connection.execute(insert(offersets), [dict(offerset)])
    if session_rows:
        connection.execute(insert(sessions), [{"version": 1, **row} for row in session_rows])
    if booking_rows:
        connection.execute(insert(bookings), [dict(row) for row in booking_rows])
    rows = [_message_row(owner, item) for owner, items in messages_by_owner.items()
            for item in items]
    if rows:
        connection.execute(insert(messages), rows)


# --- sessions ----------------------------------------------------------------------------


_SESSION = select(sessions).where(sessions.c.uuid == bindparam("uuid"))
_SIBLINGS = select(sessions.c.uuid).where(sessions.c.offerset == bindparam("offerset"))
_BOOKING_OF = select(bookings).where(bookings.c.session == bindparam("session"))
_BOOKINGS_OF = (select(bookings.c.id, bookings.c.state)
                .where(bookings.c.session.in_(bindparam("sessions", expanding=True))))
_MESSAGES_OF = (select(messages).where(messages.c.owner.in_(bindparam("owners", expanding=True)))
                .order_by(messages.c.id))
_GENERATION = select(ledger_locks.c.generation).where(ledger_locks.c.platform == bindparam("p"))
_GENERATION_LOCKED = _GENERATION.with_for_update()
_MARK_CHANGED = (update(bookings).where(bookings.c.id.in_(bindparam("ids", expanding=True)))
                 .values(generation=bindparam("g")))
_SET_GENERATION = (update(ledger_locks).where(ledger_locks.c.platform == bindparam("p"))
                   .values(generation=bindparam("g")))


def get_session(connection: Connection, uuid: str) -> RowMapping | None:
    return connection.execute(_SESSION, {"uuid": uuid}).mappings().first()


def sessions_of(connection: Connection, offerset: str) -> Sequence[RowMapping]:
    query = select(sessions).where(sessions.c.offerset == offerset).order_by(sessions.c.position)
    return connection.execute(query).mappings().all()


def uuids_in(connection: Connection, phases: Iterable[str]) -> Sequence[str]:
    query = (select(sessions.c.uuid).where(sessions.c.phase.in_(list(phases)))
             .order_by(sessions.c.created))
    return connection.execute(query).scalars().all()


def count_owned(connection: Connection, owner: str, phases: Iterable[str],
                live_at: datetime | None = None) -> int:
    """How many sessions of ``owner`` are in ``phases`` (and, with ``live_at``, have not
    expired by then)."""
    query = select(func.count()).select_from(sessions).where(
        sessions.c.owner == owner, sessions.c.phase.in_(list(phases)))
    if live_at is not None:
        query = query.where(sessions.c.expires > live_at)
    return connection.execute(query).scalar_one()


def stale_offers(connection: Connection, now: datetime) -> Sequence[str]:
    """Sessions still OFFERED at or after their ``expires``."""
    query = select(sessions.c.uuid).where(
        sessions.c.phase == "OFFERED", sessions.c.expires <= now
    )
    return connection.execute(query).scalars().all()


def update_session(connection: Connection, uuid: str, version: int, **changes: Any) -> bool:
    """Write ``changes`` if the row is still at ``version``; False if someone else wrote it.

    This compare-and-set is what makes a lost update impossible even without a lock: a
    writer that read an older version must read again and decide again.
    """
    statement = _session_update(tuple(sorted(changes)))
    values = {"_uuid": uuid, "_version": version, "version": version + 1, **changes}
    return connection.execute(statement, values).rowcount == 1


@cache
def _session_update(columns: tuple[str, ...]) -> Update:
    """The compare-and-set of :func:`update_session` for one set of changed columns."""
    return (
        update(sessions)
        .where(sessions.c.uuid == bindparam("_uuid"),
               sessions.c.version == bindparam("_version"))
        .values({name: bindparam(name) for name in ("version", *columns)})
    )


def reject_siblings(
    connection: Connection, offerset: str, accepted: str, phase: str, now: datetime
) -> Sequence[RowMapping]:
    """Move every other offer of ``offerset`` still OFFERED to ``phase``, and release their
    bookings with that state: two statements whatever the number of offers. The rows
    changed (``uuid``, ``platform``)."""
    # Found by the offer set's index first: a WHERE that also names the phase could lead
    # the planner to the phase index, which every live offer shares.
    siblings = connection.execute(_SIBLINGS, {"offerset": offerset}).scalars().all()
    others = [uuid for uuid in siblings if uuid != accepted]
    if not others:
        return []
    query = (
        update(sessions)
        .where(sessions.c.uuid.in_(others), sessions.c.phase == "OFFERED")
        .values(phase=phase, modified=now, version=sessions.c.version + 1)
        .returning(sessions.c.uuid, sessions.c.platform)
    )
    changed = connection.execute(query).mappings().all()
    if changed:
        held = connection.execute(  # by the session index, then by key (as above)
            _BOOKINGS_OF, {"sessions": [row["uuid"] for row in changed]}).all()
        live = [row.id for row in held if row.state in LIVE]
        if live:
            connection.execute(update(bookings)
                               .where(bookings.c.id.in_(live), bookings.c.state.in_(LIVE))
                               .values(state=phase))
    return changed


# --- bookings ----------------------------------------------------------------------------


def insert_bookings(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bookings in one statement (executemany)."""
    if rows:
        connection.execute(insert(bookings), [dict(row) for row in rows])


def set_bookings(
    connection: Connection,
    state: str,
    *,
    session: str | None = None,
    from_states: Iterable[str] = LIVE,
    **changes: Any,
) -> int:
    """Move the bookings of a session (all sessions without one) that are in
    ``from_states`` to ``state``; how many moved."""
    wanted = list(from_states)
    if session is None:
        statement = update(bookings).where(bookings.c.state.in_(wanted))
        return connection.execute(statement.values(state=state, **changes)).rowcount
    # Found by the session index first: SQLite's planner, given the state as well, takes
    # the state index, which thousands of live bookings share.
    found = connection.execute(_BOOKINGS_OF, {"sessions": [session]}).all()
    ids = [row.id for row in found if row.state in wanted]
    if not ids:
        return 0
    values = {"_ids": ids, "_from": wanted, "state": state, **changes}
    return connection.execute(_bookings_update(tuple(sorted(changes))), values).rowcount


@cache
def _bookings_update(columns: tuple[str, ...]) -> Update:
    """The statement of :func:`set_bookings` for one set of changed columns: by key, and
    only while the state is still one of those asked for."""
    return (
        update(bookings)
        .where(bookings.c.id.in_(bindparam("_ids", expanding=True)),
               bookings.c.state.in_(bindparam("_from", expanding=True)))
        .values({name: bindparam(name) for name in ("state", *columns)})
    )


def live_bookings(
    connection: Connection, now: datetime, start: datetime, end: datetime
) -> Sequence[RowMapping]:
    """Bookings that still take capacity (COMMITTED, or HELD and not past their expiry)
    and overlap ``[start, end)``: all the planner needs to see, however long the history."""
    query = select(bookings).where(
        bookings.c.end > start,
        bookings.c.start < end,
        or_(
            bookings.c.state == "COMMITTED",
            and_(
                bookings.c.state == "HELD",
                or_(bookings.c.expires.is_(None), bookings.c.expires > now),
            ),
        ),
    )
    return connection.execute(query).mappings().all()


def changed_bookings(
    connection: Connection, platform: str, since: int, limit: int, *, default: bool = False
) -> Sequence[RowMapping]:
    """The bookings of ``platform`` marked with a generation after ``since`` (changed since
    then), at most ``limit`` + 1 of them (more: too many to follow). ``default``: the
    platform is the first one, whose bookings may also say NULL."""
    values = {"platform": platform, "since": since, "most": limit + 1}
    return connection.execute(_changed_since(default), values).mappings().all()


@cache
def _changed_since(default: bool) -> Select[Any]:
    """The query of :func:`changed_bookings`."""
    mine = bookings.c.platform == bindparam("platform")
    if default:
        mine = or_(mine, bookings.c.platform.is_(None))
    return (select(bookings).where(mine, bookings.c.generation > bindparam("since"))
            .limit(bindparam("most")))


def all_bookings(connection: Connection) -> Sequence[RowMapping]:
    return connection.execute(select(bookings).order_by(bookings.c.id)).mappings().all()


def booking_of(connection: Connection, session: str) -> RowMapping | None:
    return connection.execute(_BOOKING_OF, {"session": session}).mappings().first()


# --- messages ----------------------------------------------------------------------------


def _message_row(owner: str, item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "owner": owner,
        "time": item["time"],
        "level": item["level"],
        "template": item["template"],
        "values": dict(item.get("values", {})),
        "message": item["message"],
    }


def add_message(connection: Connection, owner: str, item: Mapping[str, Any]) -> None:
    connection.execute(insert(messages), [_message_row(owner, item)])


def add_messages(connection: Connection, items: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """Several messages, each with its owner, in one statement (executemany)."""
    rows = [_message_row(owner, item) for owner, item in items]
    if rows:
        connection.execute(insert(messages), rows)


def messages_of(connection: Connection, owners: Iterable[str]) -> dict[str, list[RowMapping]]:
    wanted = list(owners)
    found: dict[str, list[RowMapping]] = {owner: [] for owner in wanted}
    if not wanted:
        return found
    for row in connection.execute(_MESSAGES_OF, {"owners": wanted}).mappings():
        found[row["owner"]].append(row)
    return found


# --- locking -----------------------------------------------------------------------------


def lock_ledger(connection: Connection, platform: str) -> int:
    """Serialise check-and-hold between processes; the ledger's current generation.

    Locks the platform's row in ``ledger_locks`` until the transaction ends
    (``SELECT ... FOR UPDATE`` on PostgreSQL). On SQLite the transaction was begun
    IMMEDIATE, which already holds the database's write lock, and ``FOR UPDATE`` is not
    emitted.
    """
    generation = connection.execute(_GENERATION_LOCKED, {"p": platform}).scalar_one_or_none()
    if generation is None:
        # Several brokers may find the row missing at once: the first insert wins, the
        # others insert nothing (not a duplicate-key failure), and all then lock the row.
        connection.execute(_insert_if_missing(connection, platform))
        generation = connection.execute(_GENERATION_LOCKED, {"p": platform}).scalar_one()
    return int(generation)


def _insert_if_missing(connection: Connection, platform: str) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` of a platform's ``ledger_locks`` row."""
    values = {"platform": platform, "generation": 0}
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as insert_postgresql

        return insert_postgresql(ledger_locks).values(**values).on_conflict_do_nothing()
    if connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as insert_sqlite

        return insert_sqlite(ledger_locks).values(**values).on_conflict_do_nothing()
    return insert(ledger_locks).values(**values)


def generation_of(connection: Connection, platform: str) -> int:
    """The platform's ledger generation as last committed, without locking its row (0 if
    it has none yet): what an optimistic plan starts from."""
    return int(connection.execute(_GENERATION, {"p": platform}).scalar_one_or_none() or 0)


def set_generation(connection: Connection, platform: str, generation: int) -> None:
    """Record a change to the bookings by a transaction that holds the platform's row lock
    (:func:`lock_ledger`) and so knows the generation it read."""
    connection.execute(_SET_GENERATION, {"p": platform, "g": generation})


def bump_generation(connection: Connection, platform: str,
                    changed: Collection[str] = ()) -> int:
    """Record a change to the bookings: the platform's generation goes up by one and the
    bookings ``changed`` (ids) are marked with it, so that other brokers read just those
    (:func:`changed_bookings`). The generation before it."""
    before = lock_ledger(connection, platform)
    set_generation(connection, platform, before + 1)
    if changed:
        connection.execute(_MARK_CHANGED, {"ids": list(changed), "g": before + 1})
    return before
