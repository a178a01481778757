"""WooCommerce REST v3 order meta: what a store's order pages show about its shipments.

The v3 contract (simulators/contracts/woocommerce) marks an order's `meta_data` writable
(`{key, value}`, the meta `id` read-only) and has no order notes, so a shipment goes on the order
as one meta entry per shipment: `PUT /orders/{id}` with `meta_data: [{key, value}]`. WooCommerce
updates a meta entry by its key, so sending the same entry twice leaves one; a re-send after a lost
answer still reads the order back first (`landed`) so the ledger knows what the store holds.
"""

from __future__ import annotations

from typing import Any

from connectors.config import Secret, SourceConfig
from connectors.http import Reply, RetryPolicy
from connectors.write_client import declared_client


class WooCommerceOrders:
    """The orders of one store, with the consumer key and secret as the source's reads send them."""

    def __init__(self, config: SourceConfig, secret: Secret | None = None, *, policy: RetryPolicy | None = None):
        self.source = config.name
        self.http, self.api = declared_client(config, secret, policy)

    def meta(self, order_id: int) -> dict[str, str]:
        """The order's meta entries, key -> value."""
        reply = self.http.request("GET", f"{self.api}/orders/{order_id}", endpoint="GET order")
        return _meta(self._order(reply))

    def put_meta(self, order_id: int, entries: dict[str, str]) -> dict[str, Any]:
        """Set meta entries on the order (added, or changed where the key exists); the order as answered."""

        def landed() -> Reply | None:
            reply = self.http.request("GET", f"{self.api}/orders/{order_id}", endpoint="GET order")
            held = _meta(self._order(reply))
            return reply if all(held.get(k) == v for k, v in entries.items()) else None

        body = {"meta_data": [{"key": key, "value": value} for key, value in entries.items()]}
        reply = self.http.request(
            "PUT", f"{self.api}/orders/{order_id}", json_body=body, endpoint="PUT order", landed=landed
        )
        return self._order(reply)

    def _order(self, reply: Reply) -> dict[str, Any]:
        if not isinstance(reply.body, dict) or "id" not in reply.body:
            raise self.http.platform_error("answer for order", reply.status, "the body is no order")
        return reply.body


def _meta(order: dict[str, Any]) -> dict[str, str]:
    return {str(m.get("key")): str(m.get("value")) for m in order.get("meta_data") or [] if isinstance(m, dict)}
