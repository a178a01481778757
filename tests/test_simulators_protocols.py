"""The simulated platforms speak their documented protocols, over real HTTP on loopback."""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from simulators import odoo
from simulators.formats import parse_moment
from simulators.server import Faults, SimServer, start
from simulators.shipbob import order_updated
from simulators.world import World, generate_world

SHOPIFY_ORDERS = "/admin/api/2025-10/orders.json"
SHIPBOB_ORDERS = "/2026-01/order"


@pytest.fixture(scope="module")
def pristine() -> World:
    return generate_world(11, 1.0)


@pytest.fixture
def world(pristine: World) -> World:
    return copy.deepcopy(pristine)


@pytest.fixture
def shopify(world: World) -> Iterator[SimServer]:
    with start("shopify", world, token="shop-secret") as server:
        yield server


@pytest.fixture
def shipbob(world: World) -> Iterator[SimServer]:
    with start("shipbob", world, token="bob-secret") as server:
        yield server


@pytest.fixture
def erp(world: World) -> Iterator[SimServer]:
    with start("odoo", world, token="erp-secret") as server:
        yield server


def shopify_get(server: SimServer, url: str, **params: object) -> requests.Response:
    return requests.get(url, params=params, headers={"X-Shopify-Access-Token": "shop-secret"}, timeout=5)


def shopify_all(server: SimServer, **params: object) -> list[dict]:
    reply = shopify_get(server, server.base_url + SHOPIFY_ORDERS, **params)
    orders = []
    while True:
        assert reply.status_code == 200, reply.text
        orders += reply.json()["orders"]
        if "next" not in reply.links:
            return orders
        reply = shopify_get(server, reply.links["next"]["url"])


def rpc(server: SimServer, service: str, method: str, *args: object) -> requests.Response:
    body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": list(args)}}
    return requests.post(server.base_url + "/jsonrpc", json={**body, "id": 5}, timeout=5)


def execute(server: SimServer, model: str, method: str, args: list, kwargs: dict | None = None, password="erp-secret"):
    reply = rpc(server, "object", "execute_kw", odoo.DATABASE, 2, password, model, method, args, kwargs or {})
    assert reply.status_code == 200
    return reply.json()


def test_shopify_pages_every_order_exactly_once_in_update_order(shopify: SimServer, world: World) -> None:
    orders = shopify_all(shopify, status="any", limit=37, order="updated_at asc")
    assert sorted(o["id"] for o in orders) == sorted(o["id"] for o in world.shopify_orders)
    moments = [parse_moment(o["updated_at"]) for o in orders]
    assert moments == sorted(moments)
    first = shopify_get(shopify, shopify.base_url + SHOPIFY_ORDERS, status="any", limit=37)
    second = shopify_get(shopify, first.links["next"]["url"])
    assert "previous" in second.links and "previous" not in first.links
    back = shopify_get(shopify, second.links["previous"]["url"])
    assert back.json()["orders"] == first.json()["orders"]
    assert second.headers["X-Shopify-Shop-Api-Call-Limit"].endswith("/40")


def test_shopify_filters_by_update_window_with_offsets(shopify: SimServer, world: World) -> None:
    low, high = "2026-03-01T08:00:00+08:00", "2026-03-31T23:59:59Z"
    got = shopify_all(shopify, status="any", limit=250, updated_at_min=low, updated_at_max=high)
    wanted = [
        o["id"]
        for o in world.shopify_orders
        if parse_moment(low) <= parse_moment(o["updated_at"]) <= parse_moment(high)
    ]
    assert sorted(o["id"] for o in got) == sorted(wanted) and wanted
    open_orders = shopify_all(shopify, limit=250)
    assert len(open_orders) == sum(o["cancelled_at"] is None for o in world.shopify_orders)


def test_shopify_refuses_bad_requests(shopify: SimServer) -> None:
    url = shopify.base_url + SHOPIFY_ORDERS
    assert shopify_get(shopify, url, limit=251).status_code == 400
    first = shopify_get(shopify, url, status="any", limit=10)
    page_info = first.links["next"]["url"].split("page_info=")[1]
    assert shopify_get(shopify, url, page_info=page_info, status="any").status_code == 400
    assert shopify_get(shopify, url, page_info="garbage").status_code == 400
    assert shopify_get(shopify, url, updated_at_min="yesterday").status_code == 400
    denied = requests.get(url, headers={"X-Shopify-Access-Token": "wrong"}, timeout=5)
    assert denied.status_code == 401
    assert denied.json() == {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


def test_shopify_leaky_bucket_answers_429_when_hammered(shopify: SimServer) -> None:
    url = shopify.base_url + SHOPIFY_ORDERS
    with requests.Session() as session:
        session.headers["X-Shopify-Access-Token"] = "shop-secret"
        replies = [session.get(url, params={"limit": 1}, timeout=5) for _ in range(60)]
    throttled = [r for r in replies if r.status_code == 429]
    assert throttled and replies[0].status_code == 200
    assert throttled[0].headers["Retry-After"] == "2.0"
    assert throttled[0].headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
    assert "Exceeded 2 calls per second" in throttled[0].json()["errors"]
    assert next(e.retry_after for e in shopify.requests if e.status == 429) == 2.0


def test_shopify_sees_touched_orders_incrementally(shopify: SimServer, world: World) -> None:
    order = world.touch(
        "shopify", world.shopify_orders[5]["id"], {"financial_status": "refunded"}, datetime(2026, 6, 29, 9, tzinfo=UTC)
    )
    got = shopify_all(shopify, status="any", limit=50, updated_at_min="2026-06-29T00:00:00Z")
    assert [o["id"] for o in got] == [order["id"]] and got[0]["financial_status"] == "refunded"


def shipbob_get(server: SimServer, path: str, token: str = "bob-secret", **params: object) -> requests.Response:
    return requests.get(server.base_url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_shipbob_pages_orders_by_number_without_paging_headers(shipbob: SimServer, world: World) -> None:
    """The contract declares no response headers for GET /order: a client stops at a short page."""
    orders, page = [], 1
    while True:
        reply = shipbob_get(shipbob, SHIPBOB_ORDERS, Page=page, Limit=40, SortOrder="Oldest")
        assert reply.status_code == 200 and "total-count" not in reply.headers
        orders += reply.json()
        if len(reply.json()) < 40:
            break
        page += 1
    assert sorted(o["id"] for o in orders) == sorted(o["id"] for o in world.shipbob_orders)
    keys = [(order_updated(o), o["id"]) for o in orders]
    assert keys == sorted(keys)


def test_shipbob_returns_and_lots_page_by_cursor_envelopes(shipbob: SimServer, world: World) -> None:
    for path, params, total in (
        ("/2026-01/return", {"Limit": 2, "SortOrder": "Asc"}, len(world.shipbob_returns)),
        ("/2026-01/inventory-level/lots", {"PageSize": 5}, len(world.shipbob_inventory)),
    ):
        reply = shipbob_get(shipbob, path, **params)
        items = []
        while True:
            body = reply.json()
            assert set(body) == {"items", "first", "prev", "next", "last"}
            items += body["items"]
            if not body["next"]:
                break
            reply = requests.get(body["next"], headers={"Authorization": "Bearer bob-secret"}, timeout=5)
        assert len(items) == total == len({json.dumps(i, sort_keys=True) for i in items}), path
    first = shipbob_get(shipbob, "/2026-01/return", Limit=2)
    assert first.headers["Total-Count"] == str(len(world.shipbob_returns))


def test_shipbob_filters_and_refuses(shipbob: SimServer, world: World) -> None:
    low, high = "2026-02-01T00:00:00Z", "2026-02-28T00:00:00+08:00"
    got = shipbob_get(shipbob, SHIPBOB_ORDERS, LastUpdateStartDate=low, LastUpdateEndDate=high, Limit=250).json()
    wanted = {o["id"] for o in world.shipbob_orders if parse_moment(low) <= order_updated(o) <= parse_moment(high)}
    assert {o["id"] for o in got} == wanted and wanted
    assert shipbob_get(shipbob, SHIPBOB_ORDERS, Limit=251).status_code == 400
    denied = shipbob_get(shipbob, SHIPBOB_ORDERS, token="wrong")
    assert denied.status_code == 401
    assert denied.json() == {"message": "Authorization has been denied for this request."}


def test_shipbob_rate_limit_is_150_per_minute(shipbob: SimServer) -> None:
    with requests.Session() as session:
        session.headers["Authorization"] = "Bearer bob-secret"
        statuses = [session.get(shipbob.base_url + SHIPBOB_ORDERS, params={"Limit": 1}, timeout=5) for _ in range(151)]
    assert [r.status_code for r in statuses[:150]] == [200] * 150
    assert statuses[150].status_code == 429 and int(statuses[150].headers["x-retry-after"]) > 0


def test_odoo_login_and_paged_search_read(erp: SimServer, world: World) -> None:
    assert rpc(erp, "common", "login", odoo.DATABASE, odoo.LOGIN, "erp-secret").json()["result"] == 2
    assert rpc(erp, "common", "login", odoo.DATABASE, odoo.LOGIN, "wrong").json()["result"] is False
    seen = []
    while True:
        page = execute(
            erp,
            "stock.lot",
            "search_read",
            [[]],
            {"fields": ["name", "write_date"], "offset": len(seen), "limit": 25, "order": "write_date asc, id asc"},
        )["result"]
        seen += page
        if len(page) < 25:
            break
    assert sorted(r["id"] for r in seen) == sorted(r["id"] for r in world.odoo["stock.lot"])
    assert [(r["write_date"], r["id"]) for r in seen] == sorted((r["write_date"], r["id"]) for r in seen)
    assert set(seen[0]) == {"id", "name", "write_date"}


def test_odoo_domains_read_and_count(erp: SimServer, world: World) -> None:
    lots = world.odoo["stock.lot"]
    since = "2026-03-01 00:00:00"
    count = execute(erp, "stock.lot", "search_count", [[["write_date", ">=", since]]])["result"]
    assert count == sum(r["write_date"] >= since for r in lots)
    product = world.odoo["product.product"][0]["id"]
    held = execute(
        erp,
        "stock.lot",
        "search_read",
        [[["product_id", "=", product], ["x_studio_qc_status", "in", ["released", "on_hold"]]]],
        {"fields": ["product_id"]},
    )["result"]
    assert held and all(r["product_id"][0] == product for r in held)
    production = world.odoo["mrp.production"][0]
    read = execute(erp, "mrp.production", "read", [[production["id"]]], {"fields": ["move_raw_ids", "name"]})
    assert read["result"] == [
        {"id": production["id"], "move_raw_ids": production["move_raw_ids"], "name": production["name"]}
    ]
    moves = execute(erp, "stock.move", "read", [production["move_raw_ids"]])["result"]
    assert all(m["raw_material_production_id"][0] == production["id"] for m in moves)


def test_odoo_errors_arrive_inside_http_200(erp: SimServer) -> None:
    denied = execute(erp, "stock.lot", "search_count", [[]], password="wrong")
    assert denied["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert denied["error"]["message"] == "Odoo Server Error" and "result" not in denied
    model = execute(erp, "no.such.model", "search_read", [[]])
    assert model["error"]["data"]["name"] == "odoo.exceptions.UserError"  # odoo/service/model.py execute_cr
    field = execute(erp, "stock.lot", "search_read", [[["colour", "=", "red"]]])
    assert "Invalid field 'colour'" in field["error"]["data"]["message"]
    assert rpc(erp, "common", "login", "otherdb", odoo.LOGIN, "erp-secret").json()["error"]


def test_request_log_never_holds_secrets(shopify: SimServer, shipbob: SimServer, erp: SimServer) -> None:
    shopify_get(shopify, shopify.base_url + SHOPIFY_ORDERS, limit=1)
    shipbob_get(shipbob, SHIPBOB_ORDERS, Limit=1)
    rpc(erp, "common", "login", odoo.DATABASE, odoo.LOGIN, "erp-secret")
    logged = repr(shopify.requests + shipbob.requests + erp.requests)
    for secret in ("shop-secret", "bob-secret", "erp-secret"):
        assert secret not in logged
    assert erp.requests[-1].rpc == "common.login" and shipbob.requests[-1].query == {"Limit": "1"}


def test_faults_happen_at_about_the_configured_rate(world: World) -> None:
    faults = Faults(rate=0.3, seed=3, slow_seconds=0.01)
    with start("shipbob", world, token="t", faults=faults) as server:
        outcomes = []
        for _ in range(140):
            try:  # a new connection each time: a reused one may die client-side, unseen by the server
                reply = requests.get(
                    server.base_url + SHIPBOB_ORDERS,
                    params={"Limit": 2},
                    headers={"Authorization": "Bearer t"},
                    timeout=5,
                )
                reply.json()
                outcomes.append(reply.status_code)
            except (requests.ConnectionError, requests.JSONDecodeError, requests.exceptions.ChunkedEncodingError):
                outcomes.append(-1)
        log = list(server.requests)
    faulted = [e for e in log if e.fault]
    assert len(log) == 140 and 0.18 < len(faulted) / len(log) < 0.42
    assert {e.fault for e in faulted} >= {"429", "500", "503", "drop", "truncate", "slow"}
    for entry in faulted:
        if entry.fault == "429":
            assert entry.status == 429 and 0 <= entry.retry_after <= 1.5
    assert any(e.retry_after == 0 for e in faulted if e.fault == "429")
    assert outcomes.count(-1) == sum(e.fault in ("drop", "truncate") for e in log)


def test_faults_never_corrupt_data_for_a_patient_client(world: World) -> None:
    faults = Faults(rate=0.4, kinds=("429", "500", "drop", "truncate", "odoo_error"), seed=9)
    with start("odoo", world, token="pw", faults=faults) as server:

        def call(offset: int) -> list[dict]:
            body = {
                "jsonrpc": "2.0",
                "id": offset,
                "method": "call",
                "params": {
                    "service": "object",
                    "method": "execute_kw",
                    "args": [
                        odoo.DATABASE,
                        2,
                        "pw",
                        "account.move",
                        "search_read",
                        [[]],
                        {"offset": offset, "limit": 10, "order": "write_date asc, id asc"},
                    ],
                },
            }
            for _ in range(30):
                try:
                    reply = requests.post(server.base_url + "/jsonrpc", json=body, timeout=5)
                    if reply.status_code == 429:
                        time.sleep(float(reply.headers["Retry-After"]))
                    elif reply.status_code == 200 and "result" in reply.json():
                        return reply.json()["result"]
                except (requests.ConnectionError, requests.JSONDecodeError):
                    pass
            raise AssertionError("no success after 30 attempts")

        records = []
        while page := call(len(records)):
            records += page
        log = list(server.requests)
    assert records == sorted(world.odoo["account.move"], key=lambda r: (r["write_date"], r["id"]))
    assert any(e.fault == "odoo_error" and e.status == 200 for e in log)
    for earlier, later in itertools.pairwise(log):
        if earlier.retry_after is not None:
            assert later.at >= earlier.at + earlier.retry_after
