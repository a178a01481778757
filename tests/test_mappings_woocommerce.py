"""WooCommerce payloads, fetched from the simulator over loopback, mapped to canonical records.

The store sells what the Shopify shop sells in the same world: its orders map to the same canonical
orders, its products to variants with the devices' GTINs, and the lot, expiry and serial numbers the
merchant entered on shipped lines give back the world's ground truth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from data_dictionary.identity import Item
from mappings import MappingOptions, get_mapping
from pipeline.checks import check_payloads
from simulators.server import start
from simulators.world import World, generate_world, quarantined_shipments

TOKEN = "woo-map"
AUTH = (f"ck_{TOKEN}", f"cs_{TOKEN}")
SAME_AS_SHOPIFY = {"source", "external_id", "channel", "status", "source_updated_at"}
"""Order fields each platform words its own way; everything else must agree."""


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(7, 0.4)


def _pull(base_url: str, resource: str) -> list[dict[str, Any]]:
    url: str | None = f"{base_url}/wp-json/wc/v3/{resource}?per_page=100&orderby=id&order=asc"
    records: list[dict[str, Any]] = []
    while url:
        reply = requests.get(url, auth=AUTH, timeout=10)
        reply.raise_for_status()
        records += reply.json()
        url = reply.links.get("next", {}).get("url")
    return records


@pytest.fixture(scope="module")
def served(world: World) -> Iterator[dict[str, list[dict[str, Any]]]]:
    with start("woocommerce", world, TOKEN) as server:
        yield {"orders": _pull(server.base_url, "orders"), "products": _pull(server.base_url, "products")}


def _defective(world: World, defect: str) -> set[str]:
    """Order numbers of the Shopify orders the plan gave `defect`."""
    ids = {e["external_id"] for e in world.defect_plan if e["defect"] == defect}
    return {str(o["order_number"]) for o in world.shopify_orders if str(o["id"]) in ids}


def _items(world: World) -> dict[str, Item]:
    """The ERP's device master by SKU, as a sync of the ERP would give it."""
    return {p["default_code"]: Item(p["barcode"], p["tracking"]) for p in world.odoo["product.product"]}


def test_orders_map_to_the_canonical_orders_shopify_gives(world, served):
    shopify = {}
    for order in world.shopify_orders:
        result = get_mapping("shopify", "order").map(order, source="shop")
        if result.ok:
            shopify[result.records[0].order_number] = result.records[0]
    assert len(served["orders"]) == len(world.shopify_orders)
    split = equal = 0
    for payload in served["orders"]:
        result = get_mapping("woocommerce", "order").map(payload, source="woo")
        assert result.ok, result.failures
        (woo,) = result.records
        if woo.order_number in _defective(world, "malformed_date"):
            assert woo.order_date is not None  # the store wrote its own date: nothing to quarantine
            continue
        expected = shopify[woo.order_number].model_dump(exclude=SAME_AS_SHOPIFY)
        got = woo.model_dump(exclude=SAME_AS_SHOPIFY)
        if woo.order_number in _defective(world, "unknown_currency"):
            assert (expected["currency"], got["currency"]) == ("RMB", "CNY")  # v3 accepts no RMB
            got["currency"] = "RMB"
        if len(got["lines"]) == len(expected["lines"]):
            assert got == expected
            equal += 1
            continue
        # A line the warehouse filled from two lots is entered as one line per lot: same goods and money.
        split += 1
        assert {k: v for k, v in got.items() if k != "lines"} == {k: v for k, v in expected.items() if k != "lines"}
        assert _per_sku(got["lines"]) == _per_sku(expected["lines"])
    assert split >= 1 and equal > 10 * split


def _per_sku(lines: list[dict[str, Any]]) -> dict[str, tuple[Decimal, Decimal]]:
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for line in lines:
        qty, money = totals.get(line["sku"], (Decimal(0), Decimal(0)))
        totals[line["sku"]] = (qty + line["qty"], money + line["qty"] * line["unit_price"])
    return totals


def test_shipped_lines_give_the_ground_truth_lots_serials_and_expiry_dates(world, served):
    items = _items(world)
    checked = check_payloads(
        get_mapping("woocommerce", "shipment"), "woo", "shipment", [(o, None) for o in served["orders"]], items
    )
    got: Counter[tuple[str, str, str, str]] = Counter()
    serials: set[tuple[str, str, str]] = set()
    quarantined = set()
    expiry_of = {
        i["lot"]: i["expiration_date"][:10]
        for o in world.shipbob_orders
        for s in o["shipments"]
        for p in s["products"]
        for i in p["inventory_items"]
    }
    for payload, result in zip(served["orders"], checked, strict=True):
        if result.failures:
            quarantined.add(payload["number"])
            continue
        (shipment,) = result.records
        if shipment.status != "shipped":
            continue
        for line in shipment.lines:
            assert line.gtin == items[line.sku].gtin and line.lot and line.expiry_date
            assert line.expiry_date.isoformat() == expiry_of[line.lot]
            got[(f"{line.gtin}|{line.lot}", shipment.order_number, shipment.ship_to_name, "")] += int(line.qty)
            if line.serial:
                serials.add((f"{line.gtin}|{line.serial}", shipment.order_number, shipment.ship_to_name))
    # Quarantined: exactly the orders whose shipments the plan quarantines (missing lot, expired lot), and the
    # shipped order with a line zeroed after checkout (a shipped quantity of 0: `qty_positive`).
    planted = quarantined_shipments(world)
    warehouse = {o["order_number"] for o in world.shipbob_orders if {str(s["id"]) for s in o["shipments"]} & planted}
    completed = {o["number"] for o in served["orders"] if o["status"] == "completed"}
    assert quarantined == warehouse | (_defective(world, "non_positive_quantity") & completed)
    assert warehouse and quarantined - warehouse
    # WooCommerce has no partly shipped state: an order with a shipment still out stays `processing` (pending).
    open_orders = {o["number"] for o in served["orders"] if o["status"] == "processing" and _has_lots(o)}
    assert len(open_orders) == 1
    expected: Counter[tuple[str, str, str, str]] = Counter()
    for key, deliveries in world.ground_truth["lots"].items():
        for d in deliveries:
            if d["order_number"] not in quarantined | open_orders:
                expected[(key, d["order_number"], d["customer"], "")] += d["qty"]
    assert got == expected and len(got) > 50
    expected_serials = {
        (key, d["order_number"], d["customer"])
        for key, deliveries in world.ground_truth["serials"].items()
        for d in deliveries
        if d["order_number"] not in quarantined | open_orders
    }
    assert serials == expected_serials and len(serials) > 20


def _has_lots(order: dict[str, Any]) -> bool:
    return any(m["key"] == "_lot_number" for line in order["line_items"] for m in line["meta_data"])


def test_a_line_without_its_lot_meta_is_quarantined_with_one_line_naming_the_rule(world, served):
    (order,) = [o for o in served["orders"] if o["number"] in _missing_lot(world)]
    line = next(i for i, line in enumerate(order["line_items"]) if line["meta_data"] and not _lot_of(line))
    mapping = get_mapping("woocommerce", "shipment")
    (result,) = check_payloads(mapping, "woo", "shipment", [(order, None)], _items(world))
    assert [f.rule for f in result.failures] == ["lot_required"]
    message = result.failures[0].message
    assert "\n" not in message and "lot" in message
    assert result.records, "the mapped shipment is kept with the quarantined payload"
    assert order["line_items"][line]["meta_data"], "expiry was entered, only the lot is missing"


def _missing_lot(world: World) -> set[str]:
    shipments = {e["external_id"] for e in world.defect_plan if e["defect"] == "missing_lot"}
    return {o["order_number"] for o in world.shipbob_orders if {str(s["id"]) for s in o["shipments"]} & shipments}


def _lot_of(line: dict[str, Any]) -> str | None:
    return next((m["value"] for m in line["meta_data"] if m["key"] == "_lot_number"), None)


def test_a_malformed_meta_value_fails_the_mapping_naming_the_line_and_key(served):
    order = next(o for o in served["orders"] if o["status"] == "completed")
    line = dict(order["line_items"][0])
    line["meta_data"] = [{**m, "value": "31/02/2028"} if m["key"] == "_expiry_date" else m for m in line["meta_data"]]
    result = get_mapping("woocommerce", "shipment").map({**order, "line_items": [line]}, source="woo")
    assert not result.records
    assert [(f.rule, f.field, f.value) for f in result.failures] == [
        ("mapping", "line_items[0].meta_data[key=_expiry_date].value", "31/02/2028")
    ]


def test_the_stores_own_meta_keys_come_from_the_field_map(served):
    order = next(o for o in served["orders"] if o["status"] == "completed")
    line = {
        **order["line_items"][0],
        "quantity": 2,
        "meta_data": [
            {"id": 1, "key": "batch", "value": "B-77"},
            {"id": 2, "key": "best_before", "value": "2029-05-31"},
            {"id": 3, "key": "serials", "value": "SN9; SN8"},
        ],
    }
    fields = {
        "lines.lot": "line.meta_data[key=batch].value",
        "lines.expiry_date": "line.meta_data[key=best_before].value",
        "lines.serial": "line.meta_data[key=serials].value",
    }
    mapping = get_mapping("woocommerce", "shipment", MappingOptions.of("UTC", fields))
    (shipment,) = mapping.map({**order, "line_items": [line]}, source="woo").records
    assert [(x.lot, x.serial, x.expiry_date.isoformat(), x.qty, x.tracking) for x in shipment.lines] == [
        ("B-77", "SN9", "2029-05-31", 1, "serial"),
        ("B-77", "SN8", "2029-05-31", 1, "serial"),
    ]
    (default,) = get_mapping("woocommerce", "shipment").map({**order, "line_items": [line]}, source="woo").records
    assert [(x.lot, x.serial, x.qty, x.tracking) for x in default.lines] == [(None, None, 2, None)]


def test_products_map_to_variants_with_the_devices_gtins(world, served):
    barcodes = {v["sku"]: v["barcode"] for p in world.shopify_products for v in p["variants"]}
    erp = {p["default_code"]: p["barcode"] for p in world.odoo["product.product"]}
    mapping = get_mapping("woocommerce", "variant")
    variants = [r for product in served["products"] for r in mapping.map(product, source="woo").records]
    assert len(variants) == len(world.shopify_products) > 5
    for variant in variants:
        assert variant.gtin == "0" + barcodes[variant.sku] == erp[variant.sku]


def test_global_unique_id_wins_and_a_configured_meta_key_replaces_the_default(served):
    product = served["products"][0]
    default = get_mapping("woocommerce", "variant")
    custom = get_mapping("woocommerce", "variant", MappingOptions.of("UTC", {"gtin": "meta_data[key=ean].value"}))
    with_ean = {**product, "meta_data": [{"id": 9, "key": "ean", "value": "6901234567892"}]}
    assert default.map(with_ean, source="w").records[0].gtin is None
    assert custom.map(with_ean, source="w").records[0].gtin == "06901234567892"
    assert custom.map(product, source="w").records[0].gtin is None
    with_id = {**with_ean, "global_unique_id": "06951234500016"}
    assert default.map(with_id, source="w").records[0].gtin == "06951234500016"
    assert custom.map(with_id, source="w").records[0].gtin == "06951234500016"


def test_meta_data_of_the_wrong_shape_fails_naming_where(served):
    order = next(o for o in served["orders"] if o["status"] == "completed")
    line = {**order["line_items"][0], "meta_data": "_lot_number=L1"}
    result = get_mapping("woocommerce", "shipment").map({**order, "line_items": [line]}, source="woo")
    assert not result.records
    assert {(f.field, f.message) for f in result.failures} == {("line_items[0].meta_data", "expected a list")}
