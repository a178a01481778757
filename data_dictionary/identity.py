"""Identity across systems: a line that names only a SKU gets its GTIN from the device master.

Warehouses and shops often know an item by SKU alone (ShipBob shipment products carry no GTIN;
a Shopify line names its variant's SKU). The device master (an ERP's products, keyed by GTIN,
with their SKU) says which GTIN, and which tracking, a SKU stands for. Records are resolved here,
before validation, so that rules that depend on the device (a lot-tracked device needs a lot)
hold for every line; a SKU the master does not know yet leaves the line unresolved, and the
trace store resolves it when the master arrives. The mapping fills the values it maps
(`resolver`), so every way a payload is checked resolves the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class Item:
    """What the device master says a SKU is."""

    gtin: str
    tracking: str | None = None


Items = Mapping[str, Item]
"""SKU -> the device it names (only SKUs that name exactly one GTIN)."""

LINE_FIELDS = ("lines", "inputs")


Fill = Callable[[dict[str, Any], Items], None]
"""Fills one record's mapped values in place: a record or line naming only a SKU gets its device."""


def resolver(model: type[BaseModel]) -> Fill:
    """How a mapped `model`'s values are filled from the device master, before they are validated.

    The device's tracking wins over what a line suggests, because the master knows whether the
    device is lot- or serial-tracked. Filled while the values are still a dict: copying a
    validated record and each of its lines cost as much as validating them.
    """
    levels: list[tuple[str | None, type[BaseModel]]] = [(None, model)] if _names_device(model) else []
    for name in LINE_FIELDS:
        info = model.model_fields.get(name)
        line = next((a for a in get_args(info.annotation) if _names_device(a)), None) if info else None
        if line is not None:
            levels.append((name, line))
    plan = [(name, "tracking" in level.model_fields) for name, level in levels]

    def fill(values: dict[str, Any], items: Items) -> None:
        for name, tracked in plan:
            if name is None:
                _fill(values, items, tracked)
                continue
            for line in values.get(name) or ():
                if isinstance(line, dict):
                    _fill(line, items, tracked)

    return fill


def _names_device(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, BaseModel) and {"sku", "gtin"} <= model.model_fields.keys()


def _fill(values: dict[str, Any], items: Items, tracked: bool) -> None:
    sku = values.get("sku")
    if not sku or not isinstance(sku, str):
        return
    item = items.get(sku)
    if item is None:
        return
    gtin = values.get("gtin")
    if gtin is None:
        values["gtin"] = item.gtin
    elif gtin != item.gtin:
        return  # the line names its own device: the SKU does not overrule it
    if tracked and item.tracking:
        values["tracking"] = item.tracking
