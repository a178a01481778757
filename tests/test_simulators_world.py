"""The generated world: deterministic, internally consistent, and defective exactly as planned."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from biip.gs1_messages import GS1Message

from simulators.defects import DEFECTS
from simulators.formats import parse_moment
from simulators.gs1 import GS, is_valid_gtin14
from simulators.world import World, expected_trace, generate_world

FIRST = datetime(2026, 1, 5, tzinfo=UTC)
LAST = datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(7, 1.0)


def plan_ids(world: World, defect: str) -> set[str]:
    return {d["external_id"] for d in world.defect_plan if d["defect"] == defect}


def items(order: dict) -> list[tuple[dict, dict, dict]]:
    return [(s, p, i) for s in order["shipments"] for p in s["products"] for i in p["inventory_items"]]


def defective_shipbob(world: World) -> set[str]:
    return {d["external_id"] for d in world.defect_plan if d["platform"] == "shipbob"}


def test_same_seed_same_world_and_other_seed_differs(world: World) -> None:
    assert generate_world(7, 1.0).to_json() == world.to_json()
    assert generate_world(8, 1.0).to_json() != world.to_json()


def test_write_read_round_trip(world: World, tmp_path) -> None:
    world.write(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"world.json", "ground_truth.json", "defect_plan.json"}
    assert World.read(tmp_path) == world


def test_sizes_at_scale_one(world: World) -> None:
    products = world.odoo["product.product"]
    devices = [p for p in products if p["barcode"].startswith("0695")]
    assert len(devices) == 12 and len(products) == 18
    assert sum(p["tracking"] == "serial" for p in devices) >= 3
    assert all(p["x_studio_name_zh"] and p["x_studio_registration_no"] for p in devices)
    assert {p["x_studio_risk_class"] for p in devices} == {"I", "II", "III"}
    roles = Counter(p["x_studio_role"] for p in world.odoo["res.partner"])
    assert roles == {"manufacturer": 1, "supplier": 4, "hospital": 25, "distributor": 6}
    finished = [lot for lot in world.odoo["stock.lot"] if lot["name"].startswith("L")]
    assert len(finished) == 60 == len(world.odoo["mrp.production"])
    assert all("-" in lot["name"] and "/" in lot["name"] for lot in finished)
    assert Counter(lot["x_studio_qc_status"] for lot in finished)["released"] >= 50
    assert len(world.shopify_orders) == 200
    assert 150 <= len(world.shipbob_orders) == len(world.odoo["account.move"]) < 200
    assert any(len(o["shipments"]) == 2 for o in world.shipbob_orders)
    for production in world.odoo["mrp.production"]:
        assert 1 <= len(production["move_raw_ids"]) <= 3


def test_scale_fifty_is_fast_and_linear() -> None:
    started = time.monotonic()
    big = generate_world(7, 50.0)
    assert time.monotonic() - started < 30
    assert len(big.shopify_orders) == 10000
    assert len([lot for lot in big.odoo["stock.lot"] if lot["name"].startswith("L")]) == 3000
    assert len(big.shipbob_orders) > 8000


def test_every_gtin_is_valid_except_planted_defects(world: World) -> None:
    assert all(is_valid_gtin14(p["barcode"]) for p in world.odoo["product.product"])
    broken = plan_ids(world, "invalid_gtin_check_digit")
    for order in world.shipbob_orders:
        valid = all(is_valid_gtin14(p["gtin"]) for s in order["shipments"] for p in s["products"])
        assert valid == (str(order["id"]) not in broken)


def test_scans_agree_with_their_items(world: World) -> None:
    skip = defective_shipbob(world)
    forms = Counter()
    for order in world.shipbob_orders:
        if str(order["id"]) in skip:
            continue
        for _, product, item in items(order):
            assert len(item["udi_scans"]) == max(1, len(item["serial_numbers"]))
            assert len(item["serial_numbers"]) in (0, item["quantity"])
            for index, scan in enumerate(item["udi_scans"]):
                bracketed = scan.startswith("(")
                forms[bracketed] += 1
                message = GS1Message.parse_hri(scan) if bracketed else GS1Message.parse(scan.removeprefix(GS))
                fields = {element.ai.ai: element for element in message.element_strings}
                assert fields["01"].value == product["gtin"]
                assert fields["10"].value == item["lot"]
                assert fields["17"].date == parse_moment(item["expiration_date"]).date()
                if item["serial_numbers"]:
                    assert fields["21"].value == item["serial_numbers"][index]
    assert 0.15 < forms[True] / sum(forms.values()) < 0.4


def test_defect_plan_covers_every_kind_on_distinct_records(world: World) -> None:
    kinds = Counter(d["defect"] for d in world.defect_plan)
    assert set(kinds) == set(DEFECTS) and min(kinds.values()) >= 1
    keys = [(d["platform"], d["external_id"]) for d in world.defect_plan]
    assert len(keys) == len(set(keys))
    for entry in world.defect_plan:
        platform, entity, rule, expect = DEFECTS[entry["defect"]]
        assert (entry["platform"], entry["entity"], entry["rules"], entry["expect"]) == (
            platform,
            entity,
            [rule],
            expect,
        )
        assert world.record(entry["platform"], entry["external_id"])
    numbers = [world.record(d["platform"], d["external_id"]).get("reference_id") for d in world.defect_plan]
    shipbob_numbers = [n for n in numbers if n]
    assert len(shipbob_numbers) == len(set(shipbob_numbers))


def test_planted_defects_are_in_the_payloads(world: World) -> None:
    def ids(defect: str) -> list[dict]:
        return [world.record(d["platform"], d["external_id"]) for d in world.defect_plan if d["defect"] == defect]

    for order in ids("non_positive_quantity"):
        assert any(line["quantity"] <= 0 for line in order["line_items"])
    assert all(o["currency"] == "RMB" for o in ids("unknown_currency"))
    assert all(o["created_at"] == "not-a-date" for o in ids("malformed_date"))
    for order in ids("missing_lot"):
        missing = [(p, i) for _, p, i in items(order) if i["lot"] is None]
        assert missing and all(not p["serial_tracked"] for p, _ in missing)
        assert all("(10)" not in i["udi_scans"][0] and "10L" not in i["udi_scans"][0] for _, i in missing)
    for order in ids("expired_lot_shipped"):
        assert any(
            parse_moment(i["expiration_date"]) < parse_moment(s["actual_fulfillment_date"]) for s, _, i in items(order)
        )
    shipped_lots = {(i["lot"]) for o in world.shipbob_orders for _, _, i in items(o)}
    for lot in ids("expiry_before_production"):
        assert lot["expiration_date"][:10] < lot["x_studio_production_date"]
        assert lot["name"] not in shipped_lots
    lines = {line["id"]: line for line in world.odoo["account.move.line"]}
    shipped = shipped_quantities(world)
    for invoice in ids("invoice_qty_mismatch"):
        assert invoiced_quantities(invoice, lines) != shipped[invoice["invoice_origin"].lstrip("#")]


def test_nothing_else_is_defective(world: World) -> None:
    planned = {(d["platform"], d["external_id"]) for d in world.defect_plan}
    for order in world.shopify_orders:
        if ("shopify", str(order["id"])) not in planned:
            assert order["currency"] == "CNY" and all(line["quantity"] > 0 for line in order["line_items"])
            parse_moment(order["created_at"])
    lots = {(lot["product_id"][0], lot["name"]): lot for lot in world.odoo["stock.lot"]}
    barcodes = {p["barcode"]: p["id"] for p in world.odoo["product.product"]}
    for lot in world.odoo["stock.lot"]:
        if ("odoo", str(lot["id"])) not in planned:
            assert lot["expiration_date"][:10] > lot["x_studio_production_date"]
    for order in world.shipbob_orders:
        if ("shipbob", str(order["id"])) in planned:
            continue
        for shipment, product, item in items(order):
            lot = lots[(barcodes[product["gtin"]], item["lot"])]
            ship_date = shipment["actual_fulfillment_date"][:10]
            assert lot["x_studio_qc_status"] == "released"
            assert lot["x_studio_production_date"] <= ship_date < item["expiration_date"][:10]
            assert lot["expiration_date"][:10] == item["expiration_date"][:10]


def shipped_quantities(world: World) -> dict[str, Counter]:
    shipped: dict[str, Counter] = {}
    for order in world.shipbob_orders:
        counter = shipped.setdefault(order["reference_id"], Counter())
        for _, product, item in items(order):
            counter[product["sku"]] += item["quantity"]
    return shipped


def invoiced_quantities(invoice: dict, lines: dict[int, dict]) -> Counter:
    counter: Counter = Counter()
    for line_id in invoice["invoice_line_ids"]:
        counter[lines[line_id]["name"].split("]")[0].lstrip("[")] += int(lines[line_id]["quantity"])
    return counter


def test_invoices_match_shipments_except_planted(world: World) -> None:
    mismatched = plan_ids(world, "invoice_qty_mismatch")
    lines = {line["id"]: line for line in world.odoo["account.move.line"]}
    shipped = shipped_quantities(world)
    assert len(world.odoo["account.move"]) == len(shipped)
    for invoice in world.odoo["account.move"]:
        assert invoice["move_type"] == "out_invoice" and invoice["state"] == "posted"
        same = invoiced_quantities(invoice, lines) == shipped[invoice["invoice_origin"].lstrip("#")]
        assert same == (str(invoice["id"]) not in mismatched)


def test_ground_truth_sums_equal_shipped_quantities(world: World) -> None:
    truth = world.ground_truth
    assert sum(d["qty"] for ds in truth["lots"].values() for d in ds) == sum(
        i["quantity"] for o in world.shipbob_orders for _, _, i in items(o)
    )
    skip = defective_shipbob(world)
    per_lot: Counter = Counter()
    for order in world.shipbob_orders:
        if str(order["id"]) not in skip:
            for _, product, item in items(order):
                per_lot[f"{product['gtin']}|{item['lot']}"] += item["quantity"]
    for key, qty in per_lot.items():
        assert sum(d["qty"] for d in truth["lots"][key]) >= qty
    serials = [s for ds in truth["lots"].values() for d in ds for s in d["serials"]]
    assert len(serials) == len(set(serials)) == len(truth["serials"]) > 0
    assert all(len(ds) == 1 and ds[0]["qty"] == 1 for ds in truth["serials"].values())


def test_expected_trace_drops_only_quarantined_shipments(world: World) -> None:
    expected = expected_trace(world)
    quarantined = {
        str(s["id"]) for o in world.shipbob_orders if str(o["id"]) in defective_shipbob(world) for s in o["shipments"]
    }
    kept = [d for ds in expected["lots"].values() for d in ds]
    truth = [d for ds in world.ground_truth["lots"].values() for d in ds]
    assert not {d["shipment_id"] for d in kept} & quarantined
    assert len(truth) - len(kept) == sum(d["shipment_id"] in quarantined for d in truth) > 0


def test_timestamps_stay_in_the_half_year(world: World) -> None:
    moments = [o[k] for o in world.shopify_orders for k in ("created_at", "updated_at") if o[k] != "not-a-date"]
    moments += [o["last_update_at"] for o in world.shipbob_orders]
    moments += [s["actual_fulfillment_date"] for o in world.shipbob_orders for s in o["shipments"]]
    moments += [r["write_date"] for records in world.odoo.values() for r in records if "write_date" in r]
    moments += [p["date_finished"] for p in world.odoo["mrp.production"]]
    assert all(FIRST <= parse_moment(m) <= LAST for m in moments)
    assert all(date.fromisoformat(i["invoice_date"]) <= LAST.date() for i in world.odoo["account.move"])


def test_touch_changes_record_and_update_time(world: World) -> None:
    copy = World(**{k: v for k, v in vars(generate_world(7, 1.0)).items()})
    at = datetime(2026, 6, 29, 12, tzinfo=UTC)
    order = copy.touch("shopify", copy.shopify_orders[0]["id"], {"financial_status": "refunded"}, at)
    assert order["financial_status"] == "refunded" and parse_moment(order["updated_at"]) == at
    assert parse_moment(copy.touch("shipbob", copy.shipbob_orders[0]["id"], {}, at)["last_update_at"]) == at
    lot = copy.touch("odoo", copy.odoo["stock.lot"][0]["id"], {"x_studio_qc_status": "on_hold"}, at)
    assert lot["write_date"] == "2026-06-29 12:00:00" and lot["x_studio_qc_status"] == "on_hold"
    with pytest.raises(KeyError):
        copy.touch("odoo", 10**9, {}, at)
