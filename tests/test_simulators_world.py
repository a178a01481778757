"""The generated world: deterministic, in the vendors' real shapes, and defective exactly as planned."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from simulators.defects import DEFECTS, STUDIO_ONLY
from simulators.formats import SHOP_TZ, parse_moment
from simulators.gs1 import is_valid_gtin14
from simulators.world import World, expected_trace, generate_world

FIRST = datetime(2026, 1, 5, tzinfo=UTC)
LAST = datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(7, 1.0)


def plan_ids(world: World, defect: str) -> set[str]:
    return {d["external_id"] for d in world.defect_plan if d["defect"] == defect}


def shipments(world: World) -> list[tuple[dict, dict]]:
    return [(o, s) for o in world.shipbob_orders for s in o["shipments"]]


def items(shipment: dict) -> list[tuple[dict, dict]]:
    return [(p, i) for p in shipment["products"] for i in p["inventory_items"]]


def sent(world: World) -> list[tuple[dict, dict]]:
    return [(o, s) for o, s in shipments(world) if s["status"] == "Completed"]


def gtin_of(world: World) -> dict[str, str]:
    return {p["default_code"]: p["barcode"] for p in world.odoo["product.product"]}


def test_same_seed_same_world_and_other_seed_differs(world: World) -> None:
    assert generate_world(7, 1.0).to_json() == world.to_json()
    assert generate_world(8, 1.0).to_json() != world.to_json()
    assert generate_world(7, 1.0, studio=False).to_json() != world.to_json()


def test_write_read_round_trip(world: World, tmp_path) -> None:
    world.write(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"world.json", "ground_truth.json", "defect_plan.json"}
    assert World.read(tmp_path) == world
    standard = generate_world(7, 0.3, studio=False)
    standard.write(tmp_path / "standard")
    assert World.read(tmp_path / "standard") == standard


def test_sizes_at_scale_one(world: World) -> None:
    products = world.odoo["product.product"]
    devices = [p for p in products if p["barcode"].startswith("0695123450")]
    assert len(devices) == 12
    assert sum(p["tracking"] == "serial" for p in devices) >= 3
    assert all(p["x_studio_name_zh"] and p["x_studio_registration_no"] for p in devices)
    assert {p["x_studio_risk_class"] for p in devices} == {"I", "II", "III"}
    companies = [p for p in world.odoo["res.partner"] if p["is_company"]]
    roles = Counter(p["x_studio_role"] for p in companies)
    assert roles == {"manufacturer": 1, "supplier": 4, "hospital": 25, "distributor": 6}
    assert Counter((p["customer_rank"] > 0, p["supplier_rank"] > 0) for p in companies) == {
        (True, False): 31,
        (False, True): 4,
        (False, False): 1,
    }
    contacts = [p for p in world.odoo["res.partner"] if not p["is_company"]]
    assert len(contacts) == 31 and all(p["parent_id"] for p in contacts)
    finished = [lot for lot in world.odoo["stock.lot"] if lot["name"].startswith("L")]
    assert len(finished) == 60 == len(world.odoo["mrp.production"])
    assert all("-" in lot["name"] and "/" in lot["name"] for lot in finished)
    assert Counter(lot["x_studio_qc_status"] for lot in finished)["released"] >= 50
    assert len(world.shopify_orders) == 200
    assert 150 <= len(world.shipbob_orders) == len(world.odoo["account.move"]) < 200
    for production in world.odoo["mrp.production"]:
        assert 1 <= len(production["move_raw_ids"]) <= 3


def test_scale_fifty_is_fast_and_linear() -> None:
    started = time.monotonic()
    big = generate_world(7, 50.0)
    assert time.monotonic() - started < 30
    assert len(big.shopify_orders) == 10000
    assert len([lot for lot in big.odoo["stock.lot"] if lot["name"].startswith("L")]) == 3000
    assert len(big.shipbob_orders) > 8000


def test_a_standard_install_has_no_custom_field_anywhere() -> None:
    standard = generate_world(7, 0.5, studio=False)
    assert standard.odoo_custom_fields == {}
    for records in standard.odoo.values():
        assert not any(key.startswith("x_") for record in records for key in record)
    assert "expiry_before_production" not in {d["defect"] for d in standard.defect_plan}
    assert set(DEFECTS) - {d["defect"] for d in standard.defect_plan} == STUDIO_ONLY


def test_the_real_shapes_are_all_in_the_world(world: World) -> None:
    """The cases the connectors must get right on real accounts (issue: real platforms, not our own)."""
    orders = world.shipbob_orders
    # order number and shop id in their real fields
    numbers = {str(o["order_number"]): o["id"] for o in world.shopify_orders}
    assert all(numbers[o["order_number"]] == int(o["reference_id"]) for o in orders)
    # consignee companies distinct from contact persons
    assert all(o["recipient"]["name"] != o["recipient"]["address"]["company_name"] for o in orders)
    # drop-ship consignees that are not ERP partners
    partners = {p["name"] for p in world.odoo["res.partner"]}
    drop = [o for o in orders if o["type"] == "DropShip"]
    assert drop and all(o["recipient"]["address"]["company_name"] not in partners for o in drop)
    # serials only in inventory_items[].serial_numbers, products carry no GTIN
    assert all(
        set(p) == {"id", "reference_id", "sku", "name", "inventory_items"}
        for _, s in shipments(world)
        for p in s["products"]
    )
    assert any(i["serial_numbers"] for _, s in shipments(world) for _, i in items(s))
    # a lot split inside one shipment line
    assert any(len({i["lot"] for i in p["inventory_items"]}) > 1 for _, s in sent(world) for p in s["products"])
    # an order shipped in two shipments days apart with another still Processing
    (pending,) = [o for o in orders if o["status"] == "PartiallyFulfilled"]
    statuses = [s["status"] for s in pending["shipments"]]
    assert statuses == ["Completed", "Completed", "Processing"]
    first, second = (parse_moment(s["actual_fulfillment_date"]) for s in pending["shipments"][:2])
    assert (second - first).days >= 2
    assert pending["shipments"][2]["actual_fulfillment_date"] is None
    # one manufacturing move consuming two lots in unequal quantities
    lines = {line["id"]: line for line in world.odoo["stock.move.line"]}
    split = [m for m in world.odoo["stock.move"] if len(m["move_line_ids"]) == 2]
    assert len(split) == 1
    quantities = [lines[i]["quantity"] for i in split[0]["move_line_ids"]]
    assert quantities[0] != quantities[1] and sum(quantities) == pytest.approx(split[0]["quantity"])
    # expiry datetimes in UTC: local midnight in Asia/Shanghai is 16:00 the day before
    assert all(lot["expiration_date"].endswith(" 16:00:00") for lot in world.odoo["stock.lot"])
    # archived products and partners that still matter to history
    archived = [p for p in world.odoo["product.product"] if p["active"] is False]
    assert len(archived) == 1 and any(key.startswith(archived[0]["barcode"]) for key in world.ground_truth["lots"])
    customers = {d["customer"] for ds in world.ground_truth["lots"].values() for d in ds}
    gone = [p for p in world.odoo["res.partner"] if p["is_company"] and p["active"] is False]
    assert len(gone) == 1 and gone[0]["name"] in customers


def test_every_gtin_is_valid_except_planted_defects(world: World) -> None:
    broken = plan_ids(world, "invalid_gtin_check_digit")
    for product in world.odoo["product.product"]:
        assert is_valid_gtin14(product["barcode"]) == (str(product["id"]) not in broken)


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
    numbers = [
        world.shipbob_order_of(d["external_id"])["order_number"]
        for d in world.defect_plan
        if d["platform"] == "shipbob"
    ]
    assert len(numbers) == len(set(numbers))


def test_planted_defects_are_in_the_payloads(world: World) -> None:
    def ids(defect: str) -> list[dict]:
        return [world.record(d["platform"], d["external_id"]) for d in world.defect_plan if d["defect"] == defect]

    for order in ids("non_positive_quantity"):
        assert any(line["quantity"] <= 0 for line in order["line_items"])
    assert all(o["currency"] == "RMB" for o in ids("unknown_currency"))
    assert all(o["created_at"] == "not-a-date" for o in ids("malformed_date"))
    for shipment in ids("missing_lot"):
        missing = [(p, i) for p, i in items(shipment) if i["lot"] is None]
        assert missing and all(not i["serial_numbers"] for _, i in missing)
    for shipment in ids("expired_lot_shipped"):
        shipped = parse_moment(shipment["actual_fulfillment_date"])
        assert any(parse_moment(i["expiration_date"]) < shipped for _, i in items(shipment))
    shipped_lots = {i["lot"] for _, s in shipments(world) for _, i in items(s)}
    for lot in ids("expiry_before_production"):
        assert lot["expiration_date"][:10] < lot["x_studio_production_date"]
        assert lot["name"] not in shipped_lots
    lines = {line["id"]: line for line in world.odoo["account.move.line"]}
    shipped = shipped_quantities(world)
    for invoice in ids("invoice_qty_mismatch"):
        assert invoiced_quantities(invoice, lines) != shipped[invoice["invoice_origin"].lstrip("#")]


def local_day(odoo_datetime: str) -> str:
    return parse_moment(odoo_datetime).astimezone(SHOP_TZ).date().isoformat()


def test_nothing_else_is_defective(world: World) -> None:
    planned = {(d["platform"], d["external_id"]) for d in world.defect_plan}
    for order in world.shopify_orders:
        if ("shopify", str(order["id"])) not in planned:
            assert order["currency"] == "CNY" and all(line["quantity"] > 0 for line in order["line_items"])
            parse_moment(order["created_at"])
    lots = {(lot["product_id"][0], lot["name"]): lot for lot in world.odoo["stock.lot"]}
    ids = {p["default_code"]: p["id"] for p in world.odoo["product.product"]}
    for lot in world.odoo["stock.lot"]:
        if ("odoo", str(lot["id"])) not in planned:
            assert local_day(lot["expiration_date"]) > lot["x_studio_production_date"]
    for _, shipment in sent(world):
        if ("shipbob", str(shipment["id"])) in planned:
            continue
        for product, item in items(shipment):
            lot = lots[(ids[product["sku"]], item["lot"])]
            ship_date = shipment["actual_fulfillment_date"][:10]
            assert lot["x_studio_qc_status"] == "released"
            assert lot["x_studio_production_date"] <= ship_date < item["expiration_date"][:10]
            assert local_day(lot["expiration_date"]) == item["expiration_date"][:10]


def shipped_quantities(world: World) -> dict[str, Counter]:
    shipped: dict[str, Counter] = {}
    for order, shipment in sent(world):
        counter = shipped.setdefault(order["order_number"], Counter())
        for product, item in items(shipment):
            counter[product["sku"]] += item["quantity"]
    return shipped


def invoiced_quantities(invoice: dict, lines: dict[int, dict]) -> Counter:
    counter: Counter = Counter()
    for line_id in invoice["invoice_line_ids"]:
        counter[lines[line_id]["name"].split("]")[0].lstrip("[")] += int(lines[line_id]["quantity"])
    return counter


def test_invoices_bill_what_shipped_except_planted(world: World) -> None:
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
    gtins = gtin_of(world)
    assert sum(d["qty"] for ds in truth["lots"].values() for d in ds) == sum(
        i["quantity"] for _, s in sent(world) for _, i in items(s)
    )
    per_lot: Counter = Counter()
    for _, shipment in sent(world):
        for product, item in items(shipment):
            if item["lot"]:
                per_lot[f"{gtins[product['sku']]}|{item['lot']}"] += item["quantity"]
    for key, qty in per_lot.items():
        assert sum(d["qty"] for d in truth["lots"][key]) >= qty
    consignees = {o["recipient"]["address"]["company_name"] for o, _ in sent(world)}
    assert {d["customer"] for ds in truth["lots"].values() for d in ds} == consignees
    serials = [s for ds in truth["lots"].values() for d in ds for s in d["serials"]]
    assert len(serials) == len(set(serials)) == len(truth["serials"]) > 0
    assert all(len(ds) == 1 and ds[0]["qty"] == 1 for ds in truth["serials"].values())
    pending = {str(s["id"]) for _, s in shipments(world) if s["status"] != "Completed"}
    assert pending and not pending & {d["shipment_id"] for ds in truth["lots"].values() for d in ds}


def test_expected_trace_drops_only_quarantined_shipments(world: World) -> None:
    expected = expected_trace(world)
    quarantined = {d["external_id"] for d in world.defect_plan if d["platform"] == "shipbob"}
    kept = [d for ds in expected["lots"].values() for d in ds]
    truth = [d for ds in world.ground_truth["lots"].values() for d in ds]
    assert not {d["shipment_id"] for d in kept} & quarantined
    assert len(truth) - len(kept) == sum(d["shipment_id"] in quarantined for d in truth) > 0


def test_timestamps_stay_in_the_half_year(world: World) -> None:
    moments = [o[k] for o in world.shopify_orders for k in ("created_at", "updated_at") if o[k] != "not-a-date"]
    moments += [s["last_update_at"] for _, s in shipments(world)]
    moments += [s["actual_fulfillment_date"] for _, s in sent(world)]
    moments += [r["write_date"] for records in world.odoo.values() for r in records if "write_date" in r]
    moments += [p["date_finished"] for p in world.odoo["mrp.production"]]
    moments += [h["timestamp"] for r in world.shipbob_returns for h in r["status_history"]]
    assert all(FIRST <= parse_moment(m) <= LAST for m in moments)
    assert all(date.fromisoformat(i["invoice_date"]) <= LAST.date() for i in world.odoo["account.move"])


def test_touch_changes_record_and_update_time(world: World) -> None:
    copy = World(**{k: v for k, v in vars(generate_world(7, 1.0)).items()})
    at = datetime(2026, 6, 29, 12, tzinfo=UTC)
    order = copy.touch("shopify", copy.shopify_orders[0]["id"], {"financial_status": "refunded"}, at)
    assert order["financial_status"] == "refunded" and parse_moment(order["updated_at"]) == at
    touched = copy.touch("shipbob", copy.shipbob_orders[0]["id"], {}, at)
    assert all(parse_moment(s["last_update_at"]) == at for s in touched["shipments"])
    shipment = copy.shipbob_orders[1]["shipments"][0]
    assert parse_moment(copy.touch("shipbob", shipment["id"], {}, at)["last_update_at"]) == at
    returned = copy.touch("shipbob", copy.shipbob_returns[0]["id"], {"status": "Completed"}, at)
    assert returned["status_history"][-1] == {"status": "Completed", "timestamp": "2026-06-29T12:00:00Z"}
    lot = copy.touch("odoo", copy.odoo["stock.lot"][0]["id"], {"x_studio_qc_status": "on_hold"}, at)
    assert lot["write_date"] == "2026-06-29 12:00:00" and lot["x_studio_qc_status"] == "on_hold"
    with pytest.raises(KeyError):
        copy.touch("odoo", 10**9, {}, at)
