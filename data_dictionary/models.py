"""Canonical records: the one shape every platform's data is mapped onto.

Every field here is described in `fields.yaml` (labels, meaning, standard reference); a test
keeps the two in agreement. Business keys follow architecture rule 2: device = GTIN-14,
lot = (gtin, lot), serial = (gtin, serial), documents = (source, number).

The models check structure and types only. Business rules (check digits, expiry after
production, positive quantities, known currency codes) are Great Expectations suites in
`quality_checks/`, so that a failing record can be quarantined with every rule it broke.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

Tracking = Literal["lot", "serial", "none"]
PartyRole = Literal["supplier", "manufacturer", "distributor", "hospital", "customer", "carrier", "3pl", "other"]
QcStatus = Literal["released", "on_hold", "rejected"]
ShipmentStatus = Literal["shipped", "pending", "cancelled"]
SerialStatus = Literal["active", "inactive", "consumed", "delivered", "expired"]


class Record(BaseModel):
    """Base of all canonical records: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    """Configured source name the record came from."""
    source_updated_at: datetime
    """When the platform last changed the record (UTC); newer versions win."""


class Device(Record):
    gtin: str
    sku: str | None = None
    name_en: str
    name_zh: str | None = None
    model: str | None = None
    registration_no: str | None = None
    risk_class: str | None = None
    tracking: Tracking
    unit: str | None = None
    list_price: Decimal | None = None


class Variant(Record):
    """A shop's sellable variant: the SKU it sells under and the barcode the merchant gave it."""

    external_id: str
    product_id: str | None = None
    sku: str | None = None
    gtin: str | None = None
    title: str | None = None


class Party(Record):
    external_id: str
    role: PartyRole
    name: str
    region: str | None = None
    licence_no: str | None = None
    email: str | None = None
    phone: str | None = None


class Lot(Record):
    gtin: str
    lot: str
    production_date: date | None = None
    expiry_date: date | None = None
    qc_status: QcStatus | None = None
    manufacturer: str | None = None


class BatchInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    gtin: str | None = None
    lot: str | None = None
    qty: Decimal


class BatchRecord(Record):
    record_id: str
    production_order: str
    output_gtin: str
    output_lot: str
    output_qty: Decimal
    qc_decision: QcStatus | None = None
    inspector: str | None = None
    record_date: date | None = None
    inputs: tuple[BatchInput, ...] = ()


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int
    sku: str | None = None
    gtin: str | None = None
    qty: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")


class Order(Record):
    order_number: str
    external_id: str
    customer_ref: str | None = None
    customer_name: str | None = None
    channel: str | None = None
    order_date: datetime
    status: str | None = None
    currency: str
    total: Decimal | None = None
    lines: tuple[OrderLine, ...] = ()


class ShipmentLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int
    gtin: str | None = None
    sku: str | None = None
    tracking: Tracking | None = None
    lot: str | None = None
    serial: str | None = None
    expiry_date: date | None = None
    production_date: date | None = None
    qty: Decimal
    udi_raw: str | None = None


class Shipment(Record):
    shipment_id: str
    order_number: str | None = None
    status: ShipmentStatus = "shipped"
    ship_date: datetime | None = None
    carrier: str | None = None
    tracking_no: str | None = None
    from_location: str | None = None
    ship_to_ref: str | None = None
    ship_to_name: str
    ship_to_contact: str | None = None
    ship_to_email: str | None = None
    ship_to_phone: str | None = None
    ship_to_region: str | None = None
    lines: tuple[ShipmentLine, ...] = ()


class InvoiceLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int
    sku: str | None = None
    gtin: str | None = None
    lot: str | None = None
    qty: Decimal
    unit_price: Decimal


class Invoice(Record):
    invoice_number: str
    order_number: str | None = None
    invoice_date: date
    customer_ref: str | None = None
    customer_name: str | None = None
    currency: str
    total_untaxed: Decimal | None = None
    total_tax: Decimal | None = None
    total: Decimal | None = None
    lines: tuple[InvoiceLine, ...] = ()


class InventoryLevel(Record):
    item_ref: str
    sku: str | None = None
    gtin: str | None = None
    lot: str
    location: str
    on_hand: Decimal
    expiry_date: date | None = None


class SerialNumber(Record):
    """One serialised unit as the ERP's serial register holds it now: its lot, where it is, its last movement.

    A register, not a stock count: the mass balance never counts it (on hand comes from inventory
    levels only), so a delivered unit, whose warehouse the ERP clears, leaves no stock behind.
    """

    serial: str
    sku: str | None = None
    gtin: str | None = None
    lot: str | None = None
    status: SerialStatus | None = None
    location: str | None = None
    customer_name: str | None = None
    reference_type: str | None = None
    reference_id: str | None = None
    status_date: date | None = None


class ReturnLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_no: int
    gtin: str | None = None
    sku: str | None = None
    lot: str | None = None
    serial: str | None = None
    qty: Decimal


class Return(Record):
    return_id: str
    reference: str | None = None
    order_number: str | None = None
    original_shipment_id: str | None = None
    customer_name: str | None = None
    location: str | None = None
    return_date: datetime
    status: str | None = None
    lines: tuple[ReturnLine, ...] = ()


class Scrap(Record):
    scrap_id: str
    reference: str | None = None
    gtin: str
    lot: str | None = None
    qty: Decimal
    scrap_date: datetime
    location: str | None = None
    reason: str | None = None


ENTITY_MODELS: dict[str, type[Record]] = {
    "device": Device,
    "variant": Variant,
    "party": Party,
    "lot": Lot,
    "batch_record": BatchRecord,
    "order": Order,
    "shipment": Shipment,
    "invoice": Invoice,
    "inventory": InventoryLevel,
    "serial_number": SerialNumber,
    "return": Return,
    "scrap": Scrap,
}
"""Canonical entity name -> model. Entity names are used in config, mappings and the store."""
