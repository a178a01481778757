"""Identity across systems: a line that names only a SKU gets its GTIN from the device master.

Warehouses and shops often know an item by SKU alone (ShipBob shipment products carry no GTIN;
a Shopify line names its variant's SKU). The device master (an ERP's products, keyed by GTIN,
with their SKU) says which GTIN, and which tracking, a SKU stands for. Records are resolved here,
before validation, so that rules that depend on the device (a lot-tracked device needs a lot)
hold for every line; a SKU the master does not know yet leaves the line unresolved, and the
trace store resolves it when the master arrives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from data_dictionary.models import Record


@dataclass(frozen=True, slots=True)
class Item:
    """What the device master says a SKU is."""

    gtin: str
    tracking: str | None = None


Items = Mapping[str, Item]
"""SKU -> the device it names (only SKUs that name exactly one GTIN)."""

LINE_FIELDS = ("lines", "inputs")


def resolve(records: Sequence[Record], items: Items) -> list[Record]:
    """`records` with the GTIN (and tracking) of every SKU-only line or record filled in from `items`.

    The device's tracking wins over what a line suggests, because the master knows whether the
    device is lot- or serial-tracked. Records needing nothing come back unchanged (the same object).
    """
    if not items:
        return list(records)
    return [_resolved(record, items) for record in records]


def _resolved(record: Record, items: Items) -> Record:
    changes: dict[str, Any] = _changes(record, items)
    for name in LINE_FIELDS:
        lines = record.__dict__.get(name)
        if not lines:
            continue
        resolved = tuple(_line(line, items) for line in lines)
        if any(new is not old for new, old in zip(resolved, lines, strict=True)):
            changes[name] = resolved
    return record.model_copy(update=changes) if changes else record


def _line(line: BaseModel, items: Items) -> BaseModel:
    changes = _changes(line, items)
    return line.model_copy(update=changes) if changes else line


def _changes(model: BaseModel, items: Items) -> dict[str, Any]:
    fields = model.__dict__  # every field's value; faster to ask than pydantic for an absent attribute
    sku = fields.get("sku")
    if not sku or "gtin" not in fields:
        return {}
    item = items.get(sku)
    if item is None:
        return {}
    gtin = fields["gtin"]
    if gtin not in (None, item.gtin):
        return {}  # the line names its own device: the SKU does not overrule it
    changes: dict[str, Any] = {}
    if gtin is None:
        changes["gtin"] = item.gtin
    tracked = "tracking" in fields and item.tracking
    if tracked and fields["tracking"] != item.tracking:
        changes["tracking"] = item.tracking
    return changes
