"""Sales side of the world: Shopify orders, ShipBob orders and their shipments, Odoo invoices.

Shipments take stock first-in-first-out from released lots that were produced before and
expire after the ship date, so a clean world never ships anything it should not. Every unit
shipped is written to the ground truth, under the consignee: the ship-to company.

The shapes are the vendors' (see simulators/contracts/): a ShipBob order carries the store's
order number in `order_number` and the shop's numeric order id in `reference_id`; its recipient
`name` is the contact person and `address.company_name` the consignee; serial numbers are only
in `inventory_items[].serial_numbers`. Some distributor orders are drop-shipped to a clinic that
the ERP does not know; some orders ship in two shipments days apart, and one order per world
also has a third shipment still `Processing` (stored, never counted as shipped).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators import catalog
from simulators.formats import iso_z, midnight_z, odoo_datetime, shopify_time
from simulators.master_data import CNY, Customer, Device, FinishedLot, MasterData, phone

FIRST_ORDER = datetime(2026, 1, 12, tzinfo=UTC)
LAST_ORDER = datetime(2026, 6, 20, tzinfo=UTC)
VAT_RATE = 0.13
DROP_SHIP_SHARE = 0.4
"""Share of distributor orders delivered straight to the distributor's customer (a clinic)."""

Picks = list[tuple[FinishedLot, int]]
Shipped = tuple[datetime, list[tuple[Device, Picks]], bool]
"""One shipment: when it left (or was created, if pending), per device the lots and quantities
it took, and whether it has left the warehouse."""


@dataclass
class Consignee:
    """Where an order goes: the company that receives it and the person it is addressed to."""

    company: str
    contact: str
    email: str
    phone: str
    address1: str
    city: str
    province: str
    zip_code: str


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

    def allocate(self, qty: int, when: datetime) -> Picks | None:
        """Lots and quantities covering `qty` at `when`, or None when stock is short.

        Nothing is taken yet: units leave the lot when the shipment is written.
        """
        while self.start < len(self.lots) and (
            not self.lots[self.start].shippable or self.lots[self.start].available == 0
        ):
            self.start += 1
        picks: Picks = []
        needed = qty
        for lot in itertools.islice(self.lots, self.start, None):
            if lot.produced > when - timedelta(hours=12) or needed == 0:
                break
            if not lot.shippable or lot.available == 0 or lot.expiry <= when.date():
                continue
            take = min(needed, lot.available)
            picks.append((lot, take))
            needed -= take
        return None if needed else picks


def shop_catalog(master: MasterData) -> list[dict]:
    """The shop's products, one variant each; the variant barcode is the device's GTIN-13 (EAN).

    A shop stores what its merchant typed: an EAN-13 here, which is the GTIN-14 without its
    leading indicator digit 0.
    """
    listed = datetime(2026, 1, 8, 2, 0, tzinfo=UTC)
    products = []
    for device in master.devices:
        moment = shopify_time(listed + timedelta(minutes=device.number))
        products.append(
            {
                "id": 4300 + device.number,
                "title": device.spec.name_en,
                "handle": device.spec.sku.lower(),
                "vendor": catalog.MANUFACTURER[0],
                "product_type": "Medical device",
                "status": "active",
                "created_at": moment,
                "updated_at": moment,
                "published_at": moment,
                "variants": [
                    {
                        "id": 4400 + device.number,
                        "product_id": 4300 + device.number,
                        "title": "Default Title",
                        "sku": device.spec.sku,
                        "barcode": device.gtin[1:],
                        "price": _money(device.spec.unit_price_cents),
                        "position": 1,
                        "inventory_item_id": 4500 + device.number,
                        "inventory_management": "shopify",
                        "requires_shipping": True,
                        "taxable": True,
                        "created_at": moment,
                        "updated_at": moment,
                    }
                ],
            }
        )
    return products


def generate_sales(rng: random.Random, scale: float, master: MasterData, odoo_ids: Any) -> Sales:
    """Orders over the half year; most ship (a few split in two), some wait, a few are cancelled."""
    sales = _Builder(rng, master, odoo_ids)
    count = max(20, round(200 * scale))
    span = (LAST_ORDER - FIRST_ORDER).total_seconds()
    created = sorted(FIRST_ORDER + timedelta(seconds=rng.randrange(int(span))) for _ in range(count))
    pending_at = next((i for i, moment in enumerate(created) if moment > FIRST_ORDER + timedelta(days=60)), 0)
    for index, moment in enumerate(created):
        sales.order(index, moment, with_pending=index == pending_at)
    return sales.result


class _Builder:
    """Keeps the id sequences of every platform while orders are generated one by one."""

    def __init__(self, rng: random.Random, master: MasterData, odoo_ids: Any) -> None:
        self.rng = rng
        self.master = master
        self.odoo_ids = odoo_ids
        self.stock = {sku: _Stock(lots) for sku, lots in master.lots.items()}
        self.hospitals = [c for c in master.customers if c.role == "hospital"]
        self.distributors = [c for c in master.customers if c.role == "distributor"]
        self.line_ids = itertools.count(9001)
        self.shipbob_ids = itertools.count(300001)
        self.shipment_ids = itertools.count(700001)
        self.clinics = 0
        self.result = Sales()

    def order(self, index: int, created: datetime, with_pending: bool = False) -> None:
        rng = self.rng
        customer = rng.choice(self.hospitals if rng.random() < 0.75 else self.distributors)
        sizes = (3, 4) if with_pending else (1, 2, 3, 4)
        weights = (60, 40) if with_pending else (35, 35, 20, 10)
        devices = rng.sample(self.master.devices, rng.choices(sizes, weights=weights)[0])
        lines = [(device, rng.choice(device.spec.order_qty)) for device in devices]
        number = 1001 + index
        draw = rng.random()
        consignee = self._consignee(customer)
        shipments: list[Shipped] | None = None
        cancelled = draw < 0.04 and not with_pending
        if not cancelled and (draw >= 0.08 or with_pending) and created < LAST_ORDER - timedelta(days=4):
            shipments = self._ship(created, lines, with_pending)
        sent = [s for s in shipments or [] if s[2]]
        last_ship = max(when for when, _, _ in sent) if sent else None
        if cancelled:
            updated = created + timedelta(hours=rng.randint(1, 20))
        elif last_ship is not None:
            updated = last_ship + timedelta(minutes=rng.randint(5, 90))
        else:
            updated = created + timedelta(minutes=rng.randint(1, 30))
        shop_id = 5801000001 + index
        self.result.shopify_orders.append(
            self._shopify(shop_id, number, created, updated, customer, consignee, lines, cancelled, bool(sent))
        )
        if shipments and last_ship is not None:
            self._shipbob(number, shop_id, created, customer, consignee, lines, shipments)
            shipped_lines = [
                (device, sum(qty for _, qty in picks)) for _, allocations, _ in sent for device, picks in allocations
            ]
            self._invoice(number, customer, shipped_lines, last_ship)

    def _consignee(self, customer: Customer) -> Consignee:
        """The customer itself, or for some distributor orders a clinic the goods go to directly."""
        rng = self.rng
        if customer.role != "distributor" or rng.random() >= DROP_SHIP_SHARE:
            return Consignee(
                customer.name,
                customer.contact,
                customer.email,
                customer.phone,
                customer.address1,
                customer.city,
                customer.province.name,
                f"{rng.randint(100000, 999999)}",
            )
        province = rng.choice(catalog.PROVINCES)
        city = rng.choice(province.cities)
        self.clinics += 1
        word = catalog.DISTRIBUTOR_WORDS[self.clinics % len(catalog.DISTRIBUTOR_WORDS)]
        contact = f"{rng.choice(catalog.FIRST_NAMES)} {rng.choice(catalog.LAST_NAMES)}"
        return Consignee(
            f"{city} {word} Community Clinic No. {self.clinics}",
            contact,
            f"clinic{self.clinics:04d}@{city.lower()}-clinic.example",
            phone(rng),
            f"{rng.randint(1, 999)} {rng.choice(('Xinhua', 'Heping', 'Guangming'))} St",
            city,
            province.name,
            f"{rng.randint(100000, 999999)}",
        )

    def _ship(self, created: datetime, lines: list[tuple[Device, int]], with_pending: bool) -> list[Shipped] | None:
        """Shipment times and allocations, or None when any line cannot be covered from stock.

        A pending shipment (the last group of the `with_pending` order) keeps its units in stock.
        """
        rng = self.rng
        first = created + timedelta(hours=rng.randint(4, 72))
        groups = [lines]
        if with_pending:
            groups = [lines[:1], lines[1:2], lines[2:]]
        elif len(lines) >= 2 and rng.random() < 0.08:
            cut = rng.randint(1, len(lines) - 1)
            groups = [lines[:cut], lines[cut:]]
        plan: list[Shipped] = []
        for number, group in enumerate(groups):
            when = first + timedelta(hours=rng.randint(48, 96)) * number
            sent = not (with_pending and number == len(groups) - 1)
            allocations = []
            for device, qty in group:
                picks = self.stock[device.spec.sku].allocate(qty, when)
                if picks is None:
                    return None
                allocations.append((device, picks))
            plan.append((when, allocations, sent))
        return plan

    def _shopify(
        self,
        shop_id: int,
        number: int,
        created: datetime,
        updated: datetime,
        customer: Customer,
        consignee: Consignee,
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
                    "variant_id": 4400 + device.number,
                    "product_id": 4300 + device.number,
                    "sku": device.spec.sku,
                    "title": device.spec.name_en,
                    "name": device.spec.name_en,
                    "quantity": qty,
                    "price": _money(device.spec.unit_price_cents),
                    "total_discount": "0.00",
                    "requires_shipping": True,
                    "tax_lines": [{"title": "VAT", "price": _money(line_tax), "rate": VAT_RATE}],
                }
            )
        financial = "voided" if cancelled else "paid" if shipped or self.rng.random() < 0.5 else "pending"
        first, _, last = consignee.contact.partition(" ")
        return {
            "id": shop_id,
            "name": f"#{number}",
            "order_number": number,
            "created_at": shopify_time(created),
            "updated_at": shopify_time(updated),
            "processed_at": shopify_time(created),
            "currency": "CNY",
            "financial_status": financial,
            "fulfillment_status": None,  # unfulfilled until a fulfilment is made (the shop is not told by the 3PL)
            "cancelled_at": shopify_time(updated) if cancelled else None,
            "source_name": "web" if self.rng.random() < 0.8 else "shopify_draft_order",
            "email": customer.email,
            "total_price": _money(subtotal + tax),
            "subtotal_price": _money(subtotal),
            "total_tax": _money(tax),
            "total_discounts": "0.00",
            "customer": customer.shopify,
            "shipping_address": {
                "company": consignee.company,
                "name": consignee.contact,
                "first_name": first,
                "last_name": last,
                "address1": consignee.address1,
                "city": consignee.city,
                "province": consignee.province,
                "zip": consignee.zip_code,
                "country_code": "CN",
                "phone": consignee.phone,
            },
            "line_items": line_items,
        }

    def _shipbob(
        self,
        number: int,
        shop_id: int,
        created: datetime,
        customer: Customer,
        consignee: Consignee,
        lines: list[tuple[Device, int]],
        shipments: list[Shipped],
    ) -> None:
        rng = self.rng
        order_id = next(self.shipbob_ids)
        order_created = iso_z(created + timedelta(minutes=rng.randint(5, 30)))
        location_id, location = rng.choice(catalog.LOCATIONS)
        address = {
            "address1": consignee.address1,
            "city": consignee.city,
            "state": consignee.province,
            "country": "CN",
            "company_name": consignee.company,
            "zip_code": consignee.zip_code,
        }
        records: list[dict[str, Any]] = []
        for when, allocations, sent in shipments:
            shipment_id = next(self.shipment_ids)
            carrier, prefix = rng.choice(catalog.CARRIERS)
            tracking_number = f"{prefix}{rng.randint(10**9, 10**10 - 1)}"
            updated = when + timedelta(minutes=rng.randint(10, 60))
            records.append(
                {
                    "id": shipment_id,
                    "order_id": order_id,
                    "reference_id": str(shop_id),
                    "status": "Completed" if sent else "Processing",
                    "created_date": order_created,
                    "last_update_at": iso_z(updated),
                    "last_tracking_update_at": iso_z(updated) if sent else None,
                    "actual_fulfillment_date": iso_z(when) if sent else None,
                    "estimated_fulfillment_date": iso_z(when),
                    "is_tracking_uploaded": sent,
                    "require_signature": False,
                    "ship_option": "Standard",
                    "location": {"id": location_id, "name": location},
                    "recipient": {
                        "name": consignee.contact,
                        "full_name": consignee.contact,
                        "address": dict(address),
                        "email": consignee.email,
                        "phone_number": consignee.phone,
                    },
                    "tracking": {
                        "carrier": carrier if sent else None,
                        "tracking_number": tracking_number if sent else None,
                        "tracking_url": f"https://tracking.example/{tracking_number}" if sent else None,
                        "shipping_date": iso_z(when) if sent else None,
                    },
                    "products": [
                        self._product(device, picks, when, sent, shipment_id, number, consignee)
                        for device, picks in allocations
                    ],
                }
            )
        done = all(sent for _, _, sent in shipments)
        self.result.shipbob_orders.append(
            {
                "id": order_id,
                "order_number": str(number),
                "reference_id": str(shop_id),
                "status": "Fulfilled" if done else "PartiallyFulfilled",
                "type": "DropShip" if consignee.company != customer.name else "B2B",
                "channel": {"id": 1, "name": catalog.STORE_NAME},
                "created_date": order_created,
                "purchase_date": iso_z(created),
                "shipping_method": "Standard",
                "recipient": {
                    "name": consignee.contact,
                    "address": dict(address),
                    "email": consignee.email,
                    "phone_number": consignee.phone,
                },
                "products": [
                    {
                        "id": device.shipbob_product_id,
                        "reference_id": device.spec.sku,
                        "sku": device.spec.sku,
                        "quantity": qty,
                        "unit_price": device.spec.unit_price_cents / 100,
                        "gtin": None,
                        "upc": None,
                        "external_line_id": None,
                        "quantity_unit_of_measure_code": None,
                    }
                    for device, qty in lines
                ],
                "shipments": records,
            }
        )

    def _product(
        self,
        device: Device,
        picks: Picks,
        when: datetime,
        sent: bool,
        shipment_id: int,
        number: int,
        consignee: Consignee,
    ) -> dict:
        items = []
        for lot, qty in picks:
            serials = lot.take(qty) if sent else []
            if not sent:
                lot.committed += qty
            items.append(
                {
                    "id": device.shipbob_id,
                    "name": device.spec.name_en,
                    "quantity": qty,
                    "quantity_committed": 0 if sent else qty,
                    "lot": lot.name,
                    "expiration_date": midnight_z(lot.expiry),
                    "serial_numbers": serials,
                    "is_dangerous_goods": False,
                }
            )
            if sent:
                self._record_truth(device, lot, qty, serials, when, shipment_id, number, consignee)
        spec = device.spec
        return {
            "id": device.shipbob_product_id,
            "reference_id": spec.sku,
            "sku": spec.sku,
            "name": spec.name_en,
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
        consignee: Consignee,
    ) -> None:
        delivery = {
            "customer": consignee.company,
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
        """A posted invoice for what shipped, dated the day of the last shipment, billed to the customer."""
        move_id = next(self.odoo_ids)
        name = f"INV/2026/{len(self.result.invoices) + 1:05d}"
        totals: dict[int, tuple[Device, int]] = {}
        for device, qty in lines:
            known = totals.get(device.number)
            totals[device.number] = (device, qty + (known[1] if known else 0))
        line_ids = []
        untaxed = tax = 0.0
        for device, qty in totals.values():
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
                    "display_type": "product",
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
                "invoice_date": shipped.astimezone(UTC).date().isoformat(),
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
