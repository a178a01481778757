"""Shopify Admin REST fulfilments: tell the shop what shipped, with which tracking.

Fulfilment orders say what is left to ship per order line; `POST fulfillments.json` ships units of
them with `tracking_info`, and `update_tracking.json` changes the tracking of a fulfilment already
made. The writes are not idempotent on Shopify's side, so a re-send after a timeout or a 5xx first
reads the order's fulfilments back (`HttpClient.request(landed=...)`): a fulfilment carrying the
tracking number and the same units per SKU, that is not one the caller knows belongs to something
else (`skip`), means the earlier attempt landed. Two shipments of one order can share a tracking
number, so the number alone does not say which shipment a fulfilment is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from typing import Any

from connectors.config import Secret, SourceConfig
from connectors.http import Reply, RetryPolicy
from connectors.write_client import declared_client


class ShopifyFulfilments:
    """The fulfilment side of one shop, with the Admin API access token in `X-Shopify-Access-Token`."""

    def __init__(self, config: SourceConfig, secret: Secret | None = None, *, policy: RetryPolicy | None = None):
        self.source = config.name
        self.http, self.api = declared_client(config, secret, policy)

    def line_skus(self, order_id: int) -> dict[int, str]:
        """The order's line item ids and their SKUs (fulfilment order lines name only the line item)."""
        reply = self.http.request(
            "GET", f"{self.api}/orders/{order_id}.json", params={"fields": "id,line_items"}, endpoint="GET order"
        )
        order = self._field(reply, "order", dict)
        return {line["id"]: str(line.get("sku") or "") for line in order.get("line_items") or []}

    def fulfillment_orders(self, order_id: int) -> list[dict[str, Any]]:
        reply = self.http.request(
            "GET", f"{self.api}/orders/{order_id}/fulfillment_orders.json", endpoint="GET fulfillment_orders"
        )
        return list(self._field(reply, "fulfillment_orders", list))

    def fulfillments(self, order_id: int) -> list[dict[str, Any]]:
        reply = self.http.request("GET", f"{self.api}/orders/{order_id}/fulfillments.json", endpoint="GET fulfillments")
        return list(self._field(reply, "fulfillments", list))

    def find(
        self,
        order_id: int,
        tracking_number: str,
        units: Mapping[str, int] | None = None,
        skip: Collection[str] = (),
    ) -> dict[str, Any] | None:
        """The order's live fulfilment that carries `tracking_number` (and ships `units` per SKU, if given),
        other than those whose ids are in `skip`, if the shop has one."""
        for fulfillment in self.fulfillments(order_id):
            numbers = fulfillment.get("tracking_numbers") or [fulfillment.get("tracking_number")]
            if fulfillment.get("status") != "success" or tracking_number not in numbers:
                continue
            if str(fulfillment.get("id")) in skip:
                continue
            if units is None or _units(fulfillment) == Counter(units):
                return fulfillment
        return None

    def create(
        self,
        order_id: int,
        fulfillment: dict[str, Any],
        units: Mapping[str, int] | None = None,
        skip: Collection[str] = (),
    ) -> dict[str, Any]:
        """POST one fulfilment (the body's `fulfillment` object); a re-send first looks for it on the order
        (`units` and `skip` as for `find`)."""
        number = (fulfillment.get("tracking_info") or {}).get("number")

        def landed() -> Reply | None:
            found = self.find(order_id, number, units, skip) if number else None
            return Reply(200, {}, {"fulfillment": found}) if found else None

        reply = self.http.request(
            "POST",
            f"{self.api}/fulfillments.json",
            json_body={"fulfillment": fulfillment},
            endpoint="POST fulfillments",
            landed=landed,
        )
        return dict(self._field(reply, "fulfillment", dict))

    def update_tracking(
        self, order_id: int, fulfillment_id: int, tracking_info: dict[str, str], notify_customer: bool
    ) -> dict[str, Any]:
        """Change a fulfilment's tracking; a re-send first reads the fulfilment to see if it already changed."""

        def landed() -> Reply | None:
            reply = self.http.request(
                "GET", f"{self.api}/orders/{order_id}/fulfillments/{fulfillment_id}.json", endpoint="GET fulfillment"
            )
            found = self._field(reply, "fulfillment", dict)
            return reply if found.get("tracking_number") == tracking_info.get("number") else None

        body = {"fulfillment": {"tracking_info": tracking_info, "notify_customer": notify_customer}}
        reply = self.http.request(
            "POST",
            f"{self.api}/fulfillments/{fulfillment_id}/update_tracking.json",
            json_body=body,
            endpoint="POST update_tracking",
            landed=landed,
        )
        return dict(self._field(reply, "fulfillment", dict))

    def _field(self, reply: Reply, key: str, kind: type) -> Any:
        """`key` of the answer's body; an answer without it is the platform's error, never a traceback."""
        value = reply.body.get(key) if isinstance(reply.body, dict) else None
        if not isinstance(value, kind):
            raise self.http.platform_error(f"answer for {key}", reply.status, f"the body has no {key!r}")
        return value


def _units(fulfillment: Mapping[str, Any]) -> Counter[str]:
    """Units per SKU a fulfilment ships."""
    found: Counter[str] = Counter()
    for line in fulfillment.get("line_items") or []:
        found[str(line.get("sku") or "")] += int(line.get("quantity") or 0)
    return found
