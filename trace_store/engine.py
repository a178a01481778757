"""Engines for both backends, configured the way the loader needs them.

SQLite is the embedded default: WAL so queries read while a sync writes, foreign keys on, a busy
timeout instead of instant "database is locked", and writes that start with BEGIN IMMEDIATE so two
writers queue up instead of failing on lock upgrade. PostgreSQL uses psycopg 3, its sessions in UTC.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

DEFAULT_SQLITE_PATH = Path(".tracehub") / "tracehub.db"
WRITE = {"tracehub_write": True}
"""Execution options of a connection that is going to write (BEGIN IMMEDIATE on SQLite)."""


def resolve_url(url: str | None = None) -> URL:
    """The URL to use: the one given, else env TRACEHUB_DB_URL, else the local SQLite file."""
    raw = url or os.environ.get("TRACEHUB_DB_URL")
    if not raw:
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        return make_url(f"sqlite:///{DEFAULT_SQLITE_PATH}")
    parsed = make_url(raw)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed


def make_engine(url: str | URL | None = None) -> Engine:
    """An engine for `url` (see `resolve_url`), with the SQLite pragmas set on every connection."""
    resolved = url if isinstance(url, URL) else resolve_url(url)
    if resolved.get_backend_name() != "sqlite":
        engine = sa.create_engine(resolved, pool_pre_ping=True)
        sa.event.listen(engine, "connect", _postgres_connect)
        return engine
    engine = sa.create_engine(resolved)
    sa.event.listen(engine, "connect", _sqlite_connect)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    """Sessions in UTC: times come back in the zone they are stored in (no conversion per value),
    and dates the database derives from them fall on the same day as on SQLite. Set by a statement,
    not a startup option, which connection poolers such as PgBouncer refuse."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
    dbapi_connection.commit()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred and late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("tracehub_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
