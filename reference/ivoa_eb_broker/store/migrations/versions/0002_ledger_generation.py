"""Ledger generation: a counter bumped by every change to the bookings.

A broker keeps the ledger in memory between requests and reuses it only while the counter
is what it last saw, so that a change by another process (or a transaction it did not see
through) makes it reload from the bookings table.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_locks") as batch:
        batch.add_column(
            sa.Column("generation", sa.Integer, nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_locks") as batch:
        batch.drop_column("generation")
