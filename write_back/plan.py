"""What a shop has not been told yet: shipped shipments of its orders, against the push ledger.

A shipment is pushed once per tracking number. A shipment pushed before under another tracking
number is an update of that fulfilment (the warehouse relabelled it); one tried before (still
`pending`: it crashed between the call and its record; or `failed`) is looked for on the shop
before anything is sent again. Two shipments of one order may share a tracking number (one parcel
label for two picks), so looking for one on the shop skips the fulfilments the ledger already
gives the order's other shipments (`Push.claimed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store.schema import push_ledger, sales_order, shipment, shipment_line


@dataclass(frozen=True, slots=True)
class ShippedLine:
    sku: str
    lot: str | None
    serial: str | None
    qty: Decimal


@dataclass(frozen=True, slots=True)
class Shipped:
    """One shipped shipment of a shop order, as the store holds it."""

    destination: str
    order_number: str
    order_ref: str
    shipment_source: str
    shipment_id: str
    tracking_no: str
    carrier: str | None
    lines: tuple[ShippedLine, ...]

    @property
    def key(self) -> dict[str, str]:
        """The natural idempotency key: destination, shop order, shipment and tracking number."""
        return {
            "destination": self.destination,
            "order_number": self.order_number,
            "shipment_source": self.shipment_source,
            "shipment_id": self.shipment_id,
            "tracking_no": self.tracking_no,
        }

    @property
    def key_text(self) -> str:
        """The key as one string, for the audit log and messages."""
        return f"{self.destination}/{self.order_number}/{self.shipment_source}:{self.shipment_id}/{self.tracking_no}"

    def lots(self) -> list[dict[str, Any]]:
        """What shipped, per SKU, lot and serial: kept in the ledger whether or not the shop can hold it."""
        return [{"sku": x.sku, "lot": x.lot, "serial": x.serial, "qty": x.qty} for x in self.lines]


@dataclass(frozen=True, slots=True)
class Push:
    """One thing to tell the shop. `replaces`: the fulfilment whose tracking changes, with its old number."""

    shipped: Shipped
    state: str
    """'new', 'failed' (the shop refused last time) or 'pending' (crashed between call and record)."""
    replaces: tuple[str, str] | None = None
    claimed: frozenset[str] = frozenset()
    """The shop's ids of fulfilments the ledger gives other shipments of the same order: never this one's."""

    @property
    def action(self) -> str:
        return "update_tracking" if self.replaces else "create"


def plan(conn: Connection, destination: str) -> Iterator[Push]:
    """Shipped, tracked shipments of `destination`'s orders not yet pushed under their tracking number."""
    s, o, p = shipment.c, sales_order.c, push_ledger.c
    pushed = sa.exists().where(
        p.destination == destination,
        p.order_number == s.order_number,
        p.shipment_source == s.source,
        p.shipment_id == s.shipment_id,
        p.tracking_no == s.tracking_no,
        p.state == "pushed",
    )
    query = (
        sa.select(s.source, s.shipment_id, s.order_number, s.tracking_no, s.carrier, o.external_id)
        .join(sales_order, sa.and_(o.order_number == s.order_number, o.source == destination))
        .where(s.status == "shipped", s.tracking_no.is_not(None), s.tracking_no != "", ~pushed)
        .order_by(s.order_number, s.source, s.shipment_id)
    )
    for row in conn.execute(query).all():
        lines = tuple(
            ShippedLine(r.sku or "", r.lot, r.serial, r.qty)
            for r in conn.execute(
                sa.select(shipment_line.c.sku, shipment_line.c.lot, shipment_line.c.serial, shipment_line.c.qty)
                .where(shipment_line.c.source == row.source, shipment_line.c.shipment_id == row.shipment_id)
                .order_by(shipment_line.c.line_no)
            )
        )
        shipped = Shipped(
            destination,
            row.order_number,
            row.external_id,
            row.source,
            row.shipment_id,
            row.tracking_no,
            row.carrier,
            lines,
        )
        yield _against_ledger(conn, shipped)


def _against_ledger(conn: Connection, shipped: Shipped) -> Push:
    p = push_ledger.c
    rows = conn.execute(
        sa.select(p.tracking_no, p.state, p.remote_id).where(
            p.destination == shipped.destination,
            p.shipment_source == shipped.shipment_source,
            p.shipment_id == shipped.shipment_id,
        )
    ).all()
    mine = next((r for r in rows if r.tracking_no == shipped.tracking_no), None)
    earlier = next((r for r in rows if r.tracking_no != shipped.tracking_no and r.state == "pushed"), None)
    replaces = (earlier.remote_id, earlier.tracking_no) if earlier is not None and earlier.remote_id else None
    others = conn.execute(
        sa.select(p.remote_id).where(
            p.destination == shipped.destination,
            p.order_number == shipped.order_number,
            p.remote_id.is_not(None),
            sa.not_(sa.and_(p.shipment_source == shipped.shipment_source, p.shipment_id == shipped.shipment_id)),
        )
    ).scalars()
    return Push(shipped, mine.state if mine is not None else "new", replaces, frozenset(others))
