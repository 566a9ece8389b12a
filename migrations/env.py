"""Alembic's environment: runs the migrations on the connection ``migrations.runner`` opened.

The runner holds the migration lock in that connection's transaction, so this file never
connects by itself; use ``python -m migrations`` rather than the ``alembic`` command.
"""

from __future__ import annotations

from alembic import context

from migrations.metadata import TARGET_METADATA, render_item
from migrations.runner import include_object

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m migrations` (see migrations/runner.py)")

context.configure(
    connection=connection,
    target_metadata=list(TARGET_METADATA),
    # SQLite alters most things only by rebuilding the table: autogenerate writes batch
    # operations, which do that on SQLite and plain ALTERs on PostgreSQL.
    render_as_batch=True,
    compare_type=True,
    include_object=include_object,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
