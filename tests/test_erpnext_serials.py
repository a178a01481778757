"""ERPNext Serial No as the serial register: each unit's lot, status, warehouse and delivery, over loopback HTTP
into the store on both backends. The register is not stock: a delivered unit (status Delivered, warehouse
cleared) adds nothing to a lot's on hand, and a unit only the register knows can still be recalled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from test_erpnext import OPTIONS, SECRET, documents, erpnext_source, mapped

from data_dictionary.models import Device, SerialNumber
from mappings import get_mapping
from simulators.contracts.erpnext_doctypes import erpnext_document_errors
from simulators.server import start
from simulators.world import generate_world
from trace_store import queries
from traceability import recall


@pytest.fixture(scope="module")
def world():
    return generate_world(11, 0.4, studio=False)


@pytest.fixture(scope="module")
def site(world):
    with start("erpnext", world, token=SECRET) as server:
        yield server


def truth_lot_of(world) -> dict[str, str]:
    """GTIN|SERIAL -> the lot the ground truth shipped it in."""
    found = {}
    for key, deliveries in world.ground_truth["lots"].items():
        gtin, lot = key.split("|", 1)
        for d in deliveries:
            for serial in d["serials"]:
                found[f"{gtin}|{serial}"] = lot
    return found


def test_every_served_serial_follows_the_contract_and_maps_to_its_delivery(site, world):
    served = documents(site, "Serial No")
    assert served and [e for doc in served for e in erpnext_document_errors("Serial No", doc)] == []
    notes = {n["name"]: n for n in documents(site, "Delivery Note")}
    consignee = {s.shipment_id: s.ship_to_name for s in mapped("shipment", list(notes.values()))}
    gtin_of = {d.sku: d.gtin for d in mapped("device", documents(site, "Item"))}
    register = {f"{gtin_of[r.sku]}|{r.serial}": r for r in mapped("serial_number", served)}
    lots = truth_lot_of(world)
    assert register.keys() == world.ground_truth["serials"].keys()
    for key, deliveries in world.ground_truth["serials"].items():
        (delivery,) = deliveries
        unit = register[key]
        assert (unit.lot, unit.status, unit.location) == (lots[key], "delivered", None), key
        assert unit.reference_type == "Delivery Note" and consignee[unit.reference_id] == delivery["customer"], key
        note = notes[unit.reference_id]
        assert (unit.customer_name, unit.status_date) == (note["customer"], date.fromisoformat(note["posting_date"]))
        assert note["lr_no"] == next(
            s["tracking"]["tracking_number"]
            for o in world.shipbob_orders
            for s in o["shipments"]
            if str(s["id"]) == delivery["shipment_id"]
        )


def test_an_unknown_status_quarantines_naming_the_field(site):
    doc = documents(site, "Serial No")[0]
    failures = get_mapping("erpnext", "serial_number", OPTIONS).map({**doc, "status": "Reserved"}, "erp").failures
    assert [(f.rule, f.field) for f in failures] == [("mapping", "status")]
    assert "Delivered" in failures[0].message and "\n" not in failures[0].message


def test_a_sync_lands_the_register_with_gtins_and_counts_no_stock(site, world, store, monkeypatch):
    from connectors.registry import build_connector
    from pipeline.sync import sync

    config = erpnext_source(site.base_url, monkeypatch, ["device", "shipment", "serial_number"])
    connector = build_connector(config)
    results = {entity: sync(config, entity, store, connector).as_dict() for entity in config.entities}
    assert results["serial_number"]["loaded"] == len(world.ground_truth["serials"])
    assert results["serial_number"]["quarantined"] == 0
    rows = {f"{r['gtin']}|{r['serial']}": r for r in queries.export(store, "serial_number")}
    lots = truth_lot_of(world)
    assert {k: (r["lot"], r["status"], r["location"]) for k, r in rows.items()} == {
        k: (lots[k], "delivered", None) for k in world.ground_truth["serials"]
    }

    lost = {e["external_id"] for e in world.defect_plan if e["defect"] == "missing_lot"}
    key = next(
        k for k, ds in sorted(world.ground_truth["serials"].items()) if all(d["shipment_id"] not in lost for d in ds)
    )
    gtin, serial = key.split("|", 1)
    report = recall.impact(store, recall.create_recall(store, gtin, serials=[serial], reason="field", actor="qa"))
    (balance,) = [b for b in report.mass_balance if (b.gtin, b.lot) == (gtin, lots[key])]
    shipped = sum(
        Decimal(d["qty"]) for d in world.ground_truth["lots"][f"{gtin}|{lots[key]}"] if d["shipment_id"] not in lost
    )
    assert (balance.shipped, balance.on_hand, report.stock) == (shipped, 0, [])
    assert [c.name for c in report.consignees if c.deliveries] == [world.ground_truth["serials"][key][0]["customer"]]


def test_a_unit_only_the_register_knows_can_be_recalled_by_its_lot(store, make):
    gtin = "09506000134352"
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    device = Device(source="erp", source_updated_at=t0, gtin=gtin, sku="PM-1", name_en="Pump", tracking="serial")
    unit = SerialNumber(
        source="erp", source_updated_at=t0, serial="SN-STOCK-1", sku="PM-1", lot="L9", status="active", location="WH-1"
    )
    for entity, record in (("serial_number", unit), ("device", device)):
        run = store.begin_run("erp", entity)
        store.commit_batch(make.batch(run, [record], source="erp", entity=entity))
        store.finish_run(run)
    (row,) = queries.export(store, "serial_number")
    assert (row["gtin"], row["lot"], row["location"]) == (gtin, "L9", "WH-1")
    with pytest.raises(recall.RecallError, match="no serial 'SN-ELSEWHERE'"):
        recall.create_recall(store, gtin, serials=["SN-ELSEWHERE"], reason="field", actor="qa")
    report = recall.impact(store, recall.create_recall(store, gtin, serials=["SN-STOCK-1"], reason="field", actor="qa"))
    assert [(a.gtin, a.lot) for a in report.lots] == [(gtin, "L9")]
    assert recall.is_recalled(store, gtin, serial="SN-STOCK-1") and report.consignees == []
    assert [(b.shipped, b.on_hand) for b in report.mass_balance] == [(0, 0)]
