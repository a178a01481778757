"""The idempotent loader: one LoadBatch, one transaction (architecture rules 1, 2, 6, 7, 9).

Every write is a multi-row statement (SQLAlchemy insertmanyvalues), never a row at a time.
Canonical upserts are guarded by `excluded.source_updated_at >= current.source_updated_at`, and
RETURNING tells which headers actually won, so lines and trace edges are replaced for exactly
those. Rows are sorted by key before writing so concurrent loaders lock rows in the same order.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_dictionary.jsonable import to_jsonable
from data_dictionary.models import ENTITY_MODELS, Record
from trace_store import audit, inferred, resolve
from trace_store.batch import LoadBatch
from trace_store.errors import StaleRunError
from trace_store.evidence import check as check_edges
from trace_store.rows import EDGE_BUILDERS, ENTITY_TABLES, EntityTables, HeaderRow, Row, header_row
from trace_store.schema import (
    payload_field,
    quarantine,
    quarantine_correction,
    quarantine_event,
    raw_current,
    raw_version,
    sync_run,
    sync_state,
    trace_edge,
)
from trace_store.sql import bulk_insert, dialect_insert, in_list, parts, upsert

ACTOR = "loader"
_ENTITY_OF = {model: name for name, model in ENTITY_MODELS.items()}


def write_batch(conn: Connection, batch: LoadBatch) -> dict[str, int]:
    """Write `batch` inside the caller's transaction; return what was written, by kind."""
    now = datetime.now(UTC)
    _count_run(conn, batch)
    quarantined_keys = {(q.external_id, q.content_hash) for q in batch.quarantined}
    _land_raw(conn, batch, quarantined_keys, now)
    _rekey(conn, batch)
    written = _upsert_records(conn, batch)
    _write_quarantine(conn, batch, now)
    _close_older_versions(conn, batch, now)
    _tally_fields(conn, batch, now)
    if batch.cursor is not None:
        _advance_cursor(conn, batch.source, batch.entity, batch.cursor, now)
    keys = "\n".join(sorted(f"{r.external_id}:{r.content_hash}" for r in batch.landed))
    counts = {
        "pulled": batch.pulled,
        "unchanged": batch.unchanged,
        "landed": len(batch.landed),
        "loaded": batch.loaded,
        "quarantined": len(batch.quarantined),
        "records": len(batch.records),
        "written": written,
    }
    audit.append(
        conn,
        ACTOR,
        "load",
        batch.entity,
        batch.source,
        {"run_id": batch.run_id, "counts": counts, "keys_sha256": hashlib.sha256(keys.encode()).hexdigest()},
    )
    return counts


def _tally_fields(conn: Connection, batch: LoadBatch, now: datetime) -> None:
    """Add the batch's payload paths to the store's tally (one statement; a few hundred paths at most)."""
    if not batch.fields:
        return
    rows = [
        {
            "source": batch.source,
            "entity": batch.entity,
            "path": path,
            "json_type": json_type,
            "present": count,
            "added": batch.fields_are_additions,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for path, (json_type, count) in sorted(batch.fields.items())
    ]
    ins = dialect_insert(conn, payload_field)
    stmt = ins.on_conflict_do_update(
        index_elements=["source", "entity", "path"],
        set_={
            "present": payload_field.c.present + ins.excluded.present,
            "json_type": ins.excluded.json_type,
            "last_seen_at": ins.excluded.last_seen_at,
        },
    )
    conn.execute(stmt, rows)


def _count_run(conn: Connection, batch: LoadBatch) -> None:
    r = sync_run.c
    result = conn.execute(
        sync_run.update()
        .where(
            r.run_id == batch.run_id,
            r.status == "running",
            r.source == batch.source,
            r.entity == batch.entity,
        )
        .values(
            pulled=r.pulled + batch.pulled,
            unchanged=r.unchanged + batch.unchanged,
            loaded=r.loaded + batch.loaded,
            quarantined=r.quarantined + len(batch.quarantined),
        )
    )
    if result.rowcount != 1:
        raise StaleRunError(
            f"run {batch.run_id} of {batch.source}/{batch.entity} is not running: start a new run "
            "with begin_run() (a newer run abandons older ones)"
        )


def _land_raw(conn: Connection, batch: LoadBatch, quarantined_keys: set[tuple[str, str]], now: datetime) -> None:
    """Append new raw versions (a re-landed version is a no-op) and move raw_current forward."""
    if not batch.landed:
        return
    versions = [
        {
            "source": batch.source,
            "entity": batch.entity,
            "external_id": r.external_id,
            "content_hash": r.content_hash,
            "source_updated_at": r.updated_at,
            "payload": r.payload_json,
            "run_id": batch.run_id,
            "landed_at": now,
        }
        for r in batch.landed
    ]
    upsert(conn, raw_version, versions, key=("source", "entity", "external_id", "content_hash"))
    current: dict[str, Row] = {}
    for r in batch.landed:
        seen = current.get(r.external_id)
        if seen is None or r.updated_at >= seen["source_updated_at"]:
            status = "quarantined" if (r.external_id, r.content_hash) in quarantined_keys else "loaded"
            if r.external_id in batch.corrected and status == "loaded":
                status = "corrected"
            current[r.external_id] = {
                "source": batch.source,
                "entity": batch.entity,
                "external_id": r.external_id,
                "content_hash": r.content_hash,
                "source_updated_at": r.updated_at,
                "status": status,
                "pulled_key": r.pulled_key,
            }
    upsert(
        conn,
        raw_current,
        [current[k] for k in sorted(current)],
        key=("source", "entity", "external_id"),
        update=("content_hash", "source_updated_at", "status", "pulled_key"),
        newer_only=True,
    )


def _rekey(conn: Connection, batch: LoadBatch) -> None:
    """Keep the key unchanged records were pulled with, for the next sync to find them by (only
    while the version they match is still the current one)."""
    if not batch.rekeyed:
        return
    c = raw_current.c
    stmt = (
        raw_current.update()
        .where(
            c.source == batch.source,
            c.entity == batch.entity,
            c.external_id == sa.bindparam("b_external_id"),
            c.content_hash == sa.bindparam("b_content_hash"),
        )
        .values(pulled_key=sa.bindparam("b_pulled_key"))
    )
    rows = [
        {"b_external_id": r.external_id, "b_content_hash": r.content_hash, "b_pulled_key": r.pulled_key}
        for r in sorted(batch.rekeyed, key=lambda r: r.external_id)
    ]
    conn.execute(stmt, rows)


def _raw_links(batch: LoadBatch) -> Iterator[tuple[Record, str | None, str | None]]:
    """Each record with the raw external id and content hash it was mapped from."""
    hashes = {r.external_id: r.content_hash for r in batch.landed}
    if batch.record_raw_ids:
        for record, raw_id in zip(batch.records, batch.record_raw_ids, strict=True):
            yield record, raw_id, hashes.get(raw_id)
        return
    for record in batch.records:
        tables = ENTITY_TABLES[_ENTITY_OF[type(record)]]
        candidates = (getattr(record, "external_id", None), getattr(record, tables.key[-1]))
        linked = next((c for c in candidates if c in hashes), None)
        yield record, linked, hashes.get(linked) if linked else None


def _upsert_records(conn: Connection, batch: LoadBatch) -> int:
    """Newer-wins upsert of every record, then lines and edges of the headers that won."""
    newest: dict[str, dict[tuple[Any, ...], HeaderRow]] = defaultdict(dict)
    for record, raw_id, raw_hash in _raw_links(batch):
        entity = _ENTITY_OF[type(record)]
        h = header_row(ENTITY_TABLES[entity], record, raw_id, raw_hash)
        seen = newest[entity].get(h.key)
        if seen is None or h.row["source_updated_at"] >= seen.row["source_updated_at"]:
            newest[entity][h.key] = h
    written = 0
    won_keys: dict[str, list[tuple[Any, ...]]] = {}
    for entity, by_key in newest.items():
        tables = ENTITY_TABLES[entity]
        headers = [by_key[k] for k in sorted(by_key)]
        won = _upsert_newer(conn, tables, [h.row for h in headers])
        winners = [h for h in headers if h.key in won]
        won_keys[entity] = [h.key for h in winners]
        written += len(winners)
        if tables.lines is not None and winners:
            _replace_lines(conn, tables, winners)
        if entity in EDGE_BUILDERS and winners:
            evidence, build = EDGE_BUILDERS[entity]
            _replace_docs(
                conn,
                trace_edge,
                ("source", "doc_id"),
                [h.key for h in winners],
                trace_edge.c.evidence == evidence,
            )
            edges = build(winners)
            if edges:
                check_edges(edges)
                bulk_insert(conn, trace_edge, edges)
    inferred.refresh(conn, won_keys.get("batch_record", []), won_keys.get("lot", []))
    resolve.refresh(conn, won_keys)
    return written


def _upsert_newer(conn: Connection, tables: EntityTables, rows: list[Row]) -> set[tuple[Any, ...]]:
    """Upsert `rows`; an older source_updated_at never overwrites. Returns the keys written."""
    table = tables.header
    update = [c.name for c in table.columns if c.name not in tables.key]
    return upsert(conn, table, rows, key=tables.key, update=update, newer_only=True, returning=True)


def _replace_lines(conn: Connection, tables: EntityTables, winners: list[HeaderRow]) -> None:
    assert tables.lines is not None
    _replace_docs(conn, tables.lines, tables.key, [h.key for h in winners])
    lines = [line for h in winners for line in h.lines]
    if lines:
        bulk_insert(conn, tables.lines, lines)


def _replace_docs(
    conn: Connection,
    table: sa.Table,
    key: Iterable[str],
    doc_keys: list[tuple[Any, ...]],
    *where: sa.ColumnElement[bool],
) -> None:
    """Delete the child rows of documents keyed (source, id), chunked per source."""
    source_col, id_col = (table.c[k] for k in key)
    ids_by_source: dict[str, list[str]] = defaultdict(list)
    for source, doc_id in doc_keys:
        ids_by_source[source].append(doc_id)
    for source, ids in ids_by_source.items():
        for part in parts(conn, ids):
            conn.execute(table.delete().where(source_col == source, in_list(conn, id_col, part), *where))


def _write_quarantine(conn: Connection, batch: LoadBatch, now: datetime) -> None:
    """Insert new quarantine rows; a record seen again keeps first_seen_at and is open again."""
    if not batch.quarantined:
        return
    rows = {
        (q.external_id, q.content_hash): {
            "source": batch.source,
            "entity": batch.entity,
            "external_id": q.external_id,
            "content_hash": q.content_hash,
            "payload": to_jsonable(q.payload),
            "mapped": to_jsonable(q.mapped) if q.mapped is not None else None,
            "failures": [f.model_dump(mode="json") for f in q.failures],
            "rules": ",".join(sorted({f.rule for f in q.failures})),
            "status": "open",
            "first_seen_at": now,
            "last_seen_at": now,
            "run_id": batch.run_id,
            "kind": batch.kind,
            "mapping_options": batch.mapping_options,
        }
        for q in batch.quarantined
    }
    upsert(
        conn,
        quarantine,
        [rows[k] for k in sorted(rows)],
        key=("source", "entity", "external_id", "content_hash"),
        update=("mapped", "failures", "rules", "status", "last_seen_at", "run_id", "mapping_options"),
    )


def _close_older_versions(conn: Connection, batch: LoadBatch, now: datetime) -> None:
    """A newer version of a record closes what was pending on older ones: their open quarantine rows
    become `superseded`, linked to the newer version's row (None when it loaded), and their
    stewards' corrections are superseded too (the steward sees them flagged on the record)."""
    if not batch.landed:
        return
    newest = {r.external_id: r.content_hash for r in batch.landed}
    q, k = quarantine.c, quarantine_correction.c
    successor: dict[tuple[str, str], int] = {}
    if batch.quarantined:
        for part in parts(conn, sorted(newest)):
            rows = conn.execute(
                sa.select(q.id, q.external_id, q.content_hash).where(
                    q.source == batch.source, q.entity == batch.entity, in_list(conn, q.external_id, part)
                )
            )
            successor.update({(r.external_id, r.content_hash): r.id for r in rows})
    events = []
    for part in parts(conn, sorted(newest)):
        key = (q.source == batch.source, q.entity == batch.entity, in_list(conn, q.external_id, part))
        stale = conn.execute(sa.select(q.id, q.external_id, q.content_hash).where(*key, q.status == "open")).all()
        for row in stale:
            if row.content_hash == newest[row.external_id]:
                continue
            after = successor.get((row.external_id, newest[row.external_id]))
            conn.execute(
                quarantine.update()
                .where(q.id == row.id)
                .values(
                    status="superseded",
                    superseded_by=after,
                    resolved_at=now,
                    resolved_by=ACTOR,
                    resolution_reason="a newer version of the record arrived",
                )
            )
            events.append(
                {
                    "quarantine_id": row.id,
                    "at": now,
                    "actor": ACTOR,
                    "action": "supersede",
                    "from_status": "open",
                    "to_status": "superseded",
                    "reason": "a newer version of the record arrived",
                    "run_id": batch.run_id,
                    "details": {"superseded_by": after, "content_hash": newest[row.external_id]},
                }
            )
        corrected = conn.execute(
            sa.select(k.id, k.external_id, k.content_hash).where(
                k.source == batch.source,
                k.entity == batch.entity,
                in_list(conn, k.external_id, part),
                k.status == "active",
            )
        ).all()
        outdated = [r.id for r in corrected if r.content_hash != newest[r.external_id]]
        for external_id in (e for e in part if e in batch.corrected):  # that version's corrections hold again
            conn.execute(
                quarantine_correction.update()
                .where(k.source == batch.source, k.entity == batch.entity, k.external_id == external_id)
                .where(k.content_hash == newest[external_id], k.status == "superseded")
                .values(status="active", superseded_at=None)
            )
        if outdated:
            conn.execute(
                quarantine_correction.update().where(k.id.in_(outdated)).values(status="superseded", superseded_at=now)
            )
    if events:
        conn.execute(quarantine_event.insert(), events)


def _advance_cursor(conn: Connection, source: str, entity: str, cursor: datetime, now: datetime) -> None:
    """Move the cursor forward only: a late batch with an older cursor leaves it where it is."""
    ins = dialect_insert(conn, sync_state).values(source=source, entity=entity, cursor=cursor, updated_at=now)
    conn.execute(
        ins.on_conflict_do_update(
            index_elements=["source", "entity"],
            set_={"cursor": ins.excluded.cursor, "updated_at": ins.excluded.updated_at},
            where=sa.or_(sync_state.c.cursor.is_(None), ins.excluded.cursor > sync_state.c.cursor),
        )
    )
