"""Listing one's own sessions, UWS-like (GET /sessions; requirements UWS-01..UWS-04).

The query (``phase``, repeatable; ``after`` and ``before``, instants bounding ``created``;
``limit``; ``page``, the opaque cursor of a ``next`` link) is parsed once into a
:class:`SessionQuery`; a value that does not parse is a 400 naming the parameter. Pages are
in a stable order (oldest first, the uuid breaking ties) and the cursor is the last row's
place in it, so following ``next`` lists every matching session once, however many are
created meanwhile. Who sees what is :mod:`.ownership`'s rule: a caller lists only its own
sessions (an anonymous caller the anonymous ones), an operator every session.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from ivoa_eb_spec.iso8601 import TimeFormatError, format_instant, parse_instant
from sqlalchemy import Engine, RowMapping, Table

from ..store import listing, transaction
from ..store import repository as repo
from .ownership import Identity
from .query import phase, refuse, whole_number

#: Sessions per page when the client names no ``limit``, and the most a page holds.
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


@dataclass(frozen=True)
class SessionQuery:
    """What a client asked to list: filters, page size and the cursor of the page."""

    phases: tuple[str, ...] = ()
    after: datetime | None = None
    before: datetime | None = None
    limit: int = DEFAULT_LIMIT
    cursor: tuple[datetime, str] | None = None

    def parameters(self, cursor: tuple[datetime, str] | None) -> list[tuple[str, str]]:
        """The query string of this listing at ``cursor`` (the page's own, or the next)."""
        items = [("phase", p) for p in self.phases]
        if self.after is not None:
            items.append(("after", format_instant(self.after)))
        if self.before is not None:
            items.append(("before", format_instant(self.before)))
        items.append(("limit", str(self.limit)))
        if cursor is not None:
            items.append(("page", encode_cursor(cursor)))
        return items




def parse_query(items: Sequence[tuple[str, str]]) -> SessionQuery:
    """The listing asked for by the query's ``(name, value)`` pairs; other names are ignored
    (must-ignore). A 400 names the first parameter that does not parse."""
    phases: list[str] = []
    found: dict[str, Any] = {}
    for name, value in items:
        if name == "phase":
            phases.append(phase(name, value))
        elif name in ("after", "before"):
            try:
                found[name] = parse_instant(value)
            except TimeFormatError as problem:
                raise refuse(name, value, str(problem)) from None
        elif name == "limit":
            number = whole_number(name, value, 1, "expected a whole number of at least 1")
            found["limit"] = min(number, MAX_LIMIT)
        elif name == "page":
            found["cursor"] = decode_cursor(value)
    return SessionQuery(phases=tuple(dict.fromkeys(phases)), **found)


def encode_cursor(cursor: tuple[datetime, str]) -> str:
    created, uuid = cursor
    text = f"{created.isoformat()}|{uuid}".encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        created, uuid = text.split("|")
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None or len(uuid) != 36:
            raise ValueError(token)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise refuse("page", token, "not a cursor of this broker's next links") from None
    return moment, uuid


def page(
    engine: Engine, table: Table, query: SessionQuery, base: str, caller: Identity | None,
    render: Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]]], dict[str, Any]],
) -> dict[str, Any]:
    """One SessionList page of ``table`` for ``caller``; ``render`` makes the session
    document of a row and its messages. Blocking: run it in a worker thread."""
    with transaction(engine) as connection:
        rows: Sequence[RowMapping] = listing.page(
            connection, table, owner=caller.name if caller is not None else None,
            everyone=caller is not None and caller.operator, phases=query.phases,
            after=query.after, before=query.before, cursor=query.cursor,
            limit=query.limit + 1)
        shown = list(rows[: query.limit])
        said = repo.messages_of(connection, [row["uuid"] for row in shown])
    document: dict[str, Any] = {
        "url": f"{base}/sessions?" + urlencode(query.parameters(query.cursor)),
        "sessions": [render(row, said[row["uuid"]]) for row in shown],
    }
    if len(rows) > query.limit:
        last = shown[-1]
        document["next"] = f"{base}/sessions?" + urlencode(
            query.parameters((last["created"], last["uuid"])))
    return document
