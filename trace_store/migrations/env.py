"""Alembic environment: runs on the connection `trace_store.migrate` hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from trace_store.engine import make_engine
from trace_store.schema import metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _configure_and_run(connection)
else:
    with make_engine(context.config.get_main_option("sqlalchemy.url")).begin() as conn:
        _configure_and_run(conn)
