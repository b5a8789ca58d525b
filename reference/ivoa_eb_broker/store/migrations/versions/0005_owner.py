"""Ownership: each offer set and session (a head broker's too) records the identity that created it.

NULL is an anonymous creator (a broker without authentication, and every row written before
this revision): such rows stay readable by every caller (see service/ownership.py).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("offersets", "sessions", "head_offersets", "head_sessions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("owner", sa.String(255), nullable=True))
    op.create_index("ix_sessions_owner_phase", "sessions", ["owner", "phase"])


def downgrade() -> None:
    op.drop_index("ix_sessions_owner_phase", table_name="sessions")
    for table in ("offersets", "sessions", "head_offersets", "head_sessions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("owner")
