"""Schema migrations without alembic.ini: `upgrade(url)` brings any store to the latest revision."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Connection, Engine

from trace_store.engine import make_engine

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
            command.upgrade(alembic_config(conn), revision)
    finally:
        if engine is not url:
            engine.dispose()
