"""Identity across systems: SKU-only lines get their GTIN from the ERP's barcodes and the shop's variants.

ShipBob shipment products carry no GTIN. Whichever source arrives first, a line resolves as soon
as a source states the GTIN of its SKU; until then it is visible as unresolved (finding
`item_unresolved`), never silently dropped from traces by GTIN.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa
from platforms import running_platforms

from connectors.registry import build_connector
from data_dictionary.identity import Item, resolver
from data_dictionary.models import Shipment, Variant
from pipeline.sync import sync
from simulators.gs1 import make_gtin14
from simulators.world import expected_trace, generate_world
from trace_store import queries, schema
from trace_store.store import Store
from traceability.deliveries import trace_lot
from traceability.findings import FindingConfig, list_findings, refresh_findings


def _sync(platforms, store: Store, name: str, *entities: str) -> None:
    config = platforms.configs[name]
    connector = build_connector(config)
    for entity in entities or config.entities:
        sync(config, entity, store, connector)


def _unresolved_lines(store: Store) -> int:
    sl = schema.shipment_line.c
    with store.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(sl.gtin.is_(None))).scalar_one()


def _traced(store: Store, key: str) -> Counter:
    gtin, lot = key.split("|", 1)
    return Counter({(d.customer, d.shipment_id): Decimal(str(d.qty)) for d in trace_lot(store, gtin, lot)})


def _truth(deliveries: list[dict]) -> Counter:
    return Counter({(d["customer"], d["shipment_id"]): Decimal(d["qty"]) for d in deliveries})


@pytest.mark.parametrize("resolver", ["shop", "erp"])
def test_lines_that_arrive_first_resolve_when_a_source_states_their_gtin(store, monkeypatch, resolver):
    world = generate_world(41, 0.3)
    truth = expected_trace(world, master_first=False)
    with running_platforms(world, monkeypatch) as platforms:
        _sync(platforms, store, "warehouse")
        assert _unresolved_lines(store) > 0
        key = next(iter(truth["lots"]))
        assert _traced(store, key) == Counter()  # by GTIN nothing is known yet
        refresh_findings(store, FindingConfig())
        waiting = {f["details"]["shipment_id"] for f in list_findings(store, rule="item_unresolved")}
        shipped = {r["shipment_id"] for r in queries.export(store, "shipment") if r["status"] == "shipped"}
        assert waiting == shipped

        _sync(platforms, store, resolver, "variant" if resolver == "shop" else "device")

    assert _unresolved_lines(store) == 0
    for key, deliveries in truth["lots"].items():
        assert _traced(store, key) == _truth(deliveries), key
    edges = schema.trace_edge.c
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(edges.gtin.is_(None))).scalar_one() == 0
    refresh_findings(store, FindingConfig())
    assert list_findings(store, rule="item_unresolved") == []
    assert {f["rule"] for f in list_findings(store, status="resolved")} >= {"item_unresolved"}


def test_a_sku_that_two_sources_give_different_gtins_stays_unresolved(store, monkeypatch):
    world = generate_world(42, 0.3)
    variant = world.shopify_products[0]["variants"][0]
    sku = variant["sku"]
    variant["barcode"] = make_gtin14("6951234", "59999")[1:]  # a valid GTIN, but not the ERP's for this SKU
    with running_platforms(world, monkeypatch) as platforms:
        _sync(platforms, store, "erp", "device")
        _sync(platforms, store, "shop", "variant")
        _sync(platforms, store, "warehouse", "shipment")
    assert sku not in store.items()
    sl = schema.shipment_line.c
    with store.connect() as conn:
        skus = set(conn.execute(sa.select(sl.sku).where(sl.gtin.is_(None))).scalars())
    assert skus == {sku}
    refresh_findings(store, FindingConfig())
    found = list_findings(store, rule="item_unresolved")
    assert found and {f["details"]["sku"] for f in found} == {sku}


def test_shop_variants_barcodes_are_gtins_padded_from_ean13(store, monkeypatch):
    world = generate_world(43, 0.3)
    with running_platforms(world, monkeypatch) as platforms:
        _sync(platforms, store, "shop", "variant")
    stored = {r["sku"]: r["gtin"] for r in queries.export(store, "variant")}
    devices = {p["default_code"]: p["barcode"] for p in world.odoo["product.product"]}
    assert stored and all(devices[sku] == gtin for sku, gtin in stored.items())
    assert all(len(gtin) == 14 for gtin in stored.values())


def test_the_master_fills_only_lines_naming_a_sku_it_knows_and_never_overrules_a_stated_gtin() -> None:
    known, other = make_gtin14("6951234", "50001"), make_gtin14("6951234", "50002")
    items = {"TH-PM-1": Item(known, "serial")}
    values = {
        "lines": [
            {"sku": "TH-PM-1"},
            {"sku": "TH-PM-1", "gtin": known, "tracking": "lot"},
            {"sku": "TH-PM-1", "gtin": other, "tracking": "lot"},
            {"sku": "TH-UNKNOWN"},
            {"sku": ["not", "text"]},
            "not a line",
        ]
    }
    resolver(Shipment)(values, items)
    assert values["lines"] == [
        {"sku": "TH-PM-1", "gtin": known, "tracking": "serial"},
        {"sku": "TH-PM-1", "gtin": known, "tracking": "serial"},  # the master knows how the device is tracked
        {"sku": "TH-PM-1", "gtin": other, "tracking": "lot"},  # the line names its own device
        {"sku": "TH-UNKNOWN"},
        {"sku": ["not", "text"]},  # left for validation to reject
        "not a line",
    ]
    variant = {"sku": "TH-PM-1"}
    resolver(Variant)(variant, items)
    assert variant == {"sku": "TH-PM-1", "gtin": known}, "a variant has no tracking to fill"
