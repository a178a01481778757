"""The ledger of files spreadsheet drop sources have read: storage only, by source, entity, name and sha256."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from trace_store.schema import drop_file
from trace_store.sql import Row, dialect_insert
from trace_store.store import Store


def known(store: Store, source: str, entity: str) -> list[Row]:
    """Every file recorded for `source`/`entity`: name, sha256, size, mtime, status, records, error."""
    f = drop_file.c
    query = (
        sa.select(f.name, f.sha256, f.size, f.mtime, f.status, f.records, f.error, f.recorded_at)
        .where(f.source == source, f.entity == entity)
        .order_by(f.recorded_at, f.name)
    )
    with store.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def record(store: Store, source: str, run_id: int | None, files: Sequence[Row]) -> None:
    """Record what became of each file (keys: entity, name, sha256, size, mtime, status, records, error).

    Recording a file again (its name and content read once more after a crash) updates the entry.
    """
    if not files:
        return
    now = datetime.now(UTC)
    rows = [{**f, "source": source, "run_id": run_id, "recorded_at": now} for f in files]
    with store.transaction() as conn:
        insert = dialect_insert(conn, drop_file)
        kept = ("size", "mtime", "status", "records", "error", "run_id", "recorded_at")
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["source", "entity", "name", "sha256"],
                set_={name: insert.excluded[name] for name in kept},
            ),
            rows,
        )
