"""ShipBob 2026-01: the record splitters its declaration (platforms/shipbob.yaml) names.

What ShipBob's contract offers, and how each stream stays exactly-once:

- `shipment`: `GET /order`, numbered pages of a bare array, filtered on the order's last update
  (`LastUpdateStartDate`/`LastUpdateEndDate`). An order has no update field of its own, but
  each shipment has `last_update_at`; so each shipment is its own raw record (the order as sent,
  with only that shipment in `shipments`), keyed by shipment id and placed in time by its
  `last_update_at`. A shipment stands alone: a pending one never holds back a delivered one.
- `return`: `GET /return`, a cursor envelope with no update filter and no update field: every
  sync pulls the whole list (oldest first); a return's time is its latest status change, and the
  content hash skips what did not change.
- `inventory`: `GET /inventory-level/lots`, a cursor envelope with neither filter nor timestamp:
  a snapshot, pulled whole every sync and stamped with the time of the pull.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.base import RawRecord
from connectors.timefmt import parse_utc


def _moment(text: Any) -> datetime | None:
    try:
        return parse_utc(text) if isinstance(text, str) and text else None
    except ValueError:
        return None


def shipment_records(order: dict[str, Any]) -> list[RawRecord]:
    """One raw record per shipment: the order as ShipBob sent it, holding only that shipment.

    The payload stays a valid `OrderViewModel`, so the shipment keeps its order's number and
    recipient. Its time is the shipment's `last_update_at`, else the order's `created_date`.
    An order without shipments holds nothing to ship yet; one whose `shipments` is not a list of
    identified shipments is landed whole under `order-<id>`, to be quarantined, never dropped.
    """
    shipments = order.get("shipments")
    if shipments is None or shipments == []:
        return []
    if not isinstance(shipments, list) or not all(isinstance(s, dict) and s.get("id") is not None for s in shipments):
        # Not the vendor's shape: land the order whole, so that mapping quarantines it naming the field.
        return [RawRecord(f"order-{order.get('id')}", _placed(order, {}), order)]
    header = {key: value for key, value in order.items() if key != "shipments"}
    return [RawRecord(str(s["id"]), _placed(order, s), {**header, "shipments": [s]}) for s in shipments]


def _placed(order: dict[str, Any], shipment: dict[str, Any]) -> datetime:
    updated = _moment(shipment.get("last_update_at")) or _moment(order.get("created_date"))
    if updated is None:
        raise ValueError(
            f"ShipBob order {order.get('id')!r} (shipment {shipment.get('id')!r}) has neither last_update_at nor "
            "created_date; it cannot be placed in a sync window"
        )
    return updated


def return_records(record: dict[str, Any]) -> list[RawRecord]:
    """A return, timed by its latest status change (its creation when it has none)."""
    moments = [_moment(record.get("insert_date"))]
    moments += [_moment(h.get("timestamp")) for h in record.get("status_history") or [] if isinstance(h, dict)]
    for name in ("awaiting_arrival_date", "arrived_date", "processing_date", "completed_date", "cancelled_date"):
        moments.append(_moment(record.get(name)))
    known = [m for m in moments if m is not None]
    if record.get("id") is None or not known:
        raise ValueError(f"ShipBob return {record.get('id')!r} has no id or no date; it cannot be placed in time")
    return [RawRecord(str(record["id"]), max(known), record)]
