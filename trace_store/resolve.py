"""Links one record draws from another, kept current at load time because sources arrive in any order.

- **SKU -> GTIN.** A line (or stock row) that names only a SKU gets the GTIN, and on shipment
  lines the tracking, that the sources state for that SKU: the ERP's device master (barcode) and
  the shop's variants (barcode). The pipeline resolves what
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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store import sql
from trace_store.schema import (
    customer_return,
    device,
    inventory_level,
    invoice_line,
    order_line,
    return_line,
    serial_number,
    shipment,
    shipment_line,
    trace_edge,
    variant,
)

SKU_TABLES: dict[str, tuple[sa.Table, str]] = {
    "shipment": (shipment_line, "shipment_id"),
    "return": (return_line, "return_id"),
    "order": (order_line, "order_number"),
    "invoice": (invoice_line, "invoice_number"),
    "inventory": (inventory_level, "item_ref"),
    "serial_number": (serial_number, "serial"),
}
"""Entity -> the table whose rows name items by SKU and GTIN, and the column of the document they belong to."""
EDGE_LINES: dict[str, str] = {"shipped": "shipment", "returned": "return"}
"""Evidence -> the entity whose lines its edges are built from (same source, document and line number)."""
_LOCK_SPACE = b"tracehub:sku:"

Scope = Callable[[sa.Table, str], sa.ColumnElement[bool]]
"""Which rows of a table (given its document column) a resolution pass looks at."""


def identities() -> sa.Subquery:
    """Every (SKU, GTIN, tracking) a source states: ERP devices (with their tracking) and shop variants."""
    d, v = device.c, variant.c
    return sa.union_all(
        sa.select(d.sku, d.gtin, d.tracking).where(d.sku.is_not(None)),
        sa.select(v.sku, v.gtin, sa.null().label("tracking")).where(v.sku.is_not(None), v.gtin.is_not(None)),
    ).subquery("identity")


def refresh(conn: Connection, written: Mapping[str, Sequence[tuple[Any, ...]]]) -> None:
    """Fill the links the records just written (by entity, their keys) make resolvable.

    Work is bounded by what was written: the documents just written, and the rows of the SKUs of
    the devices just written; never a scan of everything unresolved.
    """
    skus = _identity_skus(conn, written)
    docs = {entity: _by_source(written[entity]) for entity in SKU_TABLES if written.get(entity)}
    waiting = sorted({sku for entity, by_source in docs.items() for sku in _unresolved(conn, entity, by_source)})
    if skus or waiting:
        sql.advisory_locks(conn, _LOCK_SPACE, {*skus, *waiting})
        for part in sql.parts(conn, skus):
            _resolve_all(conn, _skus(conn, part))
        for entity, by_source in docs.items():
            for source, ids in by_source.items():
                for part in sql.parts(conn, ids):
                    scope = _documents(conn, source, part)
                    _resolve(conn, entity, scope)
                    _edge_gtins(conn, entity, scope)
    if "shipment" in docs or "return" in docs:
        _returns(conn)


def _by_source(keys: Sequence[tuple[Any, ...]]) -> dict[str, list[str]]:
    grouped: dict[str, set[str]] = {}
    for key in keys:
        grouped.setdefault(key[0], set()).add(key[1])
    return {source: sorted(ids) for source, ids in grouped.items()}


def _skus(conn: Connection, skus: Sequence[str]) -> Scope:
    return lambda table, _doc: sql.in_list(conn, table.c.sku, skus)


def _documents(conn: Connection, source: str, ids: Sequence[str]) -> Scope:
    return lambda table, doc: sa.and_(table.c.source == source, sql.in_list(conn, table.c[doc], ids))


def _identity_skus(conn: Connection, written: Mapping[str, Sequence[tuple[Any, ...]]]) -> list[str]:
    """SKUs of the devices and shop variants just written: lines naming them may resolve now."""
    d, v = device.c, variant.c
    found: set[str] = set()
    for part in sql.parts(conn, sorted(key[0] for key in written.get("device") or [])):
        query = sa.select(d.sku).where(d.sku.is_not(None), sql.in_list(conn, d.gtin, part))
        found.update(conn.execute(query).scalars())
    for source, ids in _by_source(written.get("variant") or []).items():
        for part in sql.parts(conn, ids):
            query = sa.select(v.sku).where(
                v.sku.is_not(None), v.source == source, sql.in_list(conn, v.external_id, part)
            )
            found.update(conn.execute(query).scalars())
    return sorted(found)


def _unresolved(conn: Connection, entity: str, by_source: Mapping[str, list[str]]) -> set[str]:
    """SKUs of the just-written rows of `entity` that still have no GTIN."""
    table, doc = SKU_TABLES[entity]
    found: set[str] = set()
    for source, ids in by_source.items():
        for part in sql.parts(conn, ids):
            query = sa.select(table.c.sku).where(
                table.c.gtin.is_(None), table.c.sku.is_not(None), _documents(conn, source, part)(table, doc)
            )
            found.update(conn.execute(query.distinct()).scalars())
    return found


def _device_of(table: sa.Table, column: str) -> sa.ScalarSelect[Any]:
    """The identity's `column` for the row's SKU, when the sources name exactly one GTIN for it (else NULL)."""
    i = identities()
    return (
        sa.select(sa.func.min(i.c[column]))
        .where(i.c.sku == table.c.sku)
        .having(sa.func.count(sa.distinct(i.c.gtin)) == 1)
        .scalar_subquery()
    )


def _resolve_all(conn: Connection, scope: Scope) -> None:
    """Resolve rows in `scope` of every table that names items by SKU, and their edges."""
    for entity in SKU_TABLES:
        _resolve(conn, entity, scope)
        _edge_gtins(conn, entity, scope)


def _resolve(conn: Connection, entity: str, scope: Scope) -> None:
    table, doc = SKU_TABLES[entity]
    values: dict[str, Any] = {"gtin": _device_of(table, "gtin")}
    if "tracking" in table.c:
        values["tracking"] = _device_of(table, "tracking")
    conn.execute(
        table.update()
        .where(
            table.c.gtin.is_(None),
            table.c.sku.is_not(None),
            scope(table, doc),
            _device_of(table, "gtin").is_not(None),
        )
        .values(**values)
    )


def _edge_gtins(conn: Connection, entity: str, scope: Scope) -> None:
    """Edges of the resolved lines in `scope` take their GTIN too."""
    evidence = next((name for name, of in EDGE_LINES.items() if of == entity), None)
    if evidence is None:
        return
    lines, doc = SKU_TABLES[entity]
    e = trace_edge.c
    line = sa.select(lines.c.gtin).where(
        lines.c.source == e.source, lines.c[doc] == e.doc_id, lines.c.line_no == e.line_no
    )
    conn.execute(
        trace_edge.update()
        .where(
            e.evidence == evidence,
            e.gtin.is_(None),
            line.where(lines.c.gtin.is_not(None), scope(lines, doc)).exists(),
        )
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
