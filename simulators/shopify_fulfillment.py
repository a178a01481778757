"""Simulated Shopify fulfilment orders and fulfilments: what a shop learns when its goods ship.

Each open order has one fulfilment order at the shop's one location, with a line per order line
and its remaining (fulfillable) quantity. `POST fulfillments.json` takes units off those lines
(open -> in_progress -> closed as they run out) and keeps the fulfilment with its tracking;
`update_tracking.json` changes the tracking of one. The order follows its fulfilments, as Shopify's
does: `fulfillment_status` null (unfulfilled) until the first one, then `partial`, then `fulfilled`
once nothing is left to fulfil, each change moving its `updated_at` (`Fulfilments.order`). Request
bodies are checked against contracts/shopify/fulfillment_requests.json and every served fulfilment
and fulfilment order against the resources' attributes, so neither side can drift from the contract.

Lots, expiry and serial numbers have no place in these resources: the simulator accepts none.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from simulators.contracts import shopify_line_item_keys, shopify_request_errors, shopify_unknown_attributes
from simulators.formats import shopify_time
from simulators.paging import moment_or_never
from simulators.world import World

SHOP_ID = 58010
LOCATION = {"location_id": 11, "name": "Suzhou DC", "country_code": "CN"}
FO_BASE = 1_046_000_000
FO_LINE_BASE = 1_058_000_000
FULFILLMENT_BASE = 1_069_000_000


class Rejected(Exception):
    """A request Shopify answers with `status` and `{"errors": errors}`."""

    def __init__(self, status: int, errors: Any) -> None:
        super().__init__(str(errors))
        self.status = status
        self.errors = errors


class Fulfilments:
    """The fulfilment state of one shop, shared by the server's threads."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.lock = threading.Lock()
        self.orders: dict[int, dict[str, Any]] = {o["id"]: o for o in world.shopify_orders}
        self.fulfillment_orders: dict[int, dict[str, Any]] = {}
        self.fulfillments: dict[int, dict[str, Any]] = {}
        self.order_changes: dict[int, dict[str, Any]] = {}
        """Order id -> what its fulfilments changed on it: `fulfillment_status` and `updated_at`."""
        for number, order in enumerate(world.shopify_orders, start=1):
            fo_id = FO_BASE + number
            cancelled = order.get("cancelled_at") is not None
            self.fulfillment_orders[fo_id] = {
                "id": fo_id,
                "shop_id": SHOP_ID,
                "order_id": order["id"],
                "assigned_location_id": LOCATION["location_id"],
                "assigned_location": dict(LOCATION),
                "request_status": "unsubmitted",
                "status": "cancelled" if cancelled else "open",
                "supported_actions": [] if cancelled else ["create_fulfillment"],
                "destination": {k: v for k, v in (order.get("shipping_address") or {}).items()},
                "fulfillment_holds": [],
                "merchant_requests": [],
                "created_at": order["created_at"],
                "updated_at": order["created_at"],
                "line_items": [
                    {
                        "id": FO_LINE_BASE + number * 100 + n,
                        "shop_id": SHOP_ID,
                        "fulfillment_order_id": fo_id,
                        "quantity": line["quantity"],
                        "line_item_id": line["id"],
                        "inventory_item_id": line["variant_id"],
                        "fulfillable_quantity": 0 if cancelled else line["quantity"],
                        "variant_id": line["variant_id"],
                    }
                    for n, line in enumerate(order["line_items"], start=1)
                ],
            }

    # -- reads -----------------------------------------------------------------------------------------------------

    def order(self, order: dict[str, Any]) -> dict[str, Any]:
        """The world's order as the shop serves it, with what its fulfilments changed (the world is not touched)."""
        with self.lock:
            changes = self.order_changes.get(order["id"])
        if changes is None:
            return order
        served = {**order, **changes}
        if moment_or_never(order["updated_at"]) > moment_or_never(changes["updated_at"]):
            served["updated_at"] = order["updated_at"]  # touched in the world since
        return served

    def list_fulfillment_orders(self, order_id: int) -> dict[str, Any]:
        with self.lock:
            self._order(order_id)
            found = [fo for fo in self.fulfillment_orders.values() if fo["order_id"] == order_id]
            return {"fulfillment_orders": [_served_fo(fo) for fo in found]}

    def list_fulfillments(self, order_id: int) -> dict[str, Any]:
        with self.lock:
            self._order(order_id)
            found = [f for f in self.fulfillments.values() if f["order_id"] == order_id]
            return {"fulfillments": [_served_fulfillment(f) for f in found]}

    def get_fulfillment(self, order_id: int, fulfillment_id: int) -> dict[str, Any]:
        with self.lock:
            found = self.fulfillments.get(fulfillment_id)
            if found is None or found["order_id"] != order_id:
                raise Rejected(404, "Not Found")
            return {"fulfillment": _served_fulfillment(found)}

    # -- writes ----------------------------------------------------------------------------------------------------

    def create(self, raw: bytes, now: datetime | None = None) -> dict[str, Any]:
        body = _json(raw)
        errors = shopify_request_errors("Fulfillment.post", body)
        if errors:
            raise Rejected(400 if errors[0].endswith("required object missing") else 422, errors)
        request = body["fulfillment"]
        with self.lock:
            taken: list[tuple[dict[str, Any], int]] = []
            order_ids = set()
            for group in request["line_items_by_fulfillment_order"]:
                fo = self.fulfillment_orders.get(group["fulfillment_order_id"])
                if fo is None:
                    raise Rejected(404, "Not Found")
                if fo["status"] not in ("open", "in_progress"):
                    raise Rejected(422, [f"Fulfillment order {fo['id']} has an unfulfillable status= {fo['status']}."])
                order_ids.add(fo["order_id"])
                taken += _units(fo, group.get("fulfillment_order_line_items"))
            if len(order_ids) != 1:
                raise Rejected(422, ["All fulfillment orders must belong to the same order."])
            if not taken:
                raise Rejected(422, ["Line items are invalid: nothing left to fulfill."])
            for line, quantity in taken:
                line["fulfillable_quantity"] -= quantity
            order_id = order_ids.pop()
            stamp = shopify_time(now or datetime.now(UTC))
            for fo_id in {line["fulfillment_order_id"] for line, _ in taken}:
                fo = self.fulfillment_orders[fo_id]
                remaining = sum(line["fulfillable_quantity"] for line in fo["line_items"])
                fo["status"] = "closed" if remaining == 0 else "in_progress"
                fo["supported_actions"] = [] if remaining == 0 else ["create_fulfillment"]
                fo["updated_at"] = stamp
            left = sum(
                line["fulfillable_quantity"]
                for fo in self.fulfillment_orders.values()
                if fo["order_id"] == order_id
                for line in fo["line_items"]
            )
            self.order_changes[order_id] = {
                "fulfillment_status": "partial" if left else "fulfilled",
                "updated_at": stamp,
            }
            order = self._order(order_id)
            by_line = {line["id"]: line for line in order["line_items"]}
            number = 1 + sum(1 for f in self.fulfillments.values() if f["order_id"] == order_id)
            fulfillment_id = FULFILLMENT_BASE + len(self.fulfillments) + 1
            tracking = request.get("tracking_info") or {}
            fulfillment = {
                "id": fulfillment_id,
                "order_id": order_id,
                "name": f"{order['name']}.{number}",
                "status": "success",
                "service": "manual",
                "location_id": LOCATION["location_id"],
                "created_at": stamp,
                "updated_at": stamp,
                "notify_customer": bool(request.get("notify_customer", False)),
                "shipment_status": None,
                "receipt": {},
                "origin_address": request.get("origin_address"),
                "line_items": [
                    {**by_line[line["line_item_id"]], "quantity": quantity, "fulfillment_status": "fulfilled"}
                    for line, quantity in taken
                ],
                **_tracking(tracking),
            }
            self.fulfillments[fulfillment_id] = fulfillment
            return {"fulfillment": _served_fulfillment(fulfillment)}

    def update_tracking(self, fulfillment_id: int, raw: bytes, now: datetime | None = None) -> dict[str, Any]:
        body = _json(raw)
        errors = shopify_request_errors("Fulfillment.update_tracking", body)
        if errors:
            raise Rejected(400 if errors[0].endswith("required object missing") else 422, errors)
        with self.lock:
            found = self.fulfillments.get(fulfillment_id)
            if found is None:
                raise Rejected(404, "Not Found")
            if found["status"] != "success":
                raise Rejected(422, [f"Fulfillment {fulfillment_id} is {found['status']}; its tracking cannot change."])
            found.update(_tracking(body["fulfillment"]["tracking_info"]))
            found["notify_customer"] = bool(body["fulfillment"].get("notify_customer", False))
            found["updated_at"] = shopify_time(now or datetime.now(UTC))
            return {"fulfillment": _served_fulfillment(found)}

    def _order(self, order_id: int) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise Rejected(404, "Not Found")
        return order


def _units(fo: dict[str, Any], asked: list[dict[str, int]] | None) -> list[tuple[dict[str, Any], int]]:
    """(fulfilment order line, quantity) pairs a request takes; no list means every remaining unit."""
    lines = {line["id"]: line for line in fo["line_items"]}
    if asked is None:
        return [(line, line["fulfillable_quantity"]) for line in lines.values() if line["fulfillable_quantity"] > 0]
    taken = []
    for item in asked:
        line = lines.get(item["id"])
        if line is None:
            raise Rejected(
                422, [f"Fulfillment order line item {item['id']} does not belong to fulfillment order {fo['id']}."]
            )
        if not 0 < item["quantity"] <= line["fulfillable_quantity"]:
            raise Rejected(
                422,
                [
                    f"Invalid fulfillment order line item quantity requested: {item['quantity']} for line item "
                    f"{item['id']} with {line['fulfillable_quantity']} fulfillable."
                ],
            )
        taken.append((line, item["quantity"]))
    return taken


def _tracking(info: dict[str, Any]) -> dict[str, Any]:
    """The served tracking attributes from a request's tracking_info."""
    number, url = info.get("number"), info.get("url")
    return {
        "tracking_company": info.get("company"),
        "tracking_number": number,
        "tracking_numbers": [number] if number else [],
        "tracking_url": url,
        "tracking_urls": [url] if url else [],
    }


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise Rejected(400, "Bad Request: the body is not JSON") from None


def _served_fo(fo: dict[str, Any]) -> dict[str, Any]:
    """A fulfilment order as served, checked against the contract (a copy: callers cannot change the state)."""
    served = json.loads(json.dumps(fo))
    _check("FulfillmentOrder", served)
    keys = shopify_line_item_keys("FulfillmentOrder")
    for line in served["line_items"]:
        if set(line) - keys:
            raise AssertionError(f"FulfillmentOrder line item keys outside the contract: {sorted(set(line) - keys)}")
    return served


def _served_fulfillment(fulfillment: dict[str, Any]) -> dict[str, Any]:
    served = json.loads(json.dumps(fulfillment))
    _check("Fulfillment", served)
    return served


def _check(resource: str, body: dict[str, Any]) -> None:
    unknown = shopify_unknown_attributes(resource, body)
    if unknown:
        raise AssertionError(f"{resource} attributes outside the 2025-10 contract: {unknown}")
