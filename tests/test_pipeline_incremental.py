"""Incremental syncs: a changed record loads once, newer wins, and a wrong-shape payload is quarantined."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

from platforms import running_platforms, sync_all

from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.world import generate_world
from trace_store import queries


def _sync(platforms, store, name: str, entity: str) -> dict[str, object]:
    config = platforms.configs[name]
    return sync(config, entity, store, build_connector(config)).as_dict()


def _export(store, entity: str, key: str, value: str) -> dict:
    return next(row for row in queries.export(store, entity) if row[key] == value)


def test_changed_records_load_once_and_newer_wins(store, monkeypatch):
    world = generate_world(31, 0.3)
    order = next(o for o in world.shopify_orders if o["currency"] == "CNY" and o["created_at"] != "not-a-date")
    lot = next(r for r in world.odoo["stock.lot"] if r["x_studio_qc_status"] == "released")  # a Studio field
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
        assert gc.get_freeze_count() == 0, "a sync hands what it set aside back to the collector"
        cursor_before = store.cursor("shop", "order")

        now = datetime.now(UTC) - timedelta(minutes=1)
        world.touch(
            "shopify",
            order["id"],
            {"financial_status": "refunded", "fulfillment_status": None, "cancelled_at": None},
            now,
        )
        world.touch("odoo", lot["id"], {"x_studio_qc_status": "on_hold"}, now)
        shop = _sync(platforms, store, "shop", "order")
        erp = _sync(platforms, store, "erp", "lot")

    assert (shop["loaded"], shop["quarantined"]) == (1, 0), shop
    assert (erp["loaded"], erp["quarantined"]) == (1, 0), erp
    assert shop["pulled"] == shop["unchanged"] + 1, "only the lookback window was re-pulled"
    assert store.cursor("shop", "order") > cursor_before
    assert _export(store, "order", "order_number", order["name"].lstrip("#"))["status"] == "refunded"
    assert _export(store, "lot", "lot", lot["name"])["qc_status"] == "on_hold"


def test_wrong_shape_payload_is_quarantined_naming_the_field(store, monkeypatch):
    world = generate_world(32, 0.3)
    defective = {d["external_id"] for d in world.defect_plan}
    victim = next(s for o in world.shipbob_orders for s in o["shipments"] if str(s["id"]) not in defective)
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
        world.touch("shipbob", victim["id"], {"products": "not a list"}, datetime.now(UTC) - timedelta(minutes=1))
        result = _sync(platforms, store, "warehouse", "shipment")

    assert (result["loaded"], result["quarantined"]) == (0, 1), result
    row = next(r for r in queries.quarantine_rows(store) if r["external_id"] == str(victim["id"]))
    assert row["payload"]["shipments"][0]["products"] == "not a list", "the raw payload is kept"
    # products was always a list before: the platform retyped it (schema drift), not one bad value
    assert [(f["rule"], f["field"]) for f in row["failures"]] == [("schema_drift", "shipments[0].products")]
    assert "now sends 'shipments[*].products' as string" in row["failures"][0]["message"]
    shipments = {r["shipment_id"] for r in queries.export(store, "shipment")}
    assert str(victim["id"]) in shipments, "the older good version stays loaded"


def test_a_shipbob_order_not_in_the_vendors_shape_is_quarantined_whole() -> None:
    from connectors.shipbob import shipment_records

    order = generate_world(32, 0.3).shipbob_orders[0] | {"shipments": "not a list"}
    (raw,) = shipment_records(order)
    assert raw.external_id == f"order-{order['id']}" and raw.payload is order
    from mappings import get_mapping

    failures = get_mapping("shipbob", "shipment").map(raw.payload, "warehouse", raw.updated_at).failures
    assert [(f.rule, f.field) for f in failures] == [("mapping", "shipments")]


def test_lists_without_update_filters_load_a_change_once(store, monkeypatch):
    """ShipBob returns and lot inventory are pulled whole every sync: only what changed loads."""
    world = generate_world(33, 0.3)
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
        again = [_sync(platforms, store, "warehouse", entity) for entity in ("return", "inventory")]
        returned = world.shipbob_returns[0]
        world.touch("shipbob", returned["id"], {"status": "Completed"}, datetime.now(UTC) - timedelta(minutes=1))
        world.shipbob_inventory[0]["lots"][0]["locations"][0]["on_hand_quantity"] += 1
        world.shipbob_inventory[0]["lots"][0]["on_hand_quantity"] += 1
        changed = [_sync(platforms, store, "warehouse", entity) for entity in ("return", "inventory")]
    for run, total in zip(again, (len(world.shipbob_returns), len(world.shipbob_inventory)), strict=True):
        assert (run["pulled"], run["unchanged"], run["loaded"]) == (total, total, 0), run
    for run in changed:
        assert (run["loaded"], run["quarantined"], run["pulled"] - run["unchanged"]) == (1, 0, 1), run
