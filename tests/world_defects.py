"""Test helper: which of a world's planted defects each demo world must hold in quarantine, and where."""

from __future__ import annotations

from collections import Counter
from typing import Any

from simulators.defects import DEFECTS

SOURCE_OF_PLATFORM = {"odoo": "erp", "shopify": "shop", "shipbob": "warehouse"}
"""Where each world puts the platform a defect is planted on: ERP, shop, warehouse."""

NOT_CARRIED = {
    "classic": frozenset(),
    # ERPNext serves no Batch, so no lot master and no lot expiry or production date to contradict
    # (simulators/contracts/erpnext/README.md); WooCommerce accepts only its listed currencies and
    # writes its own dates, so a Shopify `RMB` or `not-a-date` order is not rendered
    # (simulators/woocommerce_store.py, simulators/contracts/woocommerce/README.md).
    "woo-erpnext-csv": frozenset({"expiry_before_production", "unknown_currency", "malformed_date"}),
}
"""Planted defects a world's platforms cannot carry: they reach no source, so no quarantine."""


def planted_quarantine(name: str, defect_plan: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """(source, entity, rule) of every planted defect demo world `name` must quarantine, counted."""
    return Counter(
        (SOURCE_OF_PLATFORM[platform], entity, rule)
        for entry in defect_plan
        if entry["expect"] == "quarantine" and entry["defect"] not in NOT_CARRIED[name]
        for platform, entity, rule, _ in [DEFECTS[entry["defect"]]]
    )
