"""Alembic's environment for the sandbox store: the connection comes from `sandbox.store.migrate`
(never from a URL in a file), and SQLite tables are altered in batch mode (copy and move)."""

from alembic import context

from sandbox.store.base import Base
from sandbox.store.db import register_tables

register_tables()
connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
