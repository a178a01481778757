"""The simulated WooCommerce follows the REST v3 contract: what it sends, what it refuses, how it pages and filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from simulators.contracts import woocommerce_parameter_errors, woocommerce_parameters, woocommerce_response_errors
from simulators.formats import SHOP_TZ
from simulators.server import SimServer, start
from simulators.woocommerce_store import gmt_time, render_store
from simulators.world import World, generate_world

TOKEN = "woo-test"
AUTH = (f"ck_{TOKEN}", f"cs_{TOKEN}")
API = "/wp-json/wc/v3"


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(11, 0.4)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[SimServer]:
    with start("woocommerce", world, TOKEN) as running:
        yield running


def _get(server: SimServer, resource: str, params: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", AUTH)
    return requests.get(f"{server.base_url}{API}/{resource}", params=params, timeout=10, **kwargs)


def _all_pages(server: SimServer, resource: str, params: dict[str, Any]) -> list[requests.Response]:
    """Follow `Link: rel="next"` from the first page, as the docs recommend."""
    replies = [_get(server, resource, params)]
    while "next" in replies[-1].links:
        replies.append(requests.get(replies[-1].links["next"]["url"], auth=AUTH, timeout=10))
    return replies


@pytest.mark.parametrize(("resource", "per_page"), [("orders", 25), ("products", 5)])
def test_every_page_follows_the_contract_and_the_pages_cover_the_store_once(server, world, resource, per_page):
    replies = _all_pages(server, resource, {"per_page": per_page, "orderby": "id", "order": "asc"})
    store = render_store(world)
    expected = store.orders if resource == "orders" else store.products
    served = [record for reply in replies for record in reply.json()]
    for number, reply in enumerate(replies, 1):
        assert reply.status_code == 200
        assert woocommerce_response_errors(resource, reply.json()) == []
        assert reply.headers["X-WP-Total"] == str(len(expected))
        assert reply.headers["X-WP-TotalPages"] == str(len(replies))
        assert ("prev" in reply.links) == (number > 1) and ("next" in reply.links) == (number < len(replies))
    assert [r["id"] for r in served] == sorted(r["id"] for r in expected)
    assert len(replies) == -(-len(expected) // per_page) > 1


def test_dates_carry_no_offset_money_is_text_and_lots_live_only_in_line_meta(server):
    order = next(o for o in _get(server, "orders", {"status": "completed"}).json() if o["line_items"][0]["meta_data"])
    assert len(order["date_created_gmt"]) == len("2026-03-02T02:15:00") and "+" not in order["date_created_gmt"]
    created = datetime.fromisoformat(order["date_created"]).replace(tzinfo=SHOP_TZ)
    assert gmt_time(created) == order["date_created_gmt"]
    assert isinstance(order["total"], str) and order["total"].count(".") == 1 and len(order["total"].split(".")[1]) == 2
    line = order["line_items"][0]
    assert {"lot", "expiry", "serial", "gtin"}.isdisjoint(line)
    assert {m["key"] for m in line["meta_data"]} <= {"_lot_number", "_expiry_date", "_serial_numbers"}
    assert all(set(m) == {"id", "key", "value"} and isinstance(m["value"], str) for m in line["meta_data"])
    product = _get(server, "products", {"per_page": 1}).json()[0]
    assert "global_unique_id" not in product
    assert [m["key"] for m in product["meta_data"]] == ["_gtin"]


def test_the_validator_refuses_what_the_contract_refuses(server):
    order = _get(server, "orders", {"per_page": 1}).json()[0]
    line = order["line_items"][0]
    broken = [
        ({**order, "gtin": "06951234500016"}, "$.gtin: additional property not allowed"),
        ({**order, "date_created_gmt": "2026-03-02T02:15:00Z"}, "$.date_created_gmt: "),
        ({**order, "status": "shipped"}, "$.status: 'shipped' is not one of"),
        ({**order, "line_items": [{**line, "lot": "L1"}]}, "$.line_items[0].lot: additional property not allowed"),
        ({**order, "line_items": [{**line, "quantity": "2"}]}, "$.line_items[0].quantity: '2' is not of type"),
        ({**order, "currency": "RMB"}, "$.currency: 'RMB' is not one of"),
    ]
    for body, message in broken:
        errors = woocommerce_response_errors("orders", body)
        assert len(errors) == 1 and errors[0].replace(".0.", "[0].").startswith(message), errors
    assert woocommerce_response_errors("orders", order) == []
    assert "global_unique_id" not in woocommerce_parameters("products")
    assert woocommerce_parameter_errors("orders", {"modified_after": "2026-01-01T00:00:00", "page": "2"}) == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"updated_at_min": "2026-01-01T00:00:00"}, "updated_at_min"),
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"orderby": "modified"}, "orderby"),
        ({"status": "any,shipped"}, "status"),
        ({"dates_are_gmt": "yes"}, "dates_are_gmt"),
        ({"modified_after": "last tuesday"}, "modified_after"),
        ({"include": "1001,abc"}, "include"),
    ],
)
def test_a_parameter_the_contract_does_not_allow_is_a_400_naming_it(server, params, named):
    reply = _get(server, "orders", params)
    assert reply.status_code == 400
    body = reply.json()
    assert body["code"] == "rest_invalid_param" and body["data"]["status"] == 400
    assert named in body["message"] and list(body["data"]["params"]) == [named]


def test_a_page_past_the_last_is_refused(server):
    last = int(_get(server, "products", {"per_page": 5}).headers["X-WP-TotalPages"])
    assert _get(server, "products", {"per_page": 5, "page": last}).status_code == 200
    reply = _get(server, "products", {"per_page": 5, "page": last + 1})
    assert reply.status_code == 400 and reply.json()["code"] == "rest_post_invalid_page_number"


def test_consumer_key_and_secret_as_basic_auth_or_query_parameters(server):
    basic = _get(server, "orders", {"per_page": 3})
    query = _get(server, "orders", {"per_page": 3, "consumer_key": AUTH[0], "consumer_secret": AUTH[1]}, auth=None)
    assert basic.status_code == query.status_code == 200 and basic.json() == query.json()
    refusals = [
        _get(server, "orders", auth=None),
        _get(server, "orders", auth=(AUTH[0], "cs_wrong")),
        _get(server, "orders", {"consumer_key": "ck_wrong", "consumer_secret": AUTH[1]}, auth=None),
    ]
    for reply in refusals:
        assert reply.status_code == 401
        body = reply.json()
        assert set(body) == {"code", "message", "data"} and body["data"] == {"status": 401}
        assert body["code"].startswith(("woocommerce_rest_", "rest_"))
    logged = [entry.query.get("consumer_secret") for entry in server.requests if "consumer_secret" in entry.query]
    assert logged and set(logged) == {"<redacted>"}


def test_modified_after_reads_site_time_unless_dates_are_gmt(server, world):
    orders = render_store(world).orders
    moments = sorted(datetime.fromisoformat(o["date_modified_gmt"]).replace(tzinfo=UTC) for o in orders)
    cut = moments[len(moments) // 2]
    text = cut.strftime("%Y-%m-%dT%H:%M:%S")
    gmt = _get(server, "orders", {"modified_after": text, "dates_are_gmt": "true", "per_page": 100})
    site = _get(server, "orders", {"modified_after": text, "per_page": 100})
    assert int(gmt.headers["X-WP-Total"]) == sum(m > cut for m in moments)
    assert int(site.headers["X-WP-Total"]) == sum(m > cut - timedelta(hours=8) for m in moments)
    window = _get(
        server,
        "orders",
        {"modified_after": text, "modified_before": gmt_time(moments[-1]), "dates_are_gmt": "1", "per_page": 100},
    )
    assert int(window.headers["X-WP-Total"]) == sum(cut < m < moments[-1] for m in moments)


def test_include_exclude_and_orderby_include(server):
    params = {"include": "1005,1002,1009", "exclude": "1009", "orderby": "include", "order": "asc"}
    reply = _get(server, "orders", params)
    assert [o["id"] for o in reply.json()] == [1005, 1002] and reply.headers["X-WP-Total"] == "2"


def test_orderby_order_and_status_filter(server, world):
    by_date = _get(server, "orders", {"per_page": 100}).json()
    stamps = [o["date_created_gmt"] for o in by_date]
    assert stamps == sorted(stamps, reverse=True)
    by_id = _get(server, "orders", {"per_page": 100, "orderby": "id", "order": "asc"}).json()
    assert [o["id"] for o in by_id] == sorted(o["id"] for o in by_id)
    statuses = {o["status"] for o in render_store(world).orders}
    assert {"completed", "processing", "pending"} <= statuses
    done = _get(server, "orders", {"status": "completed,pending", "per_page": 100})
    assert {o["status"] for o in done.json()} == {"completed", "pending"}
    expected = sum(o["status"] in ("completed", "pending") for o in render_store(world).orders)
    assert int(done.headers["X-WP-Total"]) == expected
