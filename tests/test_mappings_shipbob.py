"""ShipBob orders -> one Shipment per shipment, lines per lot item or serialised unit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from data_dictionary.models import Shipment, ShipmentLine
from mappings import get_mapping

SOURCE = "wms-suzhou"
GS = "\x1d"
SET_GTIN = "06951234500016"
PUMP_GTIN = "06951234500023"
GAUZE_GTIN = "06951234500030"
LOT_SCAN = f"{GS}01{SET_GTIN}17280229" + "10L2603-A/07"
PUMP_SCANS = [f"{GS}01{PUMP_GTIN}10P2601/2{GS}21SN000101", f"(01){PUMP_GTIN}(10)P2601/2(21)SN000102"]


def shipment(shipment_id: int, products: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return {
        "id": shipment_id,
        "order_id": 300001,
        "reference_id": "1001",
        "status": "Completed",
        "created_date": "2026-03-02T03:00:00Z",
        "last_update_at": "2026-03-04T08:00:00Z",
        "actual_fulfillment_date": "2026-03-04T07:30:00Z",
        "location": {"id": 11, "name": "Suzhou DC"},
        "tracking": {
            "carrier": "SF Express",
            "tracking_number": "SF1234567890",
            "shipping_date": "2026-03-04T07:30:00Z",
        },
        "products": products,
    } | changes


def lot_product(lot: str | None = "L2603-A/07", scans: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": 51,
        "reference_id": "TH-IS-200",
        "sku": "TH-IS-200",
        "name": "Infusion set IS-200",
        "gtin": SET_GTIN,
        "lot_tracked": True,
        "serial_tracked": False,
        "inventory_items": [
            {
                "id": 810,
                "name": "Infusion set IS-200",
                "quantity": 10,
                "lot": lot,
                "expiration_date": "2028-02-29T00:00:00Z",
                "serial_numbers": [],
                "udi_scans": [LOT_SCAN] if scans is None else scans,
            }
        ],
    }


def serial_product() -> dict[str, Any]:
    return {
        "id": 52,
        "reference_id": "TH-PM-1",
        "sku": "TH-PM-1",
        "name": "Infusion pump PM-1",
        "gtin": PUMP_GTIN,
        "lot_tracked": True,
        "serial_tracked": True,
        "inventory_items": [
            {
                "id": 811,
                "name": "Infusion pump PM-1",
                "quantity": 2,
                "lot": "P2601/2",
                "expiration_date": None,
                "serial_numbers": ["SN000101", "SN000102"],
                "udi_scans": PUMP_SCANS,
            }
        ],
    }


def untracked_product() -> dict[str, Any]:
    return {
        "id": 53,
        "sku": "TH-GZ",
        "name": "Gauze",
        "gtin": "6951234500030",
        "lot_tracked": False,
        "serial_tracked": False,
        "inventory_items": [
            {
                "id": 812,
                "quantity": 100,
                "lot": None,
                "expiration_date": None,
                "serial_numbers": [],
                "udi_scans": [],
            }
        ],
    }


def shipbob_order(*shipments: dict[str, Any]) -> dict[str, Any]:
    """The order as ShipBob's API serves it (simulators/README.md)."""
    return {
        "id": 300001,
        "reference_id": "1001",
        "order_number": "1001",
        "status": "Fulfilled",
        "created_date": "2026-03-02T03:00:00Z",
        "last_update_at": "2026-03-04T08:00:00Z",
        "recipient": {
            "name": "Zhejiang Provincial People's Hospital",
            "address": {
                "address1": "158 Shangtang Rd",
                "city": "Hangzhou",
                "state": "Zhejiang",
                "country": "CN",
                "company_name": "Zhejiang Provincial People's Hospital",
            },
        },
        "shipments": list(shipments) or [shipment(700001, [lot_product()])],
    }


def map_order(payload: dict[str, Any]):
    return get_mapping("shipbob", "shipment").map(payload, SOURCE)


def header(**changes: Any) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "source_updated_at": datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
        "shipment_id": "700001",
        "order_number": "1001",
        "ship_date": datetime(2026, 3, 4, 7, 30, tzinfo=UTC),
        "carrier": "SF Express",
        "tracking_no": "SF1234567890",
        "from_location": "Suzhou DC",
        "ship_to_name": "Zhejiang Provincial People's Hospital",
        "ship_to_region": "Zhejiang",
    } | changes


LOT_LINE = ShipmentLine(
    line_no=1,
    gtin=SET_GTIN,
    sku="TH-IS-200",
    tracking="lot",
    lot="L2603-A/07",
    expiry_date=date(2028, 2, 29),
    qty=Decimal(10),
    udi_raw=LOT_SCAN,
)


def test_lot_item_shipment_maps_to_the_canonical_record() -> None:
    result = map_order(shipbob_order())
    assert result.failures == []
    assert result.records == [Shipment(**header(), lines=(LOT_LINE,))]


def test_serial_items_give_one_line_per_serial_with_its_own_scan() -> None:
    payload = shipbob_order(shipment(700001, [lot_product(), serial_product(), untracked_product()]))
    [record] = map_order(payload).records
    pump = {"gtin": PUMP_GTIN, "sku": "TH-PM-1", "tracking": "serial", "lot": "P2601/2", "qty": Decimal(1)}
    assert record.lines == (
        LOT_LINE,
        ShipmentLine(line_no=2, serial="SN000101", udi_raw=PUMP_SCANS[0], **pump),
        ShipmentLine(line_no=3, serial="SN000102", udi_raw=PUMP_SCANS[1], **pump),
        ShipmentLine(line_no=4, gtin=GAUZE_GTIN, sku="TH-GZ", tracking="none", qty=Decimal(100)),
    )


def test_two_shipments_explode_into_two_records_with_their_own_lines() -> None:
    second = shipment(
        700002,
        [serial_product()],
        last_update_at="2026-03-05T08:00:00Z",
        actual_fulfillment_date=None,
        location={"id": 12, "name": "Shanghai DC"},
        tracking={
            "carrier": "JD Logistics",
            "tracking_number": "JD0001",
            "shipping_date": "2026-03-05T09:00:00+08:00",
        },
    )
    result = map_order(shipbob_order(shipment(700001, [lot_product()]), second))
    assert result.failures == []
    first, other = result.records
    assert first == Shipment(**header(), lines=(LOT_LINE,))
    assert (other.shipment_id, other.from_location, other.carrier, other.tracking_no) == (
        "700002",
        "Shanghai DC",
        "JD Logistics",
        "JD0001",
    )
    assert other.ship_date == datetime(2026, 3, 5, 1, 0, tzinfo=UTC)  # tracking.shipping_date fallback
    assert other.source_updated_at == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    assert [line.line_no for line in other.lines] == [1, 2]
    assert other.ship_to_name == first.ship_to_name


def test_an_order_without_shipments_gives_no_records_and_no_failures() -> None:
    payload = shipbob_order()
    payload["shipments"] = []
    result = map_order(payload)
    assert (result.records, result.failures) == ([], [])


@pytest.mark.parametrize(
    ("scan", "lot"),
    [
        (LOT_SCAN, "L2603-A/07"),
        (f"(01){SET_GTIN}(17)280229(10)L2603-A/07", "L2603-A/07"),
        (f"(01){SET_GTIN}(17)280229", None),
    ],
)
def test_missing_item_lot_is_taken_from_the_scan_when_it_has_one(scan: str, lot: str | None) -> None:
    payload = shipbob_order(shipment(700001, [lot_product(lot=None, scans=[scan])]))
    [record] = map_order(payload).records
    assert record.lines[0].lot == lot
    assert record.lines[0].udi_raw == scan


def test_item_without_scans_has_no_udi() -> None:
    payload = shipbob_order(shipment(700001, [lot_product(scans=[])]))
    assert map_order(payload).records[0].lines[0].udi_raw is None


def test_bad_gtin_check_digit_maps_and_is_left_to_quality_checks() -> None:
    product = lot_product()
    product["gtin"] = "06951234500017"
    [record] = map_order(shipbob_order(shipment(700001, [product]))).records
    assert record.lines[0].gtin == "06951234500017"


def _first_item(payload: dict[str, Any]) -> dict[str, Any]:
    return payload["shipments"][0]["products"][0]["inventory_items"][0]


@pytest.mark.parametrize(
    ("mutate", "field", "value"),
    [
        (
            lambda p: p["shipments"][0].update(last_update_at="yesterday"),
            "shipments[0].last_update_at",
            "yesterday",
        ),
        (
            lambda p: p["shipments"][0].update(actual_fulfillment_date=None, tracking=None),
            "shipments[0].actual_fulfillment_date or shipments[0].tracking.shipping_date",
            None,
        ),
        (
            lambda p: p["shipments"][0].update(actual_fulfillment_date="2026-13-04T07:30:00Z"),
            "shipments[0].actual_fulfillment_date",
            "2026-13-04T07:30:00Z",
        ),
        (lambda p: p.update(recipient={"address": {}}), "recipient.name", None),
        (lambda p: p.update(shipments={"id": 1}), "shipments", {"id": 1}),
        (lambda p: p["shipments"][0].update(products="none"), "shipments[0].products", "none"),
        (
            lambda p: _first_item(p).update(quantity="ten"),
            "shipments[0].products[0].inventory_items[0].quantity",
            "ten",
        ),
        (
            lambda p: _first_item(p).update(expiration_date="29/02/2028"),
            "shipments[0].products[0].inventory_items[0].expiration_date",
            "29/02/2028",
        ),
        (
            lambda p: _first_item(p).update(udi_scans="scan"),
            "shipments[0].products[0].inventory_items[0].udi_scans",
            "scan",
        ),
        (
            lambda p: p["shipments"][0]["products"][0].update(gtin="069512345000160"),
            "shipments[0].products[0].gtin",
            "069512345000160",
        ),
    ],
)
def test_malformed_order_is_a_mapping_failure_naming_the_raw_field(mutate, field: str, value: Any) -> None:
    payload = shipbob_order()
    mutate(payload)
    result = map_order(payload)
    assert result.records == []
    assert [(f.rule, f.field) for f in result.failures] == [("mapping", field)]
    assert result.failures[0].value == (value if not isinstance(value, dict) else repr(value))


def test_one_bad_shipment_quarantines_the_whole_order() -> None:
    bad = shipment(700002, [lot_product()], last_update_at="not-a-date")
    result = map_order(shipbob_order(shipment(700001, [lot_product()]), bad))
    assert result.records == []
    assert [f.field for f in result.failures] == ["shipments[1].last_update_at"]


@pytest.mark.parametrize("payload", [None, [], "order", 42])
def test_a_payload_that_is_not_an_object_is_a_failure(payload: Any) -> None:
    result = map_order(payload)
    assert result.records == []
    assert result.failures[0].rule == "mapping"
