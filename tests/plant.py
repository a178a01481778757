"""Test helper: canonical records for findings and reconciliation, loaded through `Store.commit_batch`.

Each record is landed as its own raw record (its JSON) under a per-entity id, in one batch per
(source, entity), exactly as a sync would; a newer `source_updated_at` replaces a stored version.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from data_dictionary.models import (
    ENTITY_MODELS,
    BatchRecord,
    Device,
    Invoice,
    InvoiceLine,
    Lot,
    Order,
    OrderLine,
    Record,
    Return,
    ReturnLine,
    Shipment,
    ShipmentLine,
)
from trace_store.batch import LandedRaw, LoadBatch
from trace_store.store import Store

GTIN = "09506000134352"
GTIN_B = "09506000134369"
SKU = "TH-A-1"
SKU_B = "TH-B-2"
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
_ENTITY = {model: name for name, model in ENTITY_MODELS.items()}


def raw_id(record: Record) -> str:
    if isinstance(record, Lot):
        return f"{record.gtin}|{record.lot}"
    for name in ("shipment_id", "return_id", "record_id", "invoice_number", "order_number", "external_id", "gtin"):
        if hasattr(record, name):
            return str(getattr(record, name))
    raise AssertionError(type(record).__name__)


def load(store: Store, *records: Record) -> None:
    """Land `records` through the real loader, one run and one batch per (source, entity)."""
    groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        groups[(record.source, _ENTITY[type(record)])].append(record)
    for (source, entity), group in groups.items():
        run_id = store.begin_run(source, entity)
        landed = [LandedRaw.of(raw_id(r), r.source_updated_at, r.model_dump(mode="json")) for r in group]
        store.commit_batch(
            LoadBatch(
                run_id=run_id,
                source=source,
                entity=entity,
                pulled=len(group),
                unchanged=0,
                landed=landed,
                records=list(group),
                loaded=len(group),
                record_raw_ids=[raw_id(r) for r in group],
            )
        )
        store.finish_run(run_id)


def device(
    gtin: str = GTIN, sku: str = SKU, list_price: str | None = "10", tracking: str = "lot", v: int = 0
) -> Device:
    return Device(
        source="erp",
        source_updated_at=T0 + timedelta(minutes=v),
        gtin=gtin,
        sku=sku,
        name_en=f"Device {sku}",
        tracking=tracking,  # type: ignore[arg-type]
        list_price=None if list_price is None else Decimal(list_price),
    )


def lot(
    lot_no: str = "L1",
    gtin: str = GTIN,
    expiry: date | None = date(2026, 1, 1),
    qc: str | None = "released",
    v: int = 0,
) -> Lot:
    return Lot(
        source="erp",
        source_updated_at=T0 + timedelta(minutes=v),
        gtin=gtin,
        lot=lot_no,
        production_date=date(2024, 1, 1),
        expiry_date=expiry,
        qc_status=qc,  # type: ignore[arg-type]
    )


def batch_record(record_id: str, lot_no: str, released_on: date, gtin: str = GTIN, v: int = 0) -> BatchRecord:
    return BatchRecord(
        source="erp",
        source_updated_at=T0 + timedelta(minutes=v),
        record_id=record_id,
        production_order=f"MO-{record_id}",
        output_gtin=gtin,
        output_lot=lot_no,
        output_qty=Decimal(100),
        qc_decision="released",
        record_date=released_on,
    )


def order(
    number: str,
    lines: list[tuple[Any, ...]],
    at: datetime = T0,
    status: str | None = "paid",
    v: int = 0,
) -> Order:
    """Lines are (sku, qty, unit price[, discount for the line])."""
    return Order(
        source="shop",
        source_updated_at=at + timedelta(minutes=v),
        order_number=number,
        external_id=f"ext-{number}",
        order_date=at,
        status=status,
        currency="CNY",
        lines=tuple(
            OrderLine(
                line_no=n,
                sku=str(line[0]),
                qty=Decimal(line[1]),
                unit_price=Decimal(line[2]),
                discount=Decimal(line[3]) if len(line) > 3 else Decimal(0),
            )
            for n, line in enumerate(lines, start=1)
        ),
    )


def shipment(
    shipment_id: str,
    order_number: str | None,
    lines: list[tuple[str, str | None, str | None, int]],
    shipped: datetime = T0 + timedelta(days=1),
    v: int = 0,
) -> Shipment:
    """Lines are (gtin, lot, serial, qty)."""
    return Shipment(
        source="warehouse",
        source_updated_at=shipped + timedelta(minutes=v),
        shipment_id=shipment_id,
        order_number=order_number,
        ship_date=shipped,
        ship_to_name="St. Mary Hospital",
        lines=tuple(
            ShipmentLine(
                line_no=n,
                gtin=gtin,
                lot=lot_no,
                serial=serial,
                qty=Decimal(qty),
                tracking="serial" if serial else "lot",
            )
            for n, (gtin, lot_no, serial, qty) in enumerate(lines, start=1)
        ),
    )


def invoice(
    number: str,
    order_number: str,
    lines: list[tuple[str | None, str | None, int, str]],
    v: int = 0,
) -> Invoice:
    """Lines are (gtin, sku, qty, unit price)."""
    return Invoice(
        source="erp",
        source_updated_at=T0 + timedelta(days=2, minutes=v),
        invoice_number=number,
        order_number=order_number,
        invoice_date=(T0 + timedelta(days=2)).date(),
        currency="CNY",
        lines=tuple(
            InvoiceLine(line_no=n, gtin=gtin, sku=sku, qty=Decimal(qty), unit_price=Decimal(price))
            for n, (gtin, sku, qty, price) in enumerate(lines, start=1)
        ),
    )


def returned(return_id: str, gtin: str, serial: str, at: datetime) -> Return:
    """A customer return of one serialised unit."""
    return Return(
        source="warehouse",
        source_updated_at=at,
        return_id=return_id,
        return_date=at,
        lines=(ReturnLine(line_no=1, gtin=gtin, serial=serial, qty=Decimal(1)),),
    )
