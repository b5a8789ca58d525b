"""Several platforms per broker: each session and booking names its platform.

A broker may front several platforms; an offer, its session and its booking belong to the
platform that made the offer, so that accept, run, cancel and a restart go to that platform
and each platform's capacity is booked on its own. Rows written before have NULL: they
belong to the broker's first configured platform.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("sessions", "bookings"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("platform", sa.String(64), nullable=True))


def downgrade() -> None:
    for table in ("sessions", "bookings"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("platform")
