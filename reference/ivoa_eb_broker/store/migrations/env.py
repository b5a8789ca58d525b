"""Alembic environment: run programmatically by :func:`ivoa_eb_broker.store.db.migrate`,
which passes an open connection in ``config.attributes["connection"]``."""

from alembic import context
from ivoa_eb_broker.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
