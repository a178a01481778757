"""Inferred produced-from edges: a batch input that names no lot links every candidate lot.

The candidate rule (architecture rule 6: a recall gets a labelled superset, never a silent subset):
the candidates of a lot-less input of component GTIN G are all lots of G in the `lot` table,
the ERP's lot master, whatever their QC status or dates. Lots named only by other evidence (a
recorded batch input, a shipment line) are not candidates: a lot the lot master does not know
is itself a finding, and its recorded edges exist anyway; keeping candidates to one table also
keeps them growing only (lots are never deleted), which is what makes the upkeep incremental.
With no candidate yet, the input gets one inferred edge with lot NULL, so a backward trace still
shows "component G, lot unknown". Each candidate edge carries the input's whole consumed
quantity: the most that lot can have given, not a share of it.

Kept at load time, in the loader's transaction, because sources arrive in any order:
- batch records that won: their inferred edges are rebuilt (lot-less inputs x current lots);
- lots that won: edges from every lot-less input of their GTIN to them are added (deterministic
  ids, so existing ones stay) and that GTIN's lot-unknown placeholders go.
Work is bounded by the lot-less inputs and the lots of the GTINs touched, never a rebuild.
On PostgreSQL an advisory lock per GTIN (transaction-scoped) serialises two loaders touching
the same GTIN, so under READ COMMITTED the later one sees the earlier one's lots or inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store import evidence, sql
from trace_store.rows import Row, batch_time, edge_row
from trace_store.schema import batch_input, batch_record, lot, trace_edge

KIND = "inferred"
_LOCK_SPACE = b"tracehub:inferred:"


def refresh(conn: Connection, batch_keys: Iterable[tuple[str, str]], lot_keys: Iterable[tuple[str, str]]) -> None:
    """Bring the inferred edges up to date after these batch records and lots were written."""
    docs = _by_first(batch_keys)
    lots = _by_first(lot_keys)
    if not docs and not lots:
        return
    sql.advisory_locks(conn, _LOCK_SPACE, set(lots) | _doc_gtins(conn, docs))
    e = trace_edge.c
    for source, ids in docs.items():
        for part in sql.parts(conn, ids):
            conn.execute(
                trace_edge.delete().where(e.evidence == KIND, e.source == source, sql.in_list(conn, e.doc_id, part))
            )
            rows = _edges(conn, _candidates(outer=True).where(_docs(conn, source, part)))
            if rows:
                sql.bulk_insert(conn, trace_edge, rows)
    gtins = sorted(lots)
    for part in sql.parts(conn, gtins):
        conn.execute(trace_edge.delete().where(e.evidence == KIND, e.lot.is_(None), sql.in_list(conn, e.gtin, part)))
    for gtin, names in lots.items():
        for part in sql.parts(conn, names):
            rows = _edges(conn, _candidates(outer=False).where(lot.c.gtin == gtin, sql.in_list(conn, lot.c.lot, part)))
            sql.upsert(conn, trace_edge, rows, key=("edge_id",))


def _by_first(keys: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for first, second in keys:
        grouped[first].append(second)
    return {k: sorted(v) for k, v in grouped.items()}


def _docs(conn: Connection, source: str, ids: Any) -> sa.ColumnElement[bool]:
    return sa.and_(batch_input.c.source == source, sql.in_list(conn, batch_input.c.record_id, ids))


def _doc_gtins(conn: Connection, docs: dict[str, list[str]]) -> set[str]:
    """GTINs whose inferred edges these documents touch: their lot-less inputs, old and new."""
    bi, e = batch_input.c, trace_edge.c
    found: set[str] = set()
    for source, ids in docs.items():
        for part in sql.parts(conn, ids):
            new = sa.select(bi.gtin).where(bi.lot.is_(None), bi.gtin.is_not(None), _docs(conn, source, part))
            old = sa.select(e.gtin).where(
                e.evidence == KIND, e.gtin.is_not(None), e.source == source, sql.in_list(conn, e.doc_id, part)
            )
            found.update(conn.execute(sa.union(new, old)).scalars())
    return found


def _candidates(outer: bool) -> sa.Select[Any]:
    """Lot-less batch inputs with their record and each candidate lot (NULL when none, if `outer`)."""
    bi, br = batch_input.c, batch_record.c
    joined = batch_input.join(batch_record, sa.and_(br.source == bi.source, br.record_id == bi.record_id)).join(
        lot, lot.c.gtin == bi.gtin, isouter=outer
    )
    return (
        sa.select(
            bi.source,
            bi.record_id,
            bi.line_no,
            bi.gtin,
            bi.qty,
            br.output_gtin,
            br.output_lot,
            br.record_date,
            lot.c.lot.label("candidate"),
        )
        .select_from(joined)
        .where(bi.lot.is_(None))
    )


def _edges(conn: Connection, query: sa.Select[Any]) -> list[Row]:
    """One inferred edge per (input, candidate), sorted by id so writers lock rows in one order."""
    rows = [
        edge_row(
            KIND,
            r.source,
            r.record_id,
            r.line_no,
            r.candidate or "",
            confidence="inferred",
            gtin=r.gtin,
            lot=r.candidate,
            qty=r.qty,
            output_gtin=r.output_gtin,
            output_lot=r.output_lot,
            event_time=batch_time(r.record_date),
        )
        for r in conn.execute(query)
    ]
    evidence.check(rows)
    return sorted(rows, key=lambda row: row["edge_id"])
