"""Odoo 17 records (relations expanded by the connector) -> Device, Party, Lot, BatchRecord, Invoice.

Standard fields by default; the customer's Studio fields (`x_studio_*`) only through the source's
field map (the demo customer's, tracehub.demo.ERP_STUDIO_FIELDS). Dates stored as UTC datetimes
are read in the source's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from data_dictionary.models import BatchInput, BatchRecord, Device, Invoice, InvoiceLine, Lot, Party
from mappings import MappingOptions, get_mapping
from simulators.contracts import odoo_unknown_fields
from simulators.master_data import STUDIO_FIELDS
from tracehub.demo import ERP_STUDIO_FIELDS

SOURCE = "erp"
WRITTEN = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)
SET_GTIN = "06951234500016"
TUBE_GTIN = "06951234500047"
NEEDLE_GTIN = "06951234500054"
SHANGHAI = "Asia/Shanghai"
MODELS = {
    "device": "product.product",
    "party": "res.partner",
    "lot": "stock.lot",
    "batch_record": "mrp.production",
    "invoice": "account.move",
}


def map_odoo(entity: str, payload: dict[str, Any], studio: bool = True, timezone: str = SHANGHAI):
    """Map as the demo customer's source does (`studio`), or as a standard install's source."""
    fields = ERP_STUDIO_FIELDS.get(entity) if studio else None
    return get_mapping("odoo", entity, MappingOptions.of(timezone, fields)).map(payload, SOURCE)


def standard(payload: dict[str, Any]) -> dict[str, Any]:
    """The record as a database without the customer's Studio fields holds it."""
    return {k: v for k, v in payload.items() if not k.startswith("x_")}


def product() -> dict[str, Any]:
    return {
        "id": 41,
        "default_code": "TH-IS-200",
        "barcode": "06951234500016",
        "name": "Infusion set IS-200",
        "x_studio_name_zh": "一次性使用输液器",
        "x_studio_model": "IS-200 带针",
        "x_studio_registration_no": "国械注准20233140123",
        "x_studio_risk_class": "III",
        "tracking": "lot",
        "uom_id": [1, "Units"],
        "active": True,
        "write_date": "2026-03-02 10:15:00",
    }


def partner() -> dict[str, Any]:
    return {
        "id": 7,
        "name": "Zhejiang Provincial People's Hospital",
        "ref": "C-0007",
        "is_company": True,
        "customer_rank": 3,
        "supplier_rank": 0,
        "x_studio_role": "hospital",
        "state_id": [13, "Zhejiang (CN)"],
        "x_studio_licence_no": False,
        "active": True,
        "write_date": "2026-03-02 10:15:00",
    }


def stock_lot() -> dict[str, Any]:
    return {
        "id": 501,
        "name": "L2603-A/07",
        "product_id": {
            "id": 41,
            "barcode": SET_GTIN,
            "default_code": "TH-IS-200",
            "name": "Infusion set IS-200",
        },
        "expiration_date": "2028-02-28 16:00:00",
        "x_studio_production_date": "2026-03-01",
        "x_studio_qc_status": "released",
        "x_studio_manufacturer": [19, "Tracehub Medical (Suzhou) Co., Ltd."],
        "write_date": "2026-03-02 10:15:00",
    }


def production() -> dict[str, Any]:
    return {
        "id": 12,
        "name": "WH/MO/00012",
        "product_id": {"id": 41, "barcode": SET_GTIN, "default_code": "TH-IS-200"},
        "lot_producing_id": {"id": 501, "name": "L2603-A/07"},
        "product_qty": 1000.0,
        "qty_produced": 1000.0,
        "date_finished": "2026-02-28 17:30:00",
        "state": "done",
        "x_studio_qc_decision": "released",
        "x_studio_inspector": "Wang Fang",
        "move_raw_ids": [
            {
                "id": 9001,
                "product_id": {"id": 44, "barcode": TUBE_GTIN, "default_code": "RM-TUBE"},
                "quantity": 1000.0,
                "move_line_ids": [{"id": 71, "lot_id": {"id": 601, "name": "T-2602/11"}, "quantity": 1000.0}],
            },
            {
                "id": 9002,
                "product_id": {"id": 45, "barcode": NEEDLE_GTIN, "default_code": "RM-NEEDLE"},
                "quantity": 1000.0,
                "move_line_ids": [
                    {"id": 72, "lot_id": {"id": 602, "name": "N-2601-A"}, "quantity": 700.0, "lot_name": False},
                    {"id": 73, "lot_id": {"id": 603, "name": "N-2601-B"}, "quantity": 300.0, "lot_name": False},
                ],
            },
            {
                "id": 9003,
                "product_id": {"id": 46, "barcode": False, "default_code": "RM-GLUE"},
                "quantity": 2.5,
                "move_line_ids": [],
            },
            {
                "id": 9004,
                "product_id": {"id": 47, "barcode": TUBE_GTIN, "default_code": "RM-TUBE"},
                "quantity": 4.0,
                "move_line_ids": [{"id": 74, "lot_id": False, "quantity": 4.0, "lot_name": False}],
            },
        ],
        "write_date": "2026-03-02 10:15:00",
    }


def invoice() -> dict[str, Any]:
    return {
        "id": 88,
        "name": "INV/2026/00012",
        "move_type": "out_invoice",
        "invoice_origin": "#1001",
        "partner_id": [7, "Zhejiang Provincial People's Hospital"],
        "invoice_date": "2026-03-05",
        "currency_id": [7, "CNY"],
        "amount_untaxed": 1000.0,
        "amount_tax": 130.0,
        "amount_total": 1130.0,
        "state": "posted",
        "invoice_line_ids": [
            {
                "id": 880,
                "product_id": {"id": 41, "barcode": SET_GTIN, "default_code": "TH-IS-200"},
                "name": "[TH-IS-200] Infusion set IS-200",
                "display_type": "product",
                "quantity": 10.0,
                "price_unit": 100.0,
                "price_subtotal": 1000.0,
            },
            {
                "id": 881,
                "product_id": False,
                "name": "Freight",
                "display_type": "product",
                "quantity": 1.0,
                "price_unit": 0.1,
                "price_subtotal": 0.1,
            },
            {"id": 882, "product_id": False, "name": "Delivered in two parcels", "display_type": "line_note"},
        ],
        "write_date": "2026-03-05 02:00:00",
    }


def test_the_fixtures_hold_standard_fields_and_the_declared_studio_fields_only() -> None:
    for entity, payload in (
        ("device", product()),
        ("party", partner()),
        ("lot", stock_lot()),
        ("batch_record", production()),
        ("invoice", invoice()),
    ):
        model = MODELS[entity]
        top = {k: v for k, v in payload.items()}
        assert odoo_unknown_fields(model, top, STUDIO_FIELDS.get(model, ())) == [], entity
        assert odoo_unknown_fields(model, standard(top)) == [], entity


def test_product_maps_to_device() -> None:
    assert map_odoo("device", product()).records == [
        Device(
            source=SOURCE,
            source_updated_at=WRITTEN,
            gtin=SET_GTIN,
            sku="TH-IS-200",
            name_en="Infusion set IS-200",
            name_zh="一次性使用输液器",
            model="IS-200 带针",
            registration_no="国械注准20233140123",
            risk_class="III",
            tracking="lot",
            unit="Units",
        )
    ]


def test_a_standard_product_maps_with_standard_fields_only() -> None:
    [device] = map_odoo("device", standard(product()), studio=False).records
    assert (device.gtin, device.sku, device.tracking, device.name_zh, device.registration_no) == (
        SET_GTIN,
        "TH-IS-200",
        "lot",
        None,
        None,
    )
    # the Studio values are not read unless the source maps them, even when the database has them
    assert map_odoo("device", product(), studio=False).records == [device]


def test_odoo_false_means_empty_and_gtin_is_padded() -> None:
    payload = product() | {"barcode": "6951234500016", "x_studio_name_zh": False, "x_studio_model": False}
    device = map_odoo("device", payload).records[0]
    assert (device.gtin, device.name_zh, device.model) == (SET_GTIN, None, None)


def test_partner_maps_to_party() -> None:
    assert map_odoo("party", partner()).records == [
        Party(
            source=SOURCE,
            source_updated_at=WRITTEN,
            external_id="7",
            role="hospital",
            name="Zhejiang Provincial People's Hospital",
            region="Zhejiang",
        )
    ]


@pytest.mark.parametrize(("raw", "role"), [("3PL", "3pl"), ("Supplier", "supplier"), ("vendor", "supplier")])
def test_party_roles_are_normalised(raw: str, role: str) -> None:
    assert map_odoo("party", partner() | {"x_studio_role": raw}).records[0].role == role


@pytest.mark.parametrize(
    ("customer_rank", "supplier_rank", "role"),
    [(3, 0, "customer"), (0, 2, "supplier"), (1, 1, "supplier"), (0, 0, "other")],
)
def test_a_standard_partners_role_comes_from_its_ranks(customer_rank: int, supplier_rank: int, role: str) -> None:
    payload = standard(partner()) | {"customer_rank": customer_rank, "supplier_rank": supplier_rank}
    assert map_odoo("party", payload, studio=False).records[0].role == role


def test_a_rank_that_is_no_number_is_a_mapping_failure() -> None:
    result = map_odoo("party", standard(partner()) | {"customer_rank": "many"}, studio=False)
    assert [(f.rule, f.field, f.value) for f in result.failures] == [
        ("mapping", "supplier_rank, customer_rank", "[0, 'many']")
    ]


def test_stock_lot_maps_to_lot() -> None:
    assert map_odoo("lot", stock_lot()).records == [
        Lot(
            source=SOURCE,
            source_updated_at=WRITTEN,
            gtin=SET_GTIN,
            lot="L2603-A/07",
            production_date=date(2026, 3, 1),
            expiry_date=date(2028, 2, 29),
            qc_status="released",
            manufacturer="Tracehub Medical (Suzhou) Co., Ltd.",
        )
    ]


def test_lot_expiry_is_read_in_the_sources_time_zone() -> None:
    """`expiration_date` is a UTC datetime: 2028-02-28 16:00 UTC is 2028-02-29 in Asia/Shanghai."""
    assert map_odoo("lot", stock_lot()).records[0].expiry_date == date(2028, 2, 29)
    assert map_odoo("lot", stock_lot(), timezone="UTC").records[0].expiry_date == date(2028, 2, 28)
    [lot] = map_odoo("lot", standard(stock_lot()), studio=False).records
    assert (lot.expiry_date, lot.production_date, lot.qc_status, lot.manufacturer) == (
        date(2028, 2, 29),
        None,
        None,
        None,
    )


def test_production_order_maps_to_batch_record_with_one_input_per_move_line() -> None:
    """Per-lot quantities come from stock.move.line (700 + 300), never an even split."""
    assert map_odoo("batch_record", production()).records == [
        BatchRecord(
            source=SOURCE,
            source_updated_at=WRITTEN,
            record_id="12",
            production_order="WH/MO/00012",
            output_gtin=SET_GTIN,
            output_lot="L2603-A/07",
            output_qty=Decimal(1000),
            qc_decision="released",
            inspector="Wang Fang",
            record_date=date(2026, 3, 1),
            inputs=(
                BatchInput(gtin=TUBE_GTIN, lot="T-2602/11", qty=Decimal(1000)),
                BatchInput(gtin=NEEDLE_GTIN, lot="N-2601-A", qty=Decimal(700)),
                BatchInput(gtin=NEEDLE_GTIN, lot="N-2601-B", qty=Decimal(300)),
                BatchInput(gtin=None, lot=None, qty=Decimal("2.5")),
                BatchInput(gtin=TUBE_GTIN, lot=None, qty=Decimal(4)),
            ),
        )
    ]
    [standard_record] = map_odoo("batch_record", standard(production()), studio=False).records
    assert (standard_record.qc_decision, standard_record.inspector) == (None, None)
    assert standard_record.inputs == map_odoo("batch_record", production()).records[0].inputs


def test_account_move_maps_to_invoice() -> None:
    assert map_odoo("invoice", invoice()).records == [
        Invoice(
            source=SOURCE,
            source_updated_at=datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
            invoice_number="INV/2026/00012",
            order_number="1001",
            invoice_date=date(2026, 3, 5),
            customer_ref="7",
            customer_name="Zhejiang Provincial People's Hospital",
            currency="CNY",
            total_untaxed=Decimal(1000),
            total_tax=Decimal(130),
            total=Decimal(1130),
            lines=(
                InvoiceLine(line_no=1, sku="TH-IS-200", gtin=SET_GTIN, qty=Decimal(10), unit_price=Decimal(100)),
                InvoiceLine(line_no=2, qty=Decimal(1), unit_price=Decimal("0.1")),
            ),
        )
    ]
    # floats become the decimal they print as, not their binary expansion
    assert str(map_odoo("invoice", invoice()).records[0].lines[1].unit_price) == "0.1"


def test_invoice_without_origin_has_no_order_number() -> None:
    assert map_odoo("invoice", invoice() | {"invoice_origin": False}).records[0].order_number is None


@pytest.mark.parametrize(
    ("entity", "payload", "field", "value"),
    [
        ("device", product() | {"barcode": False}, "barcode", None),
        ("device", product() | {"tracking": "batch"}, "tracking", "batch"),
        ("device", product() | {"write_date": "02/03/2026"}, "write_date", "02/03/2026"),
        ("device", product() | {"uom_id": 5}, "uom_id", 5),
        ("party", partner() | {"x_studio_role": "patient"}, "x_studio_role", "patient"),
        ("party", partner() | {"name": False}, "name", None),
        ("lot", stock_lot() | {"product_id": False}, "product_id.barcode", None),
        (
            "lot",
            stock_lot() | {"expiration_date": "2028-02-30 00:00:00"},
            "expiration_date",
            "2028-02-30 00:00:00",
        ),
        ("lot", stock_lot() | {"x_studio_qc_status": "quarantined"}, "x_studio_qc_status", "quarantined"),
        ("batch_record", production() | {"lot_producing_id": False}, "lot_producing_id.name", None),
        ("batch_record", production() | {"qty_produced": "many"}, "qty_produced", "many"),
        (
            "batch_record",
            production() | {"move_raw_ids": [{"quantity": 1.0, "move_line_ids": 5}]},
            "move_raw_ids[0].move_line_ids",
            5,
        ),
        (
            "batch_record",
            production() | {"move_raw_ids": [{"quantity": 1.0, "move_line_ids": [{"lot_id": False, "quantity": "x"}]}]},
            "move_raw_ids[0].move_line_ids[0].quantity",
            "x",
        ),
        (
            "batch_record",
            production() | {"move_raw_ids": [{"quantity": None}]},
            "move_raw_ids[0].quantity",
            None,
        ),
        ("invoice", invoice() | {"invoice_date": False}, "invoice_date", None),
        ("invoice", invoice() | {"currency_id": False}, "currency_id", None),
        ("invoice", invoice() | {"amount_total": "1,130.00"}, "amount_total", "1,130.00"),
        (
            "invoice",
            invoice() | {"invoice_line_ids": [{"quantity": 1.0, "price_unit": True}]},
            "invoice_line_ids[0].price_unit",
            True,
        ),
        ("invoice", {k: v for k, v in invoice().items() if k != "invoice_line_ids"}, "invoice_line_ids", None),
    ],
)
def test_malformed_record_is_a_mapping_failure_naming_the_raw_field(
    entity: str, payload: dict[str, Any], field: str, value: Any
) -> None:
    result = map_odoo(entity, payload)
    assert result.records == []
    assert [(f.rule, f.field, f.value) for f in result.failures] == [("mapping", field, value)]


def test_a_type_only_pydantic_knows_is_reported_on_the_canonical_field() -> None:
    result = map_odoo("device", product() | {"name": 12345})
    assert result.records == []
    assert [(f.rule, f.field, f.value) for f in result.failures] == [("mapping", "name_en", 12345)]
