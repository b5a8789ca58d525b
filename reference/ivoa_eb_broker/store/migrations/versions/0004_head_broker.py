"""A head broker's rows: its offer sets and the sessions that stand for sessions at sites.

A head broker (``[[children]]``) presents each site's offer under its own uuid and URL; the
row keeps the site's name and the site's session URL (``target``), the phase last read, and
the head's ``expires`` (never later than the site's), so that a restart loses nothing.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "head_offersets",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("created", Time, nullable=False),
        sa.Column("result", sa.String(8), nullable=False),
        sa.Column("request", sa.JSON, nullable=False),
    )
    op.create_table(
        "head_sessions",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("offerset", sa.String(36), sa.ForeignKey("head_offersets.uuid"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("expires", Time, nullable=True),
        sa.Column("created", Time, nullable=False),
        sa.Column("modified", Time, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_index("ix_head_sessions_offerset", "head_sessions", ["offerset"])


def downgrade() -> None:
    op.drop_index("ix_head_sessions_offerset", "head_sessions")
    op.drop_table("head_sessions")
    op.drop_table("head_offersets")
