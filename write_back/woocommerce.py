"""A shipment as WooCommerce order meta: tracking number, carrier and the lots that shipped.

The v3 contract's only writable place on an order for this is `meta_data` (order notes are not in
it), and unlike Shopify it can hold the lots: one entry per shipment, key
`tracehub_shipment_<source>_<id>`, value a JSON object `{"tracking_number", "carrier", "lots":
[{"sku", "lot", "serial", "qty"}]}`. A new tracking number for the shipment rewrites the same entry.
"""

from __future__ import annotations

from connectors.woocommerce_orders import WooCommerceOrders
from data_dictionary.jsonable import canonical_json
from write_back.plan import Push, Shipped

META_PREFIX = "tracehub_shipment_"


class WooCommerceDestination:
    """Pushes shipments of one store's orders as order meta entries."""

    def __init__(self, client: WooCommerceOrders) -> None:
        self.client = client

    def landed(self, push: Push) -> str | None:
        key, value = entry(push.shipped)
        held = self.client.meta(int(push.shipped.order_ref))
        return key if held.get(key) == value else None

    def push(self, push: Push) -> str:
        key, value = entry(push.shipped)
        self.client.put_meta(int(push.shipped.order_ref), {key: value})
        return key


def entry(shipped: Shipped) -> tuple[str, str]:
    """The meta key and value that tell the store about this shipment."""
    value = {"tracking_number": shipped.tracking_no, "carrier": shipped.carrier, "lots": shipped.lots()}
    return f"{META_PREFIX}{shipped.shipment_source}_{shipped.shipment_id}", canonical_json(value)
