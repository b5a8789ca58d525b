"""The broker's tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Each answer is rebuilt from these rows, so a restart loses nothing: offer sets keep the
original request document as received (decision 11: an offer can always be compared with
what was asked), sessions keep their document, phase, expiry and platform handle, bookings
are the ledger's records, messages are kept per component.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

offersets = Table(
    "offersets",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("created", UTCDateTime(), nullable=False),
    Column("result", String(8), nullable=False),
    # The request as the client sent it: media type, body text and the parsed document.
    Column("request_media_type", String(64), nullable=False),
    Column("request_body", Text, nullable=False),
    Column("request", JSON, nullable=False),
    # The offer set's own document (without offers: those are the session rows).
    Column("document", JSON, nullable=False),
    # The identity that asked; NULL: an anonymous caller.
    Column("owner", String(255), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("offerset", String(36), ForeignKey("offersets.uuid"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("phase", String(16), nullable=False),
    Column("expires", UTCDateTime(), nullable=True),
    Column("created", UTCDateTime(), nullable=False),
    Column("modified", UTCDateTime(), nullable=False),
    # Optimistic concurrency: every write checks and bumps it, so no update is lost.
    Column("version", Integer, nullable=False, default=1),
    Column("handle", String(255), nullable=True),
    Column("document", JSON, nullable=False),
    # The platform (config name) that offered and runs the session; NULL: the first one.
    Column("platform", String(64), nullable=True),
    # The identity that asked for the offer set; NULL: an anonymous caller.
    Column("owner", String(255), nullable=True),
)
Index("ix_sessions_offerset", sessions.c.offerset)
Index("ix_sessions_owner_phase", sessions.c.owner, sessions.c.phase)
Index("ix_sessions_phase", sessions.c.phase)

bookings = Table(
    "bookings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("session", String(36), nullable=False),
    Column("offerset", String(36), nullable=False),
    Column("state", String(16), nullable=False),
    Column("cores", Integer, nullable=False),
    Column("memory", Integer, nullable=False),
    Column("storage", Integer, nullable=False),
    Column("start", UTCDateTime(), nullable=False),
    Column("end", UTCDateTime(), nullable=False),
    Column("expires", UTCDateTime(), nullable=True),
    # The platform whose capacity the booking takes; NULL: the first one.
    Column("platform", String(64), nullable=True),
    # The platform's ledger generation (``ledger_locks``) of the last change to this row:
    # a broker whose kept ledger is older reads only the rows changed since. NULL: written
    # before revision 0006 (a kept ledger never predates those).
    Column("generation", Integer, nullable=True),
)
Index("ix_bookings_state_end", bookings.c.state, bookings.c.end)
Index("ix_bookings_session", bookings.c.session)
Index("ix_bookings_platform_generation", bookings.c.platform, bookings.c.generation)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(36), nullable=False),
    Column("time", UTCDateTime(), nullable=False),
    Column("level", String(8), nullable=False),
    Column("template", Text, nullable=False),
    Column("values", JSON, nullable=False),
    Column("message", Text, nullable=False),
)
Index("ix_messages_owner", messages.c.owner)

# One row per platform: the row a PostgreSQL transaction locks (SELECT ... FOR UPDATE)
# around check-and-hold, so that concurrent brokers on one database cannot overbook.
ledger_locks = Table(
    "ledger_locks",
    metadata,
    Column("platform", String(64), primary_key=True),
    # Bumped by every change to the bookings, which marks the rows it changed with it: an
    # in-memory ledger is valid while it matches, and follows the rows marked after it.
    Column("generation", Integer, nullable=False, server_default="0"),
)

# --- a head broker (ivoa_eb_broker.federation) --------------------------------------------
# The head's own offer sets: what was asked and the answer (messages in ``messages``).
head_offersets = Table(
    "head_offersets",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("created", UTCDateTime(), nullable=False),
    Column("result", String(8), nullable=False),
    Column("request", JSON, nullable=False),
    # The identity that asked; NULL: an anonymous caller.
    Column("owner", String(255), nullable=True),
)

# The head's offers and sessions: each stands for one session at a site (``target``: the
# child's session URL, or the uuid of a session of this broker's own platforms).
head_sessions = Table(
    "head_sessions",
    metadata,
    Column("uuid", String(36), primary_key=True),
    Column("offerset", String(36), ForeignKey("head_offersets.uuid"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("site", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("phase", String(16), nullable=False),
    # Never later than the site's own expires.
    Column("expires", UTCDateTime(), nullable=True),
    Column("created", UTCDateTime(), nullable=False),
    Column("modified", UTCDateTime(), nullable=False),
    # The site's document as last read (its meta replaced by the head's).
    Column("document", JSON, nullable=False),
    # The identity that asked for the offer set; NULL: an anonymous caller.
    Column("owner", String(255), nullable=True),
)
Index("ix_head_sessions_offerset", head_sessions.c.offerset)
