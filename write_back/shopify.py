"""A shipment as a Shopify fulfilment: which fulfilment order lines it ships, with which tracking.

Shopify's fulfilment order lines name the order line, not the SKU, so the order's lines give each
its SKU; a shipment's quantity per SKU is taken from the open lines of that SKU in order. Whether
that many units are still open is the shop's rule: it answers 422 when not, and the push fails at
once with its words. Lots and serials have no attribute in Shopify's Fulfillment or
FulfillmentOrder resources, so they stay in the push ledger and the audit entry only.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from connectors.shopify_fulfillment import ShopifyFulfilments
from write_back.plan import Push, Shipped

OPEN = ("open", "in_progress")


class PushRefused(Exception):
    """The shipment cannot become a fulfilment as it stands (a SKU the order lacks, a fractional quantity)."""


class ShopifyDestination:
    """Pushes shipments of one shop's orders as fulfilments."""

    def __init__(self, client: ShopifyFulfilments, notify_customer: bool = False) -> None:
        self.client = client
        self.notify_customer = notify_customer

    def landed(self, push: Push) -> str | None:
        """The shop's id of the fulfilment an earlier, unrecorded attempt made, if it made one."""
        shipped = push.shipped
        found = self.client.find(int(shipped.order_ref), shipped.tracking_no, units(shipped), push.claimed)
        return str(found["id"]) if found else None

    def push(self, push: Push) -> str:
        """Create the fulfilment (or change the tracking of the one it replaces); the shop's id of it."""
        shipped = push.shipped
        order_id = int(shipped.order_ref)
        if push.replaces:
            done = self.client.update_tracking(order_id, int(push.replaces[0]), tracking(shipped), self.notify_customer)
        else:
            done = self.client.create(order_id, self.fulfillment(shipped), units(shipped), push.claimed)
        return str(done["id"])

    def fulfillment(self, shipped: Shipped) -> dict[str, Any]:
        """The `fulfillment` object of POST fulfillments.json for this shipment."""
        order_id = int(shipped.order_ref)
        skus = self.client.line_skus(order_id)
        wanted = units(shipped)
        groups: dict[int, list[dict[str, int]]] = defaultdict(list)
        last: dict[str, tuple[int, int]] = {}
        for fo in self.client.fulfillment_orders(order_id):
            if fo.get("status") not in OPEN:
                continue
            for line in fo.get("line_items") or []:
                sku = skus.get(line["line_item_id"], "")
                last[sku] = (fo["id"], line["id"])
                take = min(wanted.get(sku, 0), int(line.get("fulfillable_quantity") or 0))
                if take > 0:
                    groups[fo["id"]].append({"id": line["id"], "quantity": take})
                    wanted[sku] -= take
        for sku, left in wanted.items():
            if left <= 0:
                continue
            if sku not in last:
                raise PushRefused(
                    f"shipment {shipped.shipment_id} of order {shipped.order_number}: SKU {sku!r} ({left} units) "
                    "is on no open fulfilment order line of the shop's order"
                )
            fo_id, line_id = last[sku]
            entry = next((x for x in groups[fo_id] if x["id"] == line_id), None)
            if entry is None:
                groups[fo_id].append({"id": line_id, "quantity": left})
            else:
                entry["quantity"] += left  # more than is open: the shop decides (422), nothing is dropped
        return {
            "line_items_by_fulfillment_order": [
                {"fulfillment_order_id": fo_id, "fulfillment_order_line_items": lines}
                for fo_id, lines in groups.items()
            ],
            "tracking_info": tracking(shipped),
            "notify_customer": self.notify_customer,
        }


def units(shipped: Shipped) -> dict[str, int]:
    """Whole units per SKU the shipment ships (Shopify counts units, never fractions)."""
    wanted: dict[str, int] = defaultdict(int)
    for line in shipped.lines:
        wanted[line.sku] += _whole(line.qty, shipped, line.sku)
    return wanted


def tracking(shipped: Shipped) -> dict[str, str]:
    """`tracking_info`: number and company. No URL: the store keeps none, and Shopify derives one for known carriers."""
    info = {"number": shipped.tracking_no}
    if shipped.carrier:
        info["company"] = shipped.carrier
    return info


def _whole(qty: Decimal, shipped: Shipped, sku: str) -> int:
    if qty != qty.to_integral_value() or qty <= 0:
        raise PushRefused(
            f"shipment {shipped.shipment_id} of order {shipped.order_number}: SKU {sku!r} quantity {qty} is not a "
            "positive whole number, which Shopify fulfilment quantities must be"
        )
    return int(qty)
