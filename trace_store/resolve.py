"""Links one record draws from another, kept current at load time because sources arrive in any order.

- **SKU -> GTIN.** A line (or stock row) that names only a SKU gets the GTIN, and on shipment
  lines the tracking, of the device whose master record has that SKU. The pipeline resolves what
  the master already holds before validation (data_dictionary/identity.py); here the store
  resolves the rest: lines written now against the devices it holds, and, when devices load,
  every line still waiting for their SKUs. A SKU that names two GTINs stays unresolved (and is a
  finding, `item_unresolved`). Trace edges of resolved lines get the GTIN too.
- **Return -> original shipment.** A ShipBob return names its original shipment but not who sent
  the goods back (its `customer_name` is the merchant): the consignee and order number of that
  shipment are filled into the return and its `returned` edges.

Both only fill what is empty, so re-running changes nothing. On PostgreSQL an advisory lock per
SKU (transaction-scoped) orders a device load and a line load of the same SKU, so under READ
COMMITTED the later one always sees the earlier one's rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store import loader
from trace_store.schema import (
    customer_return,
    device,
    inventory_level,
    invoice_line,
    order_line,
    return_line,
    shipment,
    shipment_line,
    trace_edge,
)

SKU_TABLES: dict[str, sa.Table] = {
    "shipment": shipment_line,
    "return": return_line,
    "order": order_line,
    "invoice": invoice_line,
    "inventory": inventory_level,
}
"""Entity -> the table whose rows name items by SKU and GTIN."""
EDGE_LINES: dict[str, tuple[sa.Table, str]] = {
    "shipped": (shipment_line, "shipment_id"),
    "returned": (return_line, "return_id"),
}
"""Evidence -> the line table its edges are built from, and that table's document id column."""
_LOCK_SPACE = b"tracehub:sku:"


def refresh(conn: Connection, written: Mapping[str, Sequence[tuple[Any, ...]]]) -> None:
    """Fill the links the records just written (by entity, their keys) make resolvable."""
    devices = written.get("device") or []
    skus = _device_skus(conn, [key[0] for key in devices]) if devices else []
    sources = {entity: sorted({key[0] for key in keys}) for entity, keys in written.items() if keys}
    waiting = {entity: _unresolved(conn, entity, sources[entity]) for entity in SKU_TABLES if entity in sources}
    waiting = {entity: found for entity, found in waiting.items() if found}
    if skus or waiting:
        _lock(conn, set(skus).union(*waiting.values()))
        for entity, table in SKU_TABLES.items():
            for part in loader.chunks(skus):
                _resolve(conn, table, loader.in_list(conn, table.c.sku, part))
            if entity in waiting:
                _resolve(conn, table, table.c.source.in_(sources[entity]))
        _edge_gtins(conn)
    if "shipment" in sources or "return" in sources:
        _returns(conn)


def _device_skus(conn: Connection, gtins: list[str]) -> list[str]:
    d = device.c
    found: set[str] = set()
    for part in loader.chunks(sorted(gtins)):
        found.update(
            conn.execute(sa.select(d.sku).where(d.sku.is_not(None), loader.in_list(conn, d.gtin, part))).scalars()
        )
    return sorted(found)


def _unresolved(conn: Connection, entity: str, sources: list[str]) -> list[str]:
    """SKUs of rows of `entity` from the sources just written that still have no GTIN."""
    table = SKU_TABLES[entity]
    query = (
        sa.select(table.c.sku)
        .where(table.c.gtin.is_(None), table.c.sku.is_not(None), table.c.source.in_(sources))
        .distinct()
    )
    return sorted(conn.execute(query).scalars())


def _device_of(table: sa.Table, column: str) -> sa.ScalarSelect[Any]:
    """The device's `column` for the row's SKU, when exactly one GTIN has that SKU (else NULL)."""
    d = device.c
    return (
        sa.select(sa.func.min(d[column]))
        .where(d.sku == table.c.sku)
        .having(sa.func.count(sa.distinct(d.gtin)) == 1)
        .scalar_subquery()
    )


def _resolve(conn: Connection, table: sa.Table, scope: sa.ColumnElement[bool]) -> None:
    values: dict[str, Any] = {"gtin": _device_of(table, "gtin")}
    if "tracking" in table.c:
        values["tracking"] = _device_of(table, "tracking")
    conn.execute(
        table.update()
        .where(table.c.gtin.is_(None), table.c.sku.is_not(None), scope, _device_of(table, "gtin").is_not(None))
        .values(**values)
    )


def _edge_gtins(conn: Connection) -> None:
    """Edges of lines that got their GTIN take it too."""
    e = trace_edge.c
    for evidence, (lines, doc_id) in EDGE_LINES.items():
        line = sa.select(lines.c.gtin).where(
            lines.c.source == e.source, lines.c[doc_id] == e.doc_id, lines.c.line_no == e.line_no
        )
        conn.execute(
            trace_edge.update()
            .where(e.evidence == evidence, e.gtin.is_(None), line.where(lines.c.gtin.is_not(None)).exists())
            .values(gtin=line.scalar_subquery())
        )


def _returns(conn: Connection) -> None:
    """Returns that name no customer take their original shipment's consignee and order number."""
    r, s, e = customer_return.c, shipment.c, trace_edge.c
    original = sa.and_(s.source == r.source, s.shipment_id == r.original_shipment_id)
    conn.execute(
        customer_return.update()
        .where(r.customer_name.is_(None), r.original_shipment_id.is_not(None), sa.exists().where(original))
        .values(
            customer_name=sa.select(s.ship_to_name).where(original).scalar_subquery(),
            order_number=sa.func.coalesce(r.order_number, sa.select(s.order_number).where(original).scalar_subquery()),
        )
    )
    header = sa.and_(r.source == e.source, r.return_id == e.doc_id)
    conn.execute(
        trace_edge.update()
        .where(
            e.evidence == "returned",
            e.from_party.is_(None),
            sa.exists().where(header, r.customer_name.is_not(None)),
        )
        .values(
            from_party=sa.select(r.customer_name).where(header).scalar_subquery(),
            order_number=sa.func.coalesce(e.order_number, sa.select(r.order_number).where(header).scalar_subquery()),
        )
    )


def _lock(conn: Connection, skus: set[str]) -> None:
    """PostgreSQL: take the advisory lock of each SKU, in key order (no deadlock between loaders)."""
    if conn.dialect.name != "postgresql" or not skus:
        return
    keys = sorted(
        {int.from_bytes(hashlib.sha256(_LOCK_SPACE + s.encode()).digest()[:8], "big", signed=True) for s in skus}
    )
    for key in keys:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
