"""Shopify Admin REST orders -> Order records, good and malformed."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from data_dictionary.models import Order, OrderLine
from mappings import get_mapping

SOURCE = "shop-cn"


def shopify_order() -> dict[str, Any]:
    """The order as Shopify's Admin REST API serves it (simulators/README.md)."""
    return {
        "id": 5801000001,
        "name": "#1001",
        "order_number": 1001,
        "created_at": "2026-03-02T10:15:00+08:00",
        "updated_at": "2026-03-02T10:20:00+08:00",
        "currency": "CNY",
        "financial_status": "paid",
        "fulfillment_status": "fulfilled",
        "cancelled_at": None,
        "source_name": "web",
        "total_price": "1130.00",
        "subtotal_price": "1000.00",
        "total_tax": "130.00",
        "total_discounts": "0.00",
        "customer": {
            "id": 7001,
            "email": "purchasing@zj-hospital.example",
            "first_name": "Lin",
            "last_name": "Chen",
            "default_address": {
                "company": "Zhejiang Provincial People's Hospital",
                "province": "Zhejiang",
                "province_code": "ZJ",
                "country_code": "CN",
            },
        },
        "line_items": [
            {
                "id": 9001,
                "sku": "TH-IS-200",
                "title": "Infusion set IS-200",
                "quantity": 10,
                "price": "100.00",
                "total_discount": "0.00",
                "tax_lines": [{"title": "VAT", "price": "130.00", "rate": 0.13}],
            },
            {
                "id": 9002,
                "sku": "TH-SY-5",
                "title": "Syringe 5 ml",
                "quantity": 200,
                "price": "1.25",
                "total_discount": "5.00",
                "tax_lines": [
                    {"title": "VAT", "price": "30.00", "rate": 0.13},
                    {"title": "Surcharge", "price": "1.10", "rate": 0.005},
                ],
            },
        ],
    }


def map_order(payload: dict[str, Any]):
    return get_mapping("shopify", "order").map(payload, SOURCE)


def test_order_maps_to_the_canonical_record() -> None:
    result = map_order(shopify_order())
    assert result.failures == []
    assert result.records == [
        Order(
            source=SOURCE,
            source_updated_at=datetime(2026, 3, 2, 2, 20, tzinfo=UTC),
            order_number="1001",
            external_id="5801000001",
            customer_ref="7001",
            customer_name="Zhejiang Provincial People's Hospital",
            channel="web",
            order_date=datetime(2026, 3, 2, 2, 15, tzinfo=UTC),
            status="fulfilled",
            currency="CNY",
            total=Decimal("1130.00"),
            lines=(
                OrderLine(
                    line_no=1,
                    sku="TH-IS-200",
                    qty=Decimal(10),
                    unit_price=Decimal("100.00"),
                    discount=Decimal("0.00"),
                    tax=Decimal("130.00"),
                ),
                OrderLine(
                    line_no=2,
                    sku="TH-SY-5",
                    qty=Decimal(200),
                    unit_price=Decimal("1.25"),
                    discount=Decimal("5.00"),
                    tax=Decimal("31.10"),
                ),
            ),
        )
    ]
    assert result.records[0].order_date.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"fulfillment_status": None, "financial_status": "paid"}, "paid"),
        ({"fulfillment_status": None, "financial_status": "pending"}, "pending_payment"),
        ({"fulfillment_status": "partial"}, "partially_fulfilled"),
        ({"cancelled_at": "2026-03-03T09:00:00+08:00", "financial_status": "refunded"}, "cancelled"),
    ],
)
def test_status_is_cancellation_then_fulfilment_then_payment(changes: dict[str, Any], status: str) -> None:
    payload = shopify_order() | changes
    assert map_order(payload).records[0].status == status


def test_guest_order_without_customer_and_tax_lines() -> None:
    payload = shopify_order()
    payload["customer"] = None
    payload["line_items"][0]["tax_lines"] = []
    del payload["line_items"][1]["total_discount"]
    order = map_order(payload).records[0]
    assert (order.customer_ref, order.customer_name) == (None, None)
    assert order.lines[0].tax == Decimal(0)
    assert order.lines[1].discount == Decimal(0)


def test_non_positive_quantity_maps_and_is_left_to_quality_checks() -> None:
    payload = shopify_order()
    payload["line_items"][0]["quantity"] = 0
    assert map_order(payload).records[0].lines[0].qty == 0


@pytest.mark.parametrize(
    ("mutate", "field", "value"),
    [
        (lambda p: p.update(created_at="not-a-date"), "created_at", "not-a-date"),
        (lambda p: p.update(created_at="2026-03-02T10:15:00"), "created_at", "2026-03-02T10:15:00"),
        (lambda p: p.pop("created_at"), "created_at", None),
        (lambda p: p.update(currency=None), "currency", None),
        (lambda p: p.update(name=None), "name", None),
        (lambda p: p.update(total_price="11,30"), "total_price", "11,30"),
        (lambda p: p.update(line_items="oops"), "line_items", "oops"),
        (lambda p: p["line_items"][1].update(quantity="ten"), "line_items[1].quantity", "ten"),
        (lambda p: p["line_items"][0].update(price=None), "line_items[0].price", None),
        (lambda p: p["line_items"][0].update(tax_lines="VAT"), "line_items[0].tax_lines", "VAT"),
        (lambda p: p.update(customer="Lin Chen"), "customer", "Lin Chen"),
        (lambda p: p.update(financial_status="bogus", fulfillment_status=None), "financial_status", "bogus"),
    ],
)
def test_malformed_order_is_a_mapping_failure_naming_the_raw_field(mutate, field: str, value: Any) -> None:
    payload = shopify_order()
    mutate(payload)
    result = map_order(payload)
    assert result.records == []
    assert [(f.rule, f.field, f.value) for f in result.failures] == [("mapping", field, value)]
    assert result.failures[0].message


def test_every_problem_of_a_payload_is_reported() -> None:
    payload = shopify_order()
    payload["created_at"] = "not-a-date"
    payload["line_items"][0]["price"] = "free"
    assert [f.field for f in map_order(payload).failures] == ["created_at", "line_items[0].price"]


def test_long_offending_values_are_truncated() -> None:
    payload = shopify_order()
    payload["created_at"] = "x" * 5000
    failure = map_order(payload).failures[0]
    assert len(failure.value) == 200


def test_mapping_does_not_change_the_payload() -> None:
    payload = shopify_order()
    before = copy.deepcopy(payload)
    map_order(payload)
    assert payload == before
