"""Schema migrations without alembic.ini: `upgrade(url)` brings any store to the latest revision.

Migrating is a deploy step (`tracehub db upgrade`, the compose file's airflow-init); scheduled
tasks only check with `require_current` that the store is at the revision their code expects.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection, Engine

from trace_store.engine import make_engine
from trace_store.errors import SchemaNotCurrent

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x7472_6D67  # pg advisory lock id: two deploys must not migrate at once


def alembic_config(connection: Connection | None = None) -> Config:
    """An in-memory Alembic config pointing at our migrations, optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | URL | Engine | None = None, revision: str = "head") -> None:
    """Migrate the store at `url` (or the default store) to `revision`."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            _refuse_unknown_revision(conn)
            command.upgrade(alembic_config(conn), revision)
    finally:
        if engine is not url:
            engine.dispose()


def _refuse_unknown_revision(conn: Connection) -> None:
    """SchemaNotCurrent when the store was migrated by a Tracehub that knows revisions this one does not."""
    current = MigrationContext.configure(conn).get_current_revision()
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        where = conn.engine.url.render_as_string(hide_password=True)
        raise SchemaNotCurrent(
            f"the trace store at {where} is at schema revision {current!r}, which this Tracehub does not know "
            "(a newer Tracehub migrated it): run that version, or point TRACEHUB_DB_URL at another store"
        )


def require_current(engine: Engine) -> None:
    """SchemaNotCurrent unless the store is at the latest revision (a deploy step was missed)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        raise SchemaNotCurrent(
            f"the trace store at {where} is at schema revision {current or 'none (empty)'}, this Tracehub needs "
            f"{head}: run `tracehub db upgrade` (a deploy step) before the pipelines"
        )
