"""Sales side of the world: Shopify orders, ShipBob shipments of real lots, Odoo invoices.

Shipments take stock first-in-first-out from released lots that were produced before and
expire after the ship date, so a clean world never ships anything it should not. Every unit
shipped is written to the ground truth.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators import catalog
from simulators.formats import iso_z, midnight_z, odoo_datetime, shopify_time
from simulators.gs1 import udi_scan
from simulators.master_data import CNY, Customer, Device, FinishedLot, MasterData

FIRST_ORDER = datetime(2026, 1, 12, tzinfo=UTC)
LAST_ORDER = datetime(2026, 6, 20, tzinfo=UTC)
VAT_RATE = 0.13

Shipped = tuple[datetime, list[tuple[Device, list[tuple[FinishedLot, int]]]]]
"""One shipment: when it left, and per device the lots and quantities it took."""


@dataclass
class Sales:
    """Records of the three platforms produced from the orders, plus the ground truth."""

    shopify_orders: list[dict] = field(default_factory=list)
    shipbob_orders: list[dict] = field(default_factory=list)
    invoices: list[dict] = field(default_factory=list)
    invoice_lines: list[dict] = field(default_factory=list)
    ground_truth: dict[str, dict[str, list[dict]]] = field(default_factory=lambda: {"lots": {}, "serials": {}})


@dataclass
class _Stock:
    """First-in-first-out view of one device's lots; a pointer skips lots that are used up."""

    lots: list[FinishedLot]
    start: int = 0

    def allocate(self, qty: int, when: datetime) -> list[tuple[FinishedLot, int]] | None:
        """Lots and quantities covering `qty` at `when`, or None when stock is short.

        Nothing is taken yet: units leave the lot when the shipment is written.
        """
        while self.start < len(self.lots) and (
            not self.lots[self.start].shippable or self.lots[self.start].remaining == 0
        ):
            self.start += 1
        picks: list[tuple[FinishedLot, int]] = []
        needed = qty
        for lot in itertools.islice(self.lots, self.start, None):
            if lot.produced > when - timedelta(hours=12) or needed == 0:
                break
            if not lot.shippable or lot.remaining == 0 or lot.expiry <= when.date():
                continue
            take = min(needed, lot.remaining)
            picks.append((lot, take))
            needed -= take
        return None if needed else picks


def generate_sales(rng: random.Random, scale: float, master: MasterData, odoo_ids: itertools.count) -> Sales:
    """Orders over the half year; most ship (a few split in two), some wait, a few are cancelled."""
    sales = _Builder(rng, master, odoo_ids)
    count = max(20, round(200 * scale))
    span = (LAST_ORDER - FIRST_ORDER).total_seconds()
    created = sorted(FIRST_ORDER + timedelta(seconds=rng.randrange(int(span))) for _ in range(count))
    for index, moment in enumerate(created):
        sales.order(index, moment)
    return sales.result


class _Builder:
    """Keeps the id sequences of every platform while orders are generated one by one."""

    def __init__(self, rng: random.Random, master: MasterData, odoo_ids: itertools.count) -> None:
        self.rng = rng
        self.master = master
        self.odoo_ids = odoo_ids
        self.stock = {sku: _Stock(lots) for sku, lots in master.lots.items()}
        self.hospitals = [c for c in master.customers if c.role == "hospital"]
        self.distributors = [c for c in master.customers if c.role == "distributor"]
        self.line_ids = itertools.count(9001)
        self.shipbob_ids = itertools.count(300001)
        self.shipment_ids = itertools.count(700001)
        self.result = Sales()

    def order(self, index: int, created: datetime) -> None:
        rng = self.rng
        customer = rng.choice(self.hospitals if rng.random() < 0.75 else self.distributors)
        devices = rng.sample(self.master.devices, rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0])
        lines = [(device, rng.choice(device.spec.order_qty)) for device in devices]
        number = 1001 + index
        draw = rng.random()
        shipments: list[Shipped] | None = None
        cancelled = draw < 0.04
        if not cancelled and draw >= 0.08 and created < LAST_ORDER - timedelta(days=4):
            shipments = self._ship(created, lines)
        last_ship = max(when for when, _ in shipments) if shipments else None
        if cancelled:
            updated = created + timedelta(hours=rng.randint(1, 20))
        elif last_ship is not None:
            updated = last_ship + timedelta(minutes=rng.randint(5, 90))
        else:
            updated = created + timedelta(minutes=rng.randint(1, 30))
        self.result.shopify_orders.append(
            self._shopify(index, number, created, updated, customer, lines, cancelled, shipped=bool(shipments))
        )
        if shipments and last_ship is not None:
            self._shipbob(number, created, customer, shipments)
            self._invoice(number, customer, lines, last_ship)

    def _ship(self, created: datetime, lines: list[tuple[Device, int]]) -> list[Shipped] | None:
        """Shipment times and allocations, or None when any line cannot be covered from stock."""
        rng = self.rng
        first = created + timedelta(hours=rng.randint(4, 72))
        groups = [lines]
        if len(lines) >= 2 and rng.random() < 0.08:
            cut = rng.randint(1, len(lines) - 1)
            groups = [lines[:cut], lines[cut:]]
        plan: list[Shipped] = []
        for number, group in enumerate(groups):
            when = first + timedelta(hours=rng.randint(24, 96)) * number
            allocations = []
            for device, qty in group:
                picks = self.stock[device.spec.sku].allocate(qty, when)
                if picks is None:
                    return None
                allocations.append((device, picks))
            plan.append((when, allocations))
        return plan

    def _shopify(
        self,
        index: int,
        number: int,
        created: datetime,
        updated: datetime,
        customer: Customer,
        lines: list[tuple[Device, int]],
        cancelled: bool,
        shipped: bool,
    ) -> dict:
        line_items = []
        subtotal = tax = 0
        for device, qty in lines:
            line_total = device.spec.unit_price_cents * qty
            line_tax = round(line_total * VAT_RATE)
            subtotal += line_total
            tax += line_tax
            line_items.append(
                {
                    "id": next(self.line_ids),
                    "sku": device.spec.sku,
                    "title": device.spec.name_en,
                    "quantity": qty,
                    "price": _money(device.spec.unit_price_cents),
                    "total_discount": "0.00",
                    "tax_lines": [{"title": "VAT", "price": _money(line_tax), "rate": VAT_RATE}],
                }
            )
        financial = "voided" if cancelled else "paid" if shipped or self.rng.random() < 0.5 else "pending"
        return {
            "id": 5801000001 + index,
            "name": f"#{number}",
            "order_number": number,
            "created_at": shopify_time(created),
            "updated_at": shopify_time(updated),
            "currency": "CNY",
            "financial_status": financial,
            "fulfillment_status": "fulfilled" if shipped else None,
            "cancelled_at": shopify_time(updated) if cancelled else None,
            "source_name": "web" if self.rng.random() < 0.8 else "shopify_draft_order",
            "total_price": _money(subtotal + tax),
            "subtotal_price": _money(subtotal),
            "total_tax": _money(tax),
            "total_discounts": "0.00",
            "customer": customer.shopify,
            "line_items": line_items,
        }

    def _shipbob(self, number: int, created: datetime, customer: Customer, shipments: list) -> None:
        rng = self.rng
        order_id = next(self.shipbob_ids)
        order_created = iso_z(created + timedelta(minutes=rng.randint(5, 30)))
        location_id, location = rng.choice(catalog.LOCATIONS)
        records: list[dict[str, Any]] = []
        for when, allocations in shipments:
            shipment_id = next(self.shipment_ids)
            carrier, prefix = rng.choice(catalog.CARRIERS)
            records.append(
                {
                    "id": shipment_id,
                    "order_id": order_id,
                    "reference_id": str(number),
                    "status": "Completed",
                    "created_date": order_created,
                    "last_update_at": iso_z(when + timedelta(minutes=rng.randint(10, 60))),
                    "actual_fulfillment_date": iso_z(when),
                    "location": {"id": location_id, "name": location},
                    "tracking": {
                        "carrier": carrier,
                        "tracking_number": f"{prefix}{rng.randint(10**9, 10**10 - 1)}",
                        "shipping_date": iso_z(when),
                    },
                    "products": [
                        self._product(device, picks, when, shipment_id, number, customer)
                        for device, picks in allocations
                    ],
                }
            )
        self.result.shipbob_orders.append(
            {
                "id": order_id,
                "reference_id": str(number),
                "order_number": str(number),
                "status": "Fulfilled",
                "created_date": order_created,
                "last_update_at": max(r["last_update_at"] for r in records),
                "recipient": {
                    "name": customer.name,
                    "address": {
                        "address1": customer.address1,
                        "city": customer.city,
                        "state": customer.province.name,
                        "country": "CN",
                        "company_name": customer.name,
                    },
                },
                "shipments": records,
            }
        )

    def _product(
        self,
        device: Device,
        picks: list[tuple[FinishedLot, int]],
        when: datetime,
        shipment_id: int,
        number: int,
        customer: Customer,
    ) -> dict:
        items = []
        for lot, qty in picks:
            serials = lot.take(qty)
            bracketed = self.rng.random() < 0.25
            production = lot.produced.date() if self.rng.random() < 0.3 else None
            scans = [
                udi_scan(
                    device.gtin, expiry=lot.expiry, lot=lot.name, serial=s, production=production, bracketed=bracketed
                )
                for s in serials or [None]  # type: ignore[list-item]
            ]
            items.append(
                {
                    "id": lot.inventory_id,
                    "name": device.spec.name_en,
                    "quantity": qty,
                    "lot": lot.name,
                    "expiration_date": midnight_z(lot.expiry),
                    "serial_numbers": serials,
                    "udi_scans": scans,
                }
            )
            self._record_truth(device, lot, qty, serials, when, shipment_id, number, customer)
        spec = device.spec
        return {
            "id": device.shipbob_id,
            "reference_id": spec.sku,
            "sku": spec.sku,
            "name": spec.name_en,
            "gtin": device.gtin,
            "lot_tracked": True,
            "serial_tracked": spec.tracking == "serial",
            "inventory_items": items,
        }

    def _record_truth(
        self,
        device: Device,
        lot: FinishedLot,
        qty: int,
        serials: list[str],
        when: datetime,
        shipment_id: int,
        number: int,
        customer: Customer,
    ) -> None:
        delivery = {
            "customer": customer.name,
            "qty": qty,
            "ship_date": when.date().isoformat(),
            "shipment_id": str(shipment_id),
            "order_number": str(number),
            "serials": serials,
        }
        truth = self.result.ground_truth
        truth["lots"].setdefault(f"{device.gtin}|{lot.name}", []).append(delivery)
        for serial in serials:
            truth["serials"].setdefault(f"{device.gtin}|{serial}", []).append(
                {**delivery, "qty": 1, "serials": [serial]}
            )

    def _invoice(self, number: int, customer: Customer, lines: list[tuple[Device, int]], shipped: datetime) -> None:
        """A posted invoice for what shipped, dated the day of the last shipment."""
        move_id = next(self.odoo_ids)
        name = f"INV/2026/{len(self.result.invoices) + 1:05d}"
        line_ids = []
        untaxed = tax = 0.0
        for device, qty in lines:
            price = device.spec.unit_price_cents / 100
            subtotal = round(price * qty, 2)
            untaxed += subtotal
            tax += round(subtotal * VAT_RATE, 2)
            line_ids.append(next(self.odoo_ids))
            self.result.invoice_lines.append(
                {
                    "id": line_ids[-1],
                    "move_id": [move_id, name],
                    "product_id": [device.odoo_id, device.display_name],
                    "name": device.display_name,
                    "quantity": float(qty),
                    "price_unit": price,
                    "price_subtotal": subtotal,
                }
            )
        self.result.invoices.append(
            {
                "id": move_id,
                "name": name,
                "move_type": "out_invoice",
                "invoice_origin": f"#{number}",
                "partner_id": [customer.odoo_id, customer.name],
                "invoice_date": shipped.date().isoformat(),
                "currency_id": CNY,
                "amount_untaxed": round(untaxed, 2),
                "amount_tax": round(tax, 2),
                "amount_total": round(untaxed + tax, 2),
                "state": "posted",
                "invoice_line_ids": line_ids,
                "write_date": odoo_datetime(shipped + timedelta(hours=self.rng.randint(1, 5))),
            }
        )


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"
