"""Initial schema: offer sets, sessions, bookings, messages, ledger locks.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "offersets",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("created", Time, nullable=False),
        sa.Column("result", sa.String(8), nullable=False),
        sa.Column("request_media_type", sa.String(64), nullable=False),
        sa.Column("request_body", sa.Text, nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("offerset", sa.String(36), sa.ForeignKey("offersets.uuid"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("expires", Time, nullable=True),
        sa.Column("created", Time, nullable=False),
        sa.Column("modified", Time, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("handle", sa.String(255), nullable=True),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_index("ix_sessions_offerset", "sessions", ["offerset"])
    op.create_index("ix_sessions_phase", "sessions", ["phase"])
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("session", sa.String(36), nullable=False),
        sa.Column("offerset", sa.String(36), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cores", sa.Integer, nullable=False),
        sa.Column("memory", sa.Integer, nullable=False),
        sa.Column("storage", sa.Integer, nullable=False),
        sa.Column("start", Time, nullable=False),
        sa.Column("end", Time, nullable=False),
        sa.Column("expires", Time, nullable=True),
    )
    op.create_index("ix_bookings_state_end", "bookings", ["state", "end"])
    op.create_index("ix_bookings_session", "bookings", ["session"])
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(36), nullable=False),
        sa.Column("time", Time, nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_messages_owner", "messages", ["owner"])
    op.create_table(
        "ledger_locks",
        sa.Column("platform", sa.String(64), primary_key=True),
    )


def downgrade() -> None:
    for name in ("ledger_locks", "messages", "bookings", "sessions", "offersets"):
        op.drop_table(name)
