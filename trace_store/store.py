"""The trace store's front door: runs, cursors, change detection and batch commits.

The pipeline asks `stored_versions` which pulled records changed, hands the rest to `commit_batch`
(one transaction per batch, architecture rule 1) and closes with `finish_run`, which enforces
conservation (rule 3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from data_dictionary.identity import Item
from trace_store import migrate
from trace_store.batch import LoadBatch
from trace_store.engine import WRITE, make_engine
from trace_store.errors import ConservationError
from trace_store.loader import write_batch
from trace_store.resolve import identities
from trace_store.run_lock import run_lock
from trace_store.schema import payload_field, quarantine_correction, raw_current, sync_run, sync_state
from trace_store.sql import in_list, parts

__all__ = ["ConservationError", "Store", "connection", "device_items"]


def device_items(conn: Connection) -> dict[str, Item]:
    """The device master by SKU: which GTIN (and tracking) each SKU names, per ERP devices and shop variants.

    A SKU that sources name with two GTINs is ambiguous and left out: its lines stay unresolved.
    """
    i = identities().c
    query = (
        sa.select(i.sku, sa.func.min(i.gtin).label("gtin"), sa.func.min(i.tracking).label("tracking"))
        .group_by(i.sku)
        .having(sa.func.count(sa.distinct(i.gtin)) == 1)
    )
    return {row.sku: Item(row.gtin, row.tracking) for row in conn.execute(query)}


class Store:
    """A trace store on SQLite or PostgreSQL; cheap to keep open, safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open the store at `url`, else env TRACEHUB_DB_URL, else `.tracehub/tracehub.db`."""
        return cls(make_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def upgrade(self) -> None:
        """Bring the schema to the latest migration."""
        migrate.upgrade(self.engine)

    def require_current_schema(self) -> None:
        """SchemaNotCurrent unless the schema is at the latest migration (scheduled tasks check, never migrate)."""
        migrate.require_current(self.engine)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A read connection for queries."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite, so writers queue instead of failing)."""
        with self.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            yield conn

    def run_lock(self, source: str, entity: str, wait_seconds: float = 0) -> AbstractContextManager[None]:
        """The one-run-at-a-time lock of `source`/`entity` (see trace_store/run_lock.py); SyncInProgress if busy."""
        return run_lock(self.engine, source, entity, wait_seconds)

    def begin_run(self, source: str, entity: str) -> int:
        """Start a run, holding `run_lock`: older runs of this source/entity still 'running' died, so abandon them."""
        now = datetime.now(UTC)
        r = sync_run.c
        with self.transaction() as conn:
            conn.execute(
                sync_run.update()
                .where(r.source == source, r.entity == entity, r.status == "running")
                .values(status="abandoned", finished_at=now, error="abandoned: its process ended before it finished")
            )
            return conn.execute(
                sync_run.insert()
                .values(
                    source=source,
                    entity=entity,
                    started_at=now,
                    status="running",
                    pulled=0,
                    unchanged=0,
                    loaded=0,
                    quarantined=0,
                )
                .returning(r.run_id)
            ).scalar_one()

    def cursor(self, source: str, entity: str) -> datetime | None:
        """Where the next incremental pull starts (None: never synced)."""
        s = sync_state.c
        with self.connect() as conn:
            return conn.execute(sa.select(s.cursor).where(s.source == source, s.entity == entity)).scalar_one_or_none()

    def stored_versions(self, source: str, entity: str, pulled: Mapping[str, str]) -> tuple[set[str], dict[str, str]]:
        """Of the pulled records (external id -> `batch.pulled_key`): the ids whose current version
        was pulled with that very key, and the content hash of every other id held.

        A re-sync of unchanged data is mostly this question: one narrow index read per batch (per
        chunk of ids on SQLite).
        """
        c = raw_current.c
        same: set[str] = set()
        hashes: dict[str, str] = {}
        with self.connect() as conn:
            for part in parts(conn, sorted(pulled)):
                listed = in_list(conn, c.external_id, part)
                query = sa.select(c.external_id, c.pulled_key, c.content_hash).where(
                    c.source == source, c.entity == entity, listed
                )
                for external_id, key, content_hash in conn.execute(query).all():  # at once, not row by row
                    if key is not None and key == pulled[external_id]:
                        same.add(external_id)
                    else:
                        hashes[external_id] = content_hash
        return same, hashes

    def held_times(self, source: str, entity: str, ids: Sequence[str]) -> dict[str, datetime]:
        """The source updated_at of the current version of each of `ids` held (newer wins)."""
        c = raw_current.c
        held: dict[str, datetime] = {}
        with self.connect() as conn:
            for part in parts(conn, sorted(ids)):
                query = sa.select(c.external_id, c.source_updated_at).where(
                    c.source == source, c.entity == entity, in_list(conn, c.external_id, part)
                )
                held.update(conn.execute(query).all())
        return held

    def corrections(
        self, source: str, entity: str, versions: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], list[tuple[int, str, Any]]]:
        """(external id, content hash) -> the stewards' corrections of that very version, as
        (record_no, field, new value), the latest per field, whatever their status."""
        k = quarantine_correction.c
        wanted = set(versions)
        found: dict[tuple[str, str], dict[tuple[int, str], Any]] = {}
        with self.connect() as conn:
            for part in parts(conn, sorted({ext for ext, _ in wanted})):
                rows = conn.execute(
                    sa.select(k.external_id, k.content_hash, k.record_no, k.field, k.new_value)
                    .where(k.source == source, k.entity == entity, in_list(conn, k.external_id, part))
                    .order_by(k.id)
                )
                for row in rows:
                    if (row.external_id, row.content_hash) in wanted:
                        fields = found.setdefault((row.external_id, row.content_hash), {})
                        fields[(row.record_no, row.field)] = row.new_value
        return {key: [(no, name, value) for (no, name), value in fields.items()] for key, fields in found.items()}

    def payload_fields(self, source: str, entity: str) -> tuple[int, dict[str, tuple[str, int]]]:
        """How many payloads of `source`/`entity` have landed, and per path its JSON type and count."""
        f = payload_field.c
        with self.connect() as conn:
            rows = conn.execute(
                sa.select(f.path, f.json_type, f.present).where(f.source == source, f.entity == entity)
            ).all()
        fields = {row.path: (row.json_type, row.present) for row in rows}
        return fields.get("$", ("object", 0))[1], fields

    def items(self) -> dict[str, Item]:
        """The device master by SKU (see `device_items`)."""
        with self.connect() as conn:
            return device_items(conn)

    def commit_batch(self, batch: LoadBatch) -> dict[str, int]:
        """Land, upsert, quarantine, audit, count and move the cursor: all of it or none of it."""
        with self.transaction() as conn:
            return write_batch(conn, batch)

    def finish_run(self, run_id: int, error: str | None = None, requests: dict[str, Any] | None = None) -> None:
        """Close a run: 'failed' with `error`, else 'success' if its counts add up; keep its request figures.

        Raises ConservationError (after marking the run failed) when pulled != unchanged + loaded +
        quarantined: a record went missing somewhere and the run must not pass as a success.
        """
        r = sync_run.c
        with self.transaction() as conn:
            run = conn.execute(sa.select(sync_run).where(r.run_id == run_id)).one()
            accounted = run.unchanged + run.loaded + run.quarantined
            if error is None and run.pulled != accounted:
                error = (
                    f"run {run_id} ({run.source}/{run.entity}) does not add up: pulled={run.pulled} but "
                    f"unchanged={run.unchanged} + loaded={run.loaded} + quarantined={run.quarantined} "
                    f"= {accounted}"
                )
                conservation = ConservationError(error)
            else:
                conservation = None
            conn.execute(
                sync_run.update()
                .where(r.run_id == run_id)
                .values(
                    status="failed" if error else "success",
                    finished_at=datetime.now(UTC),
                    error=error,
                    requests=requests,
                )
            )
        if conservation is not None:
            raise conservation


@contextmanager
def connection(conn_or_store: Store | Connection) -> Iterator[Connection]:
    """The connection a reader works on: the caller's own, or a new read connection of the store.

    Readers take either, so the CLI, the web console and tests can share one connection (and see
    one snapshot) or let each question open its own.
    """
    if isinstance(conn_or_store, Connection):
        yield conn_or_store
    else:
        with conn_or_store.connect() as conn:
            yield conn
