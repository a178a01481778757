"""The simulated Shopify's fulfilment side follows the contract: fulfilment orders and fulfilments carry only
their resources' attributes, requests carry only what contracts/shopify/fulfillment_requests.json allows, and
fulfilment orders keep their state (remaining quantities, open -> in_progress -> closed)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from simulators.contracts import shopify_line_item_keys, shopify_request_errors, shopify_unknown_attributes
from simulators.formats import parse_moment
from simulators.server import Request, Response
from simulators.shopify import Shopify
from simulators.world import World, generate_world

TOKEN = "tok"
API = "/admin/api/2025-10"
AUTH = {"X-Shopify-Access-Token": TOKEN, "Host": "127.0.0.1:1"}


@pytest.fixture
def shop() -> Shopify:
    return Shopify(generate_world(5, 0.1), TOKEN)


def call(shop: Shopify, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    raw = json.dumps(body).encode() if body is not None else b""
    return shop.handle(
        Request(method, f"{API}/{path}", {}, AUTH if headers is None else headers, raw, time.monotonic())
    )


def open_order(world: World) -> dict[str, Any]:
    return next(o for o in world.shopify_orders if o["cancelled_at"] is None and len(o["line_items"]) > 1)


def test_every_fulfillment_order_uses_only_the_contract(shop: Shopify) -> None:
    keys = shopify_line_item_keys("FulfillmentOrder")
    for order in shop.world.shopify_orders:
        reply = call(shop, "GET", f"orders/{order['id']}/fulfillment_orders.json")
        assert reply.status == 200
        (fo,) = reply.body["fulfillment_orders"]
        assert shopify_unknown_attributes("FulfillmentOrder", fo) == []
        assert all(set(line) <= keys for line in fo["line_items"])
        cancelled = order["cancelled_at"] is not None
        assert fo["status"] == ("cancelled" if cancelled else "open")
        remaining = {line["line_item_id"]: line["fulfillable_quantity"] for line in fo["line_items"]}
        assert remaining == {line["id"]: 0 if cancelled else line["quantity"] for line in order["line_items"]}


def test_fulfilments_take_units_until_the_fulfillment_order_closes(shop: Shopify) -> None:
    order = open_order(shop.world)
    fo = call(shop, "GET", f"orders/{order['id']}/fulfillment_orders.json").body["fulfillment_orders"][0]
    first, *rest = fo["line_items"]
    partial = {
        "fulfillment": {
            "line_items_by_fulfillment_order": [
                {"fulfillment_order_id": fo["id"], "fulfillment_order_line_items": [{"id": first["id"], "quantity": 1}]}
            ],
            "tracking_info": {"number": "SF100", "company": "SF Express", "url": "https://t.example/SF100"},
            "notify_customer": False,
        }
    }
    made = call(shop, "POST", "fulfillments.json", partial)
    assert made.status == 201
    fulfilment = made.body["fulfillment"]
    assert shopify_unknown_attributes("Fulfillment", fulfilment) == []
    assert (fulfilment["tracking_number"], fulfilment["tracking_company"]) == ("SF100", "SF Express")
    assert fulfilment["tracking_urls"] == ["https://t.example/SF100"]
    assert [(x["id"], x["quantity"]) for x in fulfilment["line_items"]] == [(first["line_item_id"], 1)]
    now = call(shop, "GET", f"orders/{order['id']}/fulfillment_orders.json").body["fulfillment_orders"][0]
    assert now["status"] == "in_progress"
    assert now["line_items"][0]["fulfillable_quantity"] == first["fulfillable_quantity"] - 1

    rest_of_it = {"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}}
    assert call(shop, "POST", "fulfillments.json", rest_of_it).status == 201
    closed = call(shop, "GET", f"orders/{order['id']}/fulfillment_orders.json").body["fulfillment_orders"][0]
    assert closed["status"] == "closed" and all(x["fulfillable_quantity"] == 0 for x in closed["line_items"])
    again = call(shop, "POST", "fulfillments.json", rest_of_it)
    assert again.status == 422 and "closed" in again.body["errors"][0]
    listed = call(shop, "GET", f"orders/{order['id']}/fulfillments.json").body["fulfillments"]
    assert [f["name"] for f in listed] == [f"{order['name']}.1", f"{order['name']}.2"]
    assert len(rest) == len(listed[1]["line_items"]) - 1


def listed_orders(shop: Shopify) -> dict[int, dict[str, Any]]:
    reply = shop.handle(
        Request("GET", f"{API}/orders.json", {"status": "any", "limit": "250"}, AUTH, b"", time.monotonic())
    )
    assert reply.status == 200 and "Link" not in reply.headers
    return {o["id"]: o for o in reply.body["orders"]}


def test_an_order_is_unfulfilled_until_its_fulfilments_are_made(shop: Shopify) -> None:
    """As on Shopify, the order's fulfillment_status follows its fulfilments; the world itself is not changed."""
    assert {o["fulfillment_status"] for o in listed_orders(shop).values()} == {None}
    order = open_order(shop.world)
    before = parse_moment(order["updated_at"])
    fo = call(shop, "GET", f"orders/{order['id']}/fulfillment_orders.json").body["fulfillment_orders"][0]
    assert fo["status"] == "open"
    first = fo["line_items"][0]
    one = [{"fulfillment_order_id": fo["id"], "fulfillment_order_line_items": [{"id": first["id"], "quantity": 1}]}]
    assert (
        call(shop, "POST", "fulfillments.json", {"fulfillment": {"line_items_by_fulfillment_order": one}}).status == 201
    )
    partial = call(shop, "GET", f"orders/{order['id']}.json").body["order"]
    assert partial["fulfillment_status"] == "partial" and parse_moment(partial["updated_at"]) > before
    rest = {"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}}
    assert call(shop, "POST", "fulfillments.json", rest).status == 201
    listed = listed_orders(shop)
    assert listed[order["id"]]["fulfillment_status"] == "fulfilled"
    assert shopify_unknown_attributes("Order", listed[order["id"]]) == []
    assert {o["fulfillment_status"] for i, o in listed.items() if i != order["id"]} == {None}
    assert order["fulfillment_status"] is None and parse_moment(order["updated_at"]) == before


def test_update_tracking_changes_one_fulfilment(shop: Shopify) -> None:
    order = open_order(shop.world)
    fo = call(shop, "GET", f"orders/{order['id']}/fulfillment_orders.json").body["fulfillment_orders"][0]
    body = {
        "fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}],
            "tracking_info": {"number": "OLD"},
        }
    }
    made = call(shop, "POST", "fulfillments.json", body).body["fulfillment"]
    change = {"fulfillment": {"tracking_info": {"number": "NEW", "company": "SF Express"}, "notify_customer": True}}
    reply = call(shop, "POST", f"fulfillments/{made['id']}/update_tracking.json", change)
    assert reply.status == 200 and reply.body["fulfillment"]["tracking_numbers"] == ["NEW"]
    one = call(shop, "GET", f"orders/{order['id']}/fulfillments/{made['id']}.json").body["fulfillment"]
    assert (one["tracking_number"], one["tracking_company"], one["notify_customer"]) == ("NEW", "SF Express", True)
    assert call(shop, "POST", "fulfillments/999/update_tracking.json", change).status == 404


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"line_items_by_fulfillment_order": []}, 400, "$.fulfillment: required object missing"),
        (
            {"fulfillment": {"tracking_info": {"number": "X"}}},
            422,
            "$.fulfillment.line_items_by_fulfillment_order: required",
        ),
        ({"fulfillment": {"line_items_by_fulfillment_order": [], "id": 5}}, 422, "$.fulfillment.id: read-only"),
        ({"fulfillment": {"line_items_by_fulfillment_order": [], "tracking_number": "X"}}, 422, "read-only"),
        (
            {"fulfillment": {"line_items_by_fulfillment_order": [], "lot": "L1"}},
            422,
            "$.fulfillment.lot: not an attribute",
        ),
        ({"fulfillment": {"line_items_by_fulfillment_order": [], "tracking_info": {"lot": "L1"}}}, 422, "unknown key"),
        (
            {"fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": "1"}]}},
            422,
            "fulfillment_order_id: required integer",
        ),
    ],
)
def test_requests_outside_the_contract_are_refused(shop: Shopify, body: Any, status: int, error: str) -> None:
    reply = call(shop, "POST", "fulfillments.json", body)
    assert reply.status == status
    assert any(error in message for message in reply.body["errors"]), reply.body
    assert shop.fulfilments.fulfillments == {}


def test_contract_check_of_update_tracking() -> None:
    assert (
        shopify_request_errors("Fulfillment.update_tracking", {"fulfillment": {"tracking_info": {"number": "1"}}}) == []
    )
    assert shopify_request_errors("Fulfillment.update_tracking", {"fulfillment": {"notify_customer": True}}) == [
        "$.fulfillment.tracking_info: required"
    ]


def test_credentials_and_rate_limit_apply_to_fulfilments(shop: Shopify) -> None:
    order = open_order(shop.world)
    assert call(shop, "GET", f"orders/{order['id']}/fulfillments.json", headers={"Host": "x"}).status == 401
    statuses = [call(shop, "GET", f"orders/{order['id']}/fulfillments.json").status for _ in range(45)]
    assert statuses[:40] == [200] * 40 and 429 in statuses[40:]
