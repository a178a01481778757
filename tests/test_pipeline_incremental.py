"""Incremental syncs: a changed record loads once, newer wins, and a wrong-shape payload is quarantined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from platforms import running_platforms, sync_all

from connectors.registry import build_connector
from simulators.world import generate_world
from trace_store import queries
from tracehub.pipeline import sync


def _sync(platforms, store, name: str, entity: str) -> dict[str, object]:
    config = platforms.configs[name]
    return sync(config, entity, store, build_connector(config)).as_dict()


def _export(store, entity: str, key: str, value: str) -> dict:
    return next(row for row in queries.export(store, entity) if row[key] == value)


def test_changed_records_load_once_and_newer_wins(store, monkeypatch):
    world = generate_world(31, 0.3)
    order = next(o for o in world.shopify_orders if o["currency"] == "CNY" and o["created_at"] != "not-a-date")
    lot = next(r for r in world.odoo["stock.lot"] if r["x_studio_qc_status"] == "released")
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
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
    victim = next(o for o in world.shipbob_orders if str(o["id"]) not in defective)
    shipment_ids = {str(s["id"]) for s in victim["shipments"]}
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
        world.touch("shipbob", victim["id"], {"shipments": "not a list"}, datetime.now(UTC) - timedelta(minutes=1))
        result = _sync(platforms, store, "warehouse", "shipment")

    assert (result["loaded"], result["quarantined"]) == (0, 1), result
    row = next(r for r in queries.quarantine_rows(store) if r["external_id"] == str(victim["id"]))
    assert row["payload"]["shipments"] == "not a list", "the raw payload is kept"
    assert [(f["rule"], f["field"]) for f in row["failures"]] == [("mapping", "shipments")]
    shipments = {r["shipment_id"] for r in queries.export(store, "shipment")}
    assert shipment_ids <= shipments, "the older good version stays loaded"
