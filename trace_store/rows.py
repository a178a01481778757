"""Canonical records to table rows: headers, their lines and the trace edges they evidence.

Pure functions, no database: the loader decides which headers won and asks here for their rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa

from data_dictionary.models import Record
from trace_store import schema
from trace_store.sql import Row


@dataclass(frozen=True, slots=True)
class EntityTables:
    """Where one canonical entity lives: header table, its key, and its child lines if any."""

    header: sa.Table
    key: tuple[str, ...]
    lines: sa.Table | None = None
    lines_field: str | None = None


ENTITY_TABLES: dict[str, EntityTables] = {
    "device": EntityTables(schema.device, ("gtin",)),
    "variant": EntityTables(schema.variant, ("source", "external_id")),
    "party": EntityTables(schema.party, ("source", "external_id")),
    "lot": EntityTables(schema.lot, ("gtin", "lot")),
    "batch_record": EntityTables(schema.batch_record, ("source", "record_id"), schema.batch_input, "inputs"),
    "order": EntityTables(schema.sales_order, ("source", "order_number"), schema.order_line, "lines"),
    "shipment": EntityTables(schema.shipment, ("source", "shipment_id"), schema.shipment_line, "lines"),
    "invoice": EntityTables(schema.invoice, ("source", "invoice_number"), schema.invoice_line, "lines"),
    "inventory": EntityTables(schema.inventory_level, ("source", "item_ref", "lot", "location")),
    "serial_number": EntityTables(schema.serial_number, ("source", "serial")),
    "return": EntityTables(schema.customer_return, ("source", "return_id"), schema.return_line, "lines"),
    "scrap": EntityTables(schema.scrap, ("source", "scrap_id")),
}


@dataclass(frozen=True, slots=True)
class HeaderRow:
    """A record as its header row plus its line rows (lines already carry the header key)."""

    key: tuple[Any, ...]
    row: Row
    lines: list[Row]


def header_row(tables: EntityTables, record: Record, raw_id: str | None, raw_hash: str | None) -> HeaderRow:
    """Split a record into its header row and line rows; batch inputs are numbered from 1."""
    data = record.model_dump()
    children = data.pop(tables.lines_field) if tables.lines_field else []
    data["raw_external_id"] = raw_id
    data["raw_content_hash"] = raw_hash
    key = tuple(data[k] for k in tables.key)
    key_cols = dict(zip(tables.key, key, strict=True))
    lines = [{**key_cols, "line_no": child.get("line_no", n), **child} for n, child in enumerate(children, start=1)]
    return HeaderRow(key, data, lines)


def edge_id(evidence: str, source: str, doc_id: str, line_no: int, *more: str) -> str:
    """Deterministic: rebuilding the edges of a document gives the same ids (`more`: e.g. a candidate lot)."""
    return hashlib.sha256("|".join((evidence, source, doc_id, str(line_no), *more)).encode()).hexdigest()[:32]


def edge_row(
    evidence: str, source: str, doc_id: str, line_no: int, *more: str, confidence: str = "recorded", **fields: Any
) -> Row:
    """One trace_edge row: its deterministic id, its evidence, and the given fields (the rest None)."""
    return {
        "edge_id": edge_id(evidence, source, doc_id, line_no, *more),
        "evidence": evidence,
        "confidence": confidence,
        "source": source,
        "doc_id": doc_id,
        "line_no": line_no,
        **dict.fromkeys(EDGE_FIELDS),
        **fields,
    }


EDGE_FIELDS = (
    "gtin",
    "lot",
    "serial",
    "qty",
    "output_gtin",
    "output_lot",
    "from_party",
    "to_party",
    "to_region",
    "event_time",
    "order_number",
)
"""The columns of a trace edge beyond its identity; `edge_row` fills the ones not given with None."""


SHIPPED = "shipped"
NOT_BACK = frozenset({"awaitingarrival", "awaiting arrival", "cancelled"})
"""Return statuses (lower-cased) of units that are not back in the warehouse."""


def shipped_edges(headers: Iterable[HeaderRow]) -> list[Row]:
    """One `shipped` edge per line of a shipment that left: that lot or serial went to the consignee.

    A pending or cancelled shipment is stored but is no evidence of a movement.
    """
    headers = [h for h in headers if h.row["status"] == SHIPPED and h.row["ship_date"] is not None]
    return [
        edge_row(
            "shipped",
            r["source"],
            r["shipment_id"],
            line["line_no"],
            gtin=line["gtin"],
            lot=line["lot"],
            serial=line["serial"],
            qty=line["qty"],
            from_party=r["from_location"],
            to_party=r["ship_to_name"],
            to_region=r["ship_to_region"],
            event_time=r["ship_date"],
            order_number=r["order_number"],
        )
        for r, line in _lines(headers)
    ]


def batch_time(record_date: date | None) -> datetime | None:
    """When a batch record's edges happened: midnight UTC of its record date."""
    return datetime.combine(record_date, time(), UTC) if record_date else None


def produced_edges(headers: Iterable[HeaderRow]) -> list[Row]:
    """One `produced_from` edge per batch input that names its lot.

    Inputs without a lot get `inferred` edges to every candidate lot, derived in the store by
    trace_store/inferred.py, because the candidates change as lots load.
    """
    return [
        edge_row(
            "produced_from",
            r["source"],
            r["record_id"],
            line["line_no"],
            gtin=line["gtin"],
            lot=line["lot"],
            qty=line["qty"],
            output_gtin=r["output_gtin"],
            output_lot=r["output_lot"],
            event_time=batch_time(r["record_date"]),
        )
        for r, line in _lines(headers)
        if line["lot"] is not None
    ]


def returned_edges(headers: Iterable[HeaderRow]) -> list[Row]:
    """One `returned` edge per line of a return that arrived: that lot or serial came back from the customer.

    Who sent it back is filled in from the original shipment when the return names no customer
    (trace_store/resolve.py).
    """
    headers = [h for h in headers if (h.row["status"] or "") not in NOT_BACK]
    return [
        edge_row(
            "returned",
            r["source"],
            r["return_id"],
            line["line_no"],
            gtin=line["gtin"],
            lot=line["lot"],
            serial=line["serial"],
            qty=line["qty"],
            from_party=r["customer_name"],
            to_party=r["location"],
            event_time=r["return_date"],
            order_number=r["order_number"],
        )
        for r, line in _lines(headers)
    ]


def _lines(headers: Iterable[HeaderRow]) -> Iterator[tuple[Row, Row]]:
    for h in headers:
        for line in h.lines:
            yield h.row, line


EDGE_BUILDERS = {
    "shipment": ("shipped", shipped_edges),
    "batch_record": ("produced_from", produced_edges),
    "return": ("returned", returned_edges),
}
"""Entities whose documents are physical evidence (architecture rule 6); orders and invoices are not."""
