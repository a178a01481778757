"""Forward trace of a lot or one serialised unit: every shipment that carried it, in ship-date order.

The quick answer quality staff ask first ("who got lot X?"); `genealogy` and `recall` go further
(components, returns, stock and contacts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store.schema import trace_edge
from trace_store.store import Store, connection


@dataclass(frozen=True, slots=True)
class Delivery:
    """One shipment that carried the traced item: who got how many, when, and under which order."""

    customer: str | None
    region: str | None
    qty: Decimal
    ship_date: datetime | None
    shipment_id: str
    order_number: str | None
    source: str
    serials: list[str] = field(default_factory=list)


def _deliveries(conn_or_store: Store | Connection, *where: sa.ColumnElement[bool]) -> list[Delivery]:
    e = trace_edge.c
    query = (
        sa.select(e.source, e.doc_id, e.to_party, e.to_region, e.qty, e.event_time, e.order_number, e.serial)
        .where(e.evidence == "shipped", *where)
        .order_by(e.event_time, e.source, e.doc_id, e.line_no)
    )
    acc: dict[tuple[str, str], dict[str, Any]] = {}
    with connection(conn_or_store) as conn:
        for r in conn.execute(query):
            d = acc.setdefault(
                (r.source, r.doc_id),
                {
                    "customer": r.to_party,
                    "region": r.to_region,
                    "qty": Decimal(0),
                    "ship_date": r.event_time,
                    "shipment_id": r.doc_id,
                    "order_number": r.order_number,
                    "source": r.source,
                    "serials": [],
                },
            )
            d["qty"] += r.qty
            if r.serial:
                d["serials"].append(r.serial)
    return [Delivery(**{**d, "serials": sorted(d["serials"])}) for d in acc.values()]


def trace_lot(conn_or_store: Store | Connection, gtin: str, lot: str) -> list[Delivery]:
    """Forward trace of a lot: every shipment that carried it, in ship-date order."""
    return _deliveries(conn_or_store, trace_edge.c.gtin == gtin, trace_edge.c.lot == lot)


def trace_serial(conn_or_store: Store | Connection, gtin: str, serial: str) -> list[Delivery]:
    """Forward trace of one serialised unit (normally one delivery; more means a finding)."""
    return _deliveries(conn_or_store, trace_edge.c.gtin == gtin, trace_edge.c.serial == serial)
