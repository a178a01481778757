"""A WooCommerce store synced for real: the declared platform over loopback HTTP into SQLite, against the world.

The ERP's device master is synced first (as the demo orders it), so a line's GTIN and tracking come from it;
then the store's products, orders and what its completed orders sent. What loads must be the world's sales
and its ground-truth deliveries; what does not must sit in quarantine naming its rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from platforms import comparable, source_config, token_env

from connectors.config import SourceConfig
from connectors.http import RetryPolicy
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.server import Faults, start
from simulators.woocommerce_store import render_store
from simulators.world import World, generate_world, quarantined_shipments
from trace_store import queries
from trace_store.store import Store
from traceability.deliveries import trace_lot, trace_serial

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(7, 0.3)


def _sync_store(
    world: World, path: Path, faults: Faults | None = None, page_size: int = 40
) -> tuple[Store, list[dict[str, Any]]]:
    """The ERP's devices, then every WooCommerce entity, synced into a new SQLite store at `path`."""
    store = Store.open(f"sqlite:///{path}")
    store.upgrade()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(token_env("erp"), "erp-token")
        monkeypatch.setenv("TRACEHUB_TEST_STORE_SECRET", "cs_woo-token")
        with start("odoo", world, "erp-token") as erp, start("woocommerce", world, "woo-token", faults) as shop:
            devices = source_config("erp", erp.base_url, entities=["device"])
            sync(devices, "device", store, build_connector(devices))
            woo = SourceConfig.model_validate(
                {
                    "name": "store",
                    "kind": "woocommerce",
                    "base_url": shop.base_url,
                    "entities": ["variant", "order", "shipment"],
                    "credentials": {"env": "TRACEHUB_TEST_STORE_SECRET"},
                    "login": "ck_woo-token",
                    "page_size": page_size,
                    "timeout_seconds": 1,
                }
            )
            connector = build_connector(woo, policy=RetryPolicy(attempts=10, initial_wait=0.02, max_wait=0.3))
            results = [sync(woo, entity, store, connector).as_dict() for entity in woo.entities]
            served = [entry for entry in shop.requests if entry.fault is None]
            assert all(entry.status == 200 for entry in served), "every request followed the contract"
            assert {entry.query["per_page"] for entry in served} == {str(page_size)}
            assert any(entry.query.get("page") == "2" for entry in served)
            if faults is not None:
                assert sum(entry.fault is not None for entry in shop.requests) >= 3
    return store, results


@pytest.fixture(scope="module")
def loaded(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, list[dict[str, Any]]]]:
    store, results = _sync_store(world, tmp_path_factory.mktemp("woo") / "tracehub.db")
    yield store, results
    store.close()


def _orders_of(world: World, defect: str) -> set[str]:
    ids = {e["external_id"] for e in world.defect_plan if e["defect"] == defect}
    return {str(o["order_number"]) for o in world.shopify_orders if str(o["id"]) in ids}


def test_the_stores_orders_load_as_the_worlds_sales(world, loaded):
    store, results = loaded
    assert [(r["entity"], r["pulled"]) for r in results] == [
        ("variant", len(world.shopify_products)),
        ("order", len(world.shopify_orders)),
        ("shipment", len(world.shopify_orders)),
    ]
    stored = {row["order_number"]: row for row in queries.export(store, "order")}
    zeroed = _orders_of(world, "non_positive_quantity")
    assert set(stored) == {str(o["order_number"]) for o in world.shopify_orders} - zeroed
    for order in world.shopify_orders:
        row = stored.get(str(order["order_number"]))
        if row is None:
            continue
        assert row["customer_name"] == order["customer"]["default_address"]["company"]
        assert row["customer_ref"] == str(order["customer"]["id"])
        assert Decimal(row["total"]) == Decimal(order["total_price"])
        units: Counter[str] = Counter()
        for line in row["lines"]:
            units[line["sku"]] += int(Decimal(line["qty"]))
        assert units == Counter({line["sku"]: line["quantity"] for line in order["line_items"]})
    variants = {row["sku"]: row["gtin"] for row in queries.export(store, "variant")}
    erp = {p["default_code"]: p["barcode"] for p in world.odoo["product.product"]}
    assert variants == {v["sku"]: erp[v["sku"]] for p in world.shopify_products for v in p["variants"]}


def test_what_the_store_shipped_traces_to_the_ground_truth(world, loaded):
    store, _ = loaded
    planted = quarantined_shipments(world)
    held = {o["order_number"] for o in world.shipbob_orders if {str(s["id"]) for s in o["shipments"]} & planted}
    open_orders = {  # WooCommerce has no partly shipped state: such an order stays `processing`, stored pending
        o["order_number"] for o in world.shipbob_orders if any(s["status"] != "Completed" for s in o["shipments"])
    }
    skipped = held | open_orders | _orders_of(world, "non_positive_quantity")
    checked = 0
    for kind, trace in (("lots", trace_lot), ("serials", trace_serial)):
        for key, deliveries in world.ground_truth[kind].items():
            gtin, code = key.split("|", 1)
            expected = Counter()
            for d in deliveries:
                if d["order_number"] not in skipped:
                    expected[(d["customer"], d["order_number"])] += d["qty"]
            got = Counter()
            for d in trace(store, gtin, code):
                got[(d.customer, d.order_number)] += int(d.qty)
            assert got == expected, key
            checked += bool(expected)
    assert checked > 40


def test_bad_lines_sit_in_quarantine_with_one_line_naming_the_rule(world, loaded):
    store, _ = loaded
    rows = [r for r in queries.quarantine_rows(store) if r["source"] == "store"]
    by_entity: dict[str, dict[str, set[str]]] = {}
    for row in rows:
        by_entity.setdefault(row["entity"], {})[row["external_id"]] = {f["rule"] for f in row["failures"]}
        assert all("\n" not in f["message"] and f["message"] for f in row["failures"])
    zeroed = _orders_of(world, "non_positive_quantity")
    assert by_entity["order"] == {number: {"qty_positive"} for number in zeroed}
    rules = {
        d["defect"]: d["external_id"]
        for d in world.defect_plan
        if d["defect"] in ("missing_lot", "expired_lot_shipped")
    }
    order_of = {str(s["id"]): o["order_number"] for o in world.shipbob_orders for s in o["shipments"]}
    shipments = by_entity["shipment"]
    assert "lot_required" in shipments[order_of[rules["missing_lot"]]]
    assert "not_expired_at_ship" in shipments[order_of[rules["expired_lot_shipped"]]]
    assert set(shipments) == {order_of[rules["missing_lot"]], order_of[rules["expired_lot_shipped"]]} | (
        zeroed & {o["number"] for o in _completed(world)}
    )


def _completed(world: World) -> list[dict[str, Any]]:
    return [o for o in render_store(world).orders if o["status"] == "completed"]


def test_a_sync_through_429s_errors_drops_and_cut_bodies_loads_the_same(world, loaded, tmp_path):
    store, _ = loaded
    faults = Faults(rate=0.3, kinds=("429", "500", "503", "drop", "truncate"), seed=3)
    faulted, results = _sync_store(world, tmp_path / "faulted.db", faults, page_size=10)
    try:
        assert [r["pulled"] for r in results] == [len(world.shopify_products), *[len(world.shopify_orders)] * 2]
        for entity in ("variant", "order", "shipment"):
            assert comparable({"x": list(queries.export(faulted, entity))}) == comparable(
                {"x": list(queries.export(store, entity))}
            ), entity
    finally:
        faulted.close()
