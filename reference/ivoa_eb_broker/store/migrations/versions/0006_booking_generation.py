"""Booking generation: each booking row records the ledger generation that last changed it.

A broker whose in-memory ledger is at an older generation than ``ledger_locks`` reads only
the bookings changed since (by the index on platform and generation) and applies them,
instead of rebuilding the ledger from every live booking: with several broker processes
on one database, each sees the others' changes at the cost of those changes alone.

Rows written before this revision keep NULL: no kept ledger predates the upgrade (a broker
starts with none).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("generation", sa.Integer, nullable=True))
    op.create_index("ix_bookings_platform_generation", "bookings", ["platform", "generation"])


def downgrade() -> None:
    op.drop_index("ix_bookings_platform_generation", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("generation")
