"""The simulators cannot lie: every response over a whole generated world follows the vendor's contract.

Contracts (simulators/contracts/, verbatim vendor copies, provenance in each SOURCE.txt):
ShipBob's OpenAPI 2026-01 document, the standard Odoo 17 field inventory, and Shopify's Admin
REST 2025-10 resource attributes. Worlds of both shapes are checked: a customer's Odoo with
Studio fields, and a standard install.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from simulators.contracts import (
    odoo_fields,
    odoo_unknown_fields,
    shipbob_response_errors,
    shopify_unknown_attributes,
)
from simulators.odoo import Odoo
from simulators.server import Request, Response
from simulators.shipbob import ShipBob
from simulators.shopify import Shopify
from simulators.world import World, generate_world

TOKEN = "secret"


@pytest.fixture(scope="module", params=[True, False], ids=["studio", "standard"])
def world(request: pytest.FixtureRequest) -> World:
    return generate_world(31, 1.0, studio=request.param)


def _get(platform: Any, path: str, query: dict[str, str] | None = None, auth: dict[str, str] | None = None) -> Response:
    headers = {"Host": "127.0.0.1:1", **(auth or {})}
    return platform.handle(Request("GET", path, dict(query or {}), headers, b"", time.monotonic()))


def _shipbob_pages(shipbob: ShipBob, path: str, query: dict[str, str]) -> list[Response]:
    """Every page of a ShipBob list, following its own paging (page numbers, or `next` URLs)."""
    from urllib.parse import parse_qsl, urlsplit

    auth = {"Authorization": f"Bearer {TOKEN}"}
    pages = []
    while True:
        reply = _get(shipbob, path, query, auth)
        pages.append(reply)
        body = reply.body
        if isinstance(body, list):
            if len(body) < int(query["Limit"]):
                return pages
            query = {**query, "Page": str(int(query["Page"]) + 1)}
        elif body.get("next"):
            query = dict(parse_qsl(urlsplit(body["next"]).query))
        else:
            return pages


def test_every_shipbob_response_validates_against_the_openapi_document(world: World) -> None:
    shipbob = ShipBob(world, TOKEN)
    shipbob.window.limit = 10**6  # the rate limit is tested elsewhere; here every endpoint is walked
    served: list[tuple[str, Response]] = []
    lists = {
        "/2026-01/order": {"Page": "1", "Limit": "7", "SortOrder": "Oldest"},
        "/2026-01/return": {"Limit": "3", "SortOrder": "Asc"},
        "/2026-01/inventory-level/lots": {"PageSize": "5"},
    }
    for path, query in lists.items():
        served += [(path, page) for page in _shipbob_pages(shipbob, path, query)]
    served.append(("/2026-01/channel", _get(shipbob, "/2026-01/channel", auth={"Authorization": f"Bearer {TOKEN}"})))
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for order in world.shipbob_orders:
        served.append((f"/2026-01/order/{order['id']}", _get(shipbob, f"/2026-01/order/{order['id']}", auth=auth)))
        path = f"/2026-01/order/{order['id']}/shipment"
        served.append((path, _get(shipbob, path, auth=auth)))
        for shipment in order["shipments"]:
            path = f"/2026-01/shipment/{shipment['id']}"
            served.append((path, _get(shipbob, path, auth=auth)))
    for record in world.shipbob_returns:
        served.append((f"/2026-01/return/{record['id']}", _get(shipbob, f"/2026-01/return/{record['id']}", auth=auth)))

    orders = sum(len(r.body) for p, r in served if p == "/2026-01/order")
    assert orders == len(world.shipbob_orders)
    assert len(served) > 3 * len(world.shipbob_orders)
    for path, reply in served:
        assert reply.status == 200, (path, reply.body)
        assert shipbob_response_errors("GET", path, 200, json.loads(reply.encoded())) == [], path


def test_an_invented_shipbob_field_fails_the_contract_check(world: World) -> None:
    """The check has teeth: a `gtin` on a shipment product (not in ShipmentProductViewModel) is refused."""
    order = json.loads(json.dumps(world.shipbob_orders[0]))
    assert shipbob_response_errors("GET", "/2026-01/order", 200, [order]) == []
    order["shipments"][0]["products"][0]["gtin"] = "06951234500016"
    errors = shipbob_response_errors("GET", "/2026-01/order", 200, [order])
    assert any("gtin" in error for error in errors), errors
    order = json.loads(json.dumps(world.shipbob_orders[0]))
    order["last_update_at"] = "2026-03-04T08:00:00Z"  # OrderViewModel has no update time
    assert any("last_update_at" in error for error in shipbob_response_errors("GET", "/2026-01/order", 200, [order]))


def test_shipbob_errors_follow_the_documented_shapes(world: World) -> None:
    shipbob = ShipBob(world, TOKEN)
    assert _get(shipbob, "/2026-01/order").status == 401
    bad = _get(shipbob, "/2026-01/order", {"Limit": "0"}, {"Authorization": f"Bearer {TOKEN}"})
    assert bad.status == 400 and "Limit" in bad.body["errors"]


def test_every_odoo_record_holds_only_standard_or_declared_custom_fields(world: World) -> None:
    custom = world.odoo_custom_fields
    assert bool(custom) == world.studio
    for model, records in world.odoo.items():
        assert records, model
        for record in records:
            assert odoo_unknown_fields(model, record, custom.get(model, ())) == [], (model, record["id"])


def _rpc(odoo: Odoo, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    from simulators import odoo as sim

    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {
            "service": "object",
            "method": "execute_kw",
            "args": [sim.DATABASE, sim.UID, TOKEN, model, method, args, kwargs],
        },
    }
    reply = odoo.handle(Request("POST", "/jsonrpc", {}, {}, json.dumps(body).encode(), 0.0))
    assert reply.status == 200
    return reply.body


def test_odoo_answers_every_standard_field_and_refuses_others_as_odoo_does(world: World) -> None:
    odoo = Odoo(world, TOKEN)
    for model in world.odoo:
        standard = sorted(name for name, spec in odoo_fields(model).items() if spec["type"] != "binary")
        answer = _rpc(
            odoo, model, "search_read", [[]], {"fields": standard, "limit": 3, "context": {"active_test": False}}
        )
        assert "result" in answer and len(answer["result"]) == min(3, len(world.odoo[model])), (model, answer)
    studio = _rpc(odoo, "res.partner", "search_read", [[]], {"fields": ["name", "x_studio_role"], "limit": 1})
    if world.studio:
        assert "result" in studio
    else:
        error = studio["error"]
        assert error["code"] == 200 and error["data"]["name"] == "builtins.ValueError"
        assert "Invalid field 'x_studio_role' on model 'res.partner'" in error["data"]["message"]
    made_up = _rpc(odoo, "stock.move.line", "search_read", [[]], {"fields": ["qty_done"], "limit": 1})
    assert "Invalid field 'qty_done'" in made_up["error"]["data"]["message"]  # 16.0's name, gone in 17.0
    assert "doesn't exist" in _rpc(odoo, "purchase.order.x", "search_read", [[]], {})["error"]["data"]["message"]


def test_odoo_hides_archived_records_unless_asked(world: World) -> None:
    odoo = Odoo(world, TOKEN)
    archived = [p["id"] for p in world.odoo["product.product"] if p["active"] is False]
    assert archived, "the world archives a product that shipped"
    default = _rpc(odoo, "product.product", "search", [[]], {})["result"]
    everything = _rpc(odoo, "product.product", "search", [[]], {"context": {"active_test": False}})["result"]
    assert not set(archived) & set(default) and set(archived) <= set(everything)
    read = _rpc(odoo, "product.product", "read", [archived], {"fields": ["barcode"]})["result"]
    assert [r["id"] for r in read] == archived  # read by id never hides them


def test_every_shopify_order_and_product_uses_only_the_resources_attributes(world: World) -> None:
    shopify = Shopify(world, TOKEN)
    auth = {"X-Shopify-Access-Token": TOKEN}
    reply = _get(shopify, "/admin/api/2025-10/orders.json", {"status": "any", "limit": "250"}, auth)
    orders = reply.body["orders"]
    assert len(orders) == min(250, len(world.shopify_orders))
    for order in world.shopify_orders:
        assert shopify_unknown_attributes("Order", order) == [], order["id"]
    assert shopify_unknown_attributes("Order", {**world.shopify_orders[0], "gtin": "x"}) == ["gtin"]
    reply = _get(shopify, "/admin/api/2025-10/products.json", {"limit": "250"}, auth)
    assert len(reply.body["products"]) == len(world.shopify_products)
    for product in reply.body["products"]:
        assert shopify_unknown_attributes("Product", product) == [], product["id"]
        for variant in product["variants"]:
            assert shopify_unknown_attributes("Variant", variant) == [], variant["id"]


def test_ground_truth_stays_out_of_served_payloads(world: World) -> None:
    """Nothing the generator knows beyond the contract (ground truth, defects) is served."""
    served = json.dumps([world.shipbob_orders, world.shipbob_returns, world.shipbob_inventory, world.odoo])
    for word in ("ground_truth", "defect", "expected", "candidates", "recorded"):
        assert word not in served
