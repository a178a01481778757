"""ShipBob 2026-01 orders -> one Shipment per shipment, lines per lot item or serialised unit.

Payloads follow ShipBob's OpenAPI document (simulators/contracts/shipbob): shipment products carry
only id, reference_id, name, sku and inventory_items; the store's order number is the order's
`order_number`, the consignee the ship-to company; serials live in `inventory_items[].serial_numbers`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.shipbob import shipment_records
from data_dictionary.identity import Item
from data_dictionary.models import Shipment, ShipmentLine
from mappings import MappingOptions, get_mapping
from simulators.contracts import shipbob_response_errors

SOURCE = "wms-suzhou"
SET_GTIN = "06951234500016"
PUMP_GTIN = "06951234500023"


def address() -> dict[str, Any]:
    return {
        "address1": "158 Shangtang Rd",
        "city": "Hangzhou",
        "state": "Zhejiang",
        "country": "CN",
        "company_name": "Zhejiang Provincial People's Hospital",
    }


def shipment(shipment_id: int, products: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    return {
        "id": shipment_id,
        "order_id": 300001,
        "reference_id": "5801000001",
        "status": "Completed",
        "created_date": "2026-03-02T03:00:00Z",
        "last_update_at": "2026-03-04T08:00:00Z",
        "actual_fulfillment_date": "2026-03-04T07:30:00Z",
        "location": {"id": 11, "name": "Suzhou DC"},
        "recipient": {"name": "Lin Chen", "full_name": "Lin Chen", "address": address()},
        "tracking": {
            "carrier": "SF Express",
            "tracking_number": "SF1234567890",
            "shipping_date": "2026-03-04T07:30:00Z",
        },
        "products": products,
    } | changes


def item(lot: str | None = "L2603-A/07", quantity: int = 10, serials: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": 51,
        "name": "Infusion set IS-200",
        "quantity": quantity,
        "quantity_committed": 0,
        "lot": lot,
        "expiration_date": "2028-02-29T00:00:00Z",
        "serial_numbers": serials or [],
        "is_dangerous_goods": False,
    }


def lot_product(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": 1001,
        "reference_id": "TH-IS-200",
        "sku": "TH-IS-200",
        "name": "Infusion set IS-200",
        "inventory_items": list(items) or [item()],
    }


def serial_product() -> dict[str, Any]:
    return {
        "id": 1009,
        "reference_id": "TH-PM-1",
        "sku": "TH-PM-1",
        "name": "Infusion pump PM-1",
        "inventory_items": [
            {**item("P2601/2", 2, ["SN000101", "SN000102"]), "id": 59, "expiration_date": None},
        ],
    }


def shipbob_order(*shipments: dict[str, Any]) -> dict[str, Any]:
    """The order as ShipBob's API serves it (an OrderViewModel)."""
    return {
        "id": 300001,
        "order_number": "1001",
        "reference_id": "5801000001",
        "status": "Fulfilled",
        "type": "B2B",
        "created_date": "2026-03-02T03:00:00Z",
        "recipient": {"name": "Lin Chen", "address": address()},
        "shipments": list(shipments) or [shipment(700001, [lot_product()])],
    }


def map_order(payload: Any, options: MappingOptions | None = None):
    return get_mapping("shipbob", "shipment", options or MappingOptions()).map(payload, SOURCE)


def header(**changes: Any) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "source_updated_at": datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
        "shipment_id": "700001",
        "order_number": "1001",
        "status": "shipped",
        "ship_date": datetime(2026, 3, 4, 7, 30, tzinfo=UTC),
        "carrier": "SF Express",
        "tracking_no": "SF1234567890",
        "from_location": "Suzhou DC",
        "ship_to_name": "Zhejiang Provincial People's Hospital",
        "ship_to_contact": "Lin Chen",
        "ship_to_region": "Zhejiang",
    } | changes


LOT_LINE = ShipmentLine(
    line_no=1, sku="TH-IS-200", tracking="lot", lot="L2603-A/07", expiry_date=date(2028, 2, 29), qty=Decimal(10)
)


def test_the_fixtures_follow_the_vendor_contract() -> None:
    order = shipbob_order(shipment(700001, [lot_product(), serial_product()]))
    assert shipbob_response_errors("GET", "/2026-01/order", 200, [order]) == []


def test_lot_item_shipment_maps_to_the_canonical_record() -> None:
    result = map_order(shipbob_order())
    assert result.failures == []
    assert result.records == [Shipment(**header(), lines=(LOT_LINE,))]


def test_order_number_is_the_stores_number_not_the_channel_reference() -> None:
    """`reference_id` is the channel's unique, immutable id (the shop's numeric order id)."""
    [record] = map_order(shipbob_order()).records
    assert record.order_number == "1001"
    [other] = map_order(shipbob_order(), MappingOptions.of(fields={"order_number": "$.reference_id"})).records
    assert other.order_number == "5801000001"  # a source whose channel keeps its number there maps it


def test_the_consignee_is_the_ship_to_company_and_the_person_its_contact() -> None:
    order = shipbob_order()
    [record] = map_order(order).records
    assert (record.ship_to_name, record.ship_to_contact) == ("Zhejiang Provincial People's Hospital", "Lin Chen")
    for recipient in (order["recipient"], order["shipments"][0]["recipient"]):
        recipient["address"]["company_name"] = None
    [private] = map_order(order).records
    assert (private.ship_to_name, private.ship_to_contact) == ("Lin Chen", "Lin Chen")


def test_serials_give_one_line_per_serial_and_a_lot_split_gives_one_line_per_lot() -> None:
    split = lot_product(item("L2603-A/07", 6), item("L2604-A/01", 4))
    payload = shipbob_order(shipment(700001, [split, serial_product()]))
    [record] = map_order(payload).records
    pump = {"sku": "TH-PM-1", "tracking": "serial", "lot": "P2601/2", "qty": Decimal(1)}
    assert record.lines == (
        ShipmentLine(
            line_no=1, sku="TH-IS-200", tracking="lot", lot="L2603-A/07", expiry_date=date(2028, 2, 29), qty=6
        ),
        ShipmentLine(
            line_no=2, sku="TH-IS-200", tracking="lot", lot="L2604-A/01", expiry_date=date(2028, 2, 29), qty=4
        ),
        ShipmentLine(line_no=3, serial="SN000101", **pump),
        ShipmentLine(line_no=4, serial="SN000102", **pump),
    )


def test_the_device_master_gives_gtin_and_tracking_by_sku() -> None:
    payload = shipbob_order(shipment(700001, [lot_product(item(lot=None)), serial_product()]))
    [record] = map_order(payload).records
    assert [(line.gtin, line.tracking) for line in record.lines] == [(None, None), (None, "serial"), (None, "serial")]
    items = {"TH-IS-200": Item(SET_GTIN, "lot"), "TH-PM-1": Item(PUMP_GTIN, "serial")}
    [resolved] = get_mapping("shipbob", "shipment", MappingOptions()).map(payload, SOURCE, items=items).records
    assert [(line.gtin, line.tracking) for line in resolved.lines] == [
        (SET_GTIN, "lot"),  # now the missing lot of a lot-tracked device is a rule violation
        (PUMP_GTIN, "serial"),
        (PUMP_GTIN, "serial"),
    ]
    assert resolved.model_copy(update={"lines": record.lines}) == record, "only the lines' devices were filled"
    unknown = {"TH-OTHER": Item(SET_GTIN, "lot")}
    assert get_mapping("shipbob", "shipment", MappingOptions()).map(payload, SOURCE, items=unknown).records == [record]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("Completed", "shipped"), ("Processing", "pending"), ("LabeledCreated", "pending"), ("Cancelled", "cancelled")],
)
def test_only_a_completed_shipment_counts_as_shipped(status: str, expected: str) -> None:
    pending = shipment(700002, [lot_product()], status=status)
    if status != "Completed":
        pending.update(actual_fulfillment_date=None, tracking={"carrier": None, "tracking_number": None})
    [record] = map_order(shipbob_order(pending)).records
    assert record.status == expected
    assert (record.ship_date is None) == (expected != "shipped")


def test_each_shipment_of_an_order_is_its_own_raw_record() -> None:
    """A pending shipment never blocks or hides a delivered one: the connector lands them apart."""
    delivered = shipment(700001, [lot_product()])
    waiting = shipment(
        700002,
        [serial_product()],
        status="Processing",
        last_update_at="2026-03-06T08:00:00Z",
        actual_fulfillment_date=None,
        tracking={"carrier": None, "tracking_number": None, "shipping_date": None},
    )
    order = shipbob_order(delivered, waiting)
    records = shipment_records(order)
    assert [(r.external_id, r.updated_at) for r in records] == [
        ("700001", datetime(2026, 3, 4, 8, 0, tzinfo=UTC)),
        ("700002", datetime(2026, 3, 6, 8, 0, tzinfo=UTC)),
    ]
    for raw in records:
        assert shipbob_response_errors("GET", "/2026-01/order", 200, [raw.payload]) == []
        [record] = map_order(raw.payload).records
        assert record.shipment_id == raw.external_id
    assert [map_order(r.payload).records[0].status for r in records] == ["shipped", "pending"]
    assert shipment_records({**order, "shipments": []}) == []


def test_expiry_is_the_date_in_the_sources_time_zone() -> None:
    order = shipbob_order(shipment(700001, [lot_product(item() | {"expiration_date": "2028-02-28T16:00:00Z"})]))
    assert map_order(order).records[0].lines[0].expiry_date == date(2028, 2, 28)
    shanghai = MappingOptions.of("Asia/Shanghai")
    assert map_order(order, shanghai).records[0].lines[0].expiry_date == date(2028, 2, 29)


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
            lambda p: p["shipments"][0].update(actual_fulfillment_date="2026-13-04T07:30:00Z"),
            "shipments[0].actual_fulfillment_date",
            "2026-13-04T07:30:00Z",
        ),
        (lambda p: p["shipments"][0].update(status="Shipped"), "shipments[0].status", "Shipped"),
        (lambda p: p.update(shipments={"id": 1}), "shipments", {"id": 1}),
        (lambda p: p["shipments"][0].update(products="none"), "shipments[0].products", "none"),
        (lambda p: p["shipments"][0].update(products=None), "shipments[0].products", None),
        (lambda p: p["shipments"][0].pop("products"), "shipments[0].products", None),
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
            lambda p: _first_item(p).update(serial_numbers="SN1"),
            "shipments[0].products[0].inventory_items[0].serial_numbers",
            "SN1",
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


def test_a_shipment_with_no_recipient_anywhere_is_a_mapping_failure() -> None:
    payload = shipbob_order()
    payload["recipient"] = {"address": {}}
    payload["shipments"][0]["recipient"] = {"address": {}}
    result = map_order(payload)
    assert [(f.rule, f.field) for f in result.failures] == [
        (
            "mapping",
            "shipments[0].recipient.address.company_name or recipient.address.company_name "
            "or shipments[0].recipient.name or recipient.name",
        )
    ]


@pytest.mark.parametrize("payload", [None, [], "order", 42])
def test_a_payload_that_is_not_an_object_is_a_failure(payload: Any) -> None:
    result = map_order(payload)
    assert result.records == []
    assert result.failures[0].rule == "mapping"
