"""Alembic environment: runs on the connection handed over by ``amparo.store.migrate``."""

from __future__ import annotations

from alembic import context

from amparo.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through amparo.store.migrate(engine)")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
