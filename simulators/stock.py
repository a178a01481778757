"""Where every produced unit ended up: returns, scrap and stock on hand, plus partner contacts.

Runs after sales and defects, drawing from the same RNG, so the earlier records stay exactly as
they were. For every finished lot the world keeps a mass balance in the ground truth:
produced = shipped + on hand + scrapped + unaccounted, where returned units (a part of shipped)
sit in the returns quarantine, never back in sellable stock. One lot per world has a planted
gap: the warehouse reports fewer units on hand than it should (`unaccounted` > 0).
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from simulators import catalog
from simulators.formats import iso_z, midnight_z, odoo_datetime, parse_moment
from simulators.master_data import FinishedLot, MasterData, phone
from simulators.sales import Sales

SNAPSHOT = datetime(2026, 6, 30, 18, 0, tzinfo=UTC)
"""When the warehouse's inventory levels were last counted."""
RETURN_RATE = 0.06
DAMAGE_RATE = 0.15
SCRAP_LOCATION = [8, "WH/Stock"]


@dataclass
class Stock:
    """Warehouse returns and inventory levels, ERP scraps, and their ground truth."""

    inventory: list[dict] = field(default_factory=list)
    returns: list[dict] = field(default_factory=list)
    scraps: list[dict] = field(default_factory=list)
    returns_truth: dict[str, list[dict]] = field(default_factory=dict)
    mass_balance: dict[str, dict[str, int]] = field(default_factory=dict)


def generate_stock(
    rng: random.Random,
    master: MasterData,
    sales: Sales,
    odoo: dict[str, list[dict]],
    plan: list[dict],
    odoo_ids: itertools.count,
) -> Stock:
    """Add contacts to partners, then returns, scraps and inventory; fills `odoo['stock.scrap']`."""
    _contacts(rng, odoo["res.partner"])
    stock = Stock()
    returned = _returns(rng, master, sales, plan, stock)
    scrapped = _scraps(rng, master, odoo_ids, stock)
    on_hand = {id(lot): lot.remaining - scrapped[id(lot)] for lots in master.lots.values() for lot in lots}
    gap_lot = rng.choice(
        [lot for lots in master.lots.values() for lot in lots if on_hand[id(lot)] - lot.committed >= 3]
    )
    gap = rng.randint(1, min(5, on_hand[id(gap_lot)] - gap_lot.committed - 1))
    on_hand[id(gap_lot)] -= gap
    _inventory(rng, master, on_hand, stock)
    for lots in master.lots.values():
        for lot in lots:
            key = f"{lot.device.gtin}|{lot.name}"
            stock.mass_balance[key] = {
                "produced": lot.qty,
                "shipped": lot.qty - lot.remaining,
                "returned": returned[key],
                "on_hand": on_hand[id(lot)],
                "scrapped": scrapped[id(lot)],
                "unaccounted": gap if lot is gap_lot else 0,
            }
    odoo["stock.scrap"] = stock.scraps
    return stock


def _contacts(rng: random.Random, partners: list[dict]) -> None:
    """Email and phone on the partners that have none yet (manufacturer and suppliers)."""
    for partner in partners:
        if partner["is_company"] and "email" not in partner:
            partner["email"] = f"qa.{partner['ref'].lower()}@partners.example"
            partner["phone"] = phone(rng)


def _returns(rng: random.Random, master: MasterData, sales: Sales, plan: list[dict], stock: Stock) -> dict[str, int]:
    """A few shipments of clean orders come partly back; returns the units returned per lot key.

    Returns have ShipBob's shape: the item's lot is `lot_information.number`, no GTIN and no
    serials (the contract has neither); `customer_name` is the merchant, so who sent the units
    back is the consignee of `original_shipment_id`.
    """
    defective = {d["external_id"] for d in plan if d["platform"] == "shipbob"}
    gtin_of = {d.spec.sku: d.gtin for d in master.devices}
    returned: dict[str, int] = defaultdict(int)
    ids = itertools.count(90001)
    candidates = [
        (order, shipment)
        for order in sales.shipbob_orders
        for shipment in order["shipments"]
        if str(shipment["id"]) not in defective
        and shipment["status"] == "Completed"
        and parse_moment(shipment["actual_fulfillment_date"]) < SNAPSHOT - timedelta(days=25)
    ]
    chosen = [pair for pair in candidates if rng.random() < RETURN_RATE] or candidates[:1]
    for order, shipment in chosen:
        product = rng.choice(shipment["products"])
        item = rng.choice(product["inventory_items"])
        shipped = parse_moment(shipment["actual_fulfillment_date"])
        received = shipped + timedelta(days=rng.randint(3, 20), hours=rng.randint(0, 8))
        if item["serial_numbers"]:
            serials = item["serial_numbers"][: rng.randint(1, min(2, len(item["serial_numbers"])))]
            qty = len(serials)
        else:
            serials = []
            qty = rng.randint(1, max(1, item["quantity"] // 4))
        return_id = next(ids)
        arrived = received - timedelta(hours=rng.randint(2, 30))
        inserted = received - timedelta(days=2)
        stock.returns.append(
            {
                "id": return_id,
                "reference_id": f"RMA-{order['order_number']}-{return_id - 90000}",
                "status": "Completed",
                "return_type": "Regular",
                "original_shipment_id": shipment["id"],
                "store_order_id": order["reference_id"],
                "customer_name": catalog.STORE_NAME,
                "channel": {"id": 1, "name": catalog.STORE_NAME},
                "fulfillment_center": dict(shipment["location"]),
                "tracking_number": f"RT{rng.randint(10**9, 10**10 - 1)}",
                "insert_date": iso_z(inserted),
                "awaiting_arrival_date": iso_z(inserted),
                "arrived_date": iso_z(arrived),
                "completed_date": iso_z(received),
                "status_history": [
                    {"status": "AwaitingArrival", "timestamp": iso_z(inserted)},
                    {"status": "Arrived", "timestamp": iso_z(arrived)},
                    {"status": "Completed", "timestamp": iso_z(received)},
                ],
                "inventory": [
                    {
                        "id": item["id"],
                        "name": product["name"],
                        "sku": product["sku"],
                        "quantity": qty,
                        "lot_information": {
                            "number": item["lot"],
                            "expiration": item["expiration_date"],
                            "minimumShelfLife": None,
                        },
                        "action_requested": {"action": "Quarantine", "action_type": "InventoryDefault"},
                    }
                ],
            }
        )
        customer = shipment["recipient"]["address"]["company_name"]
        key = f"{gtin_of[product['sku']]}|{item['lot']}"
        returned[key] += qty
        stock.returns_truth.setdefault(key, []).append(
            {
                "customer": customer,
                "qty": qty,
                "return_id": str(return_id),
                "shipment_id": str(shipment["id"]),
                "order_number": order["order_number"],
                "serials": serials,
            }
        )
    return returned


def _scraps(rng: random.Random, master: MasterData, odoo_ids: itertools.count, stock: Stock) -> dict[int, int]:
    """QC-rejected lots are scrapped whole; now and then a few units are damaged in storage."""
    scrapped: dict[int, int] = defaultdict(int)
    lots = [lot for lots in master.lots.values() for lot in lots]
    for lot in lots:
        if lot.qc == "rejected":
            _scrap(rng, odoo_ids, stock, lot, lot.remaining, lot.produced + timedelta(days=rng.randint(2, 5)), True)
            scrapped[id(lot)] += lot.remaining
        elif lot.available > 0 and rng.random() < DAMAGE_RATE:
            units = rng.randint(1, min(3, lot.available))
            span = max(1, int((SNAPSHOT - lot.produced).total_seconds() // 3600) - 48)
            _scrap(rng, odoo_ids, stock, lot, units, lot.produced + timedelta(hours=24 + rng.randrange(span)), False)
            scrapped[id(lot)] += units
    if not stock.scraps:
        lot = max(lots, key=lambda candidate: candidate.available)
        _scrap(rng, odoo_ids, stock, lot, 1, SNAPSHOT - timedelta(days=3), False)
        scrapped[id(lot)] += 1
    return scrapped


def _scrap(
    rng: random.Random,
    odoo_ids: itertools.count,
    stock: Stock,
    lot: FinishedLot,
    units: int,
    done: datetime,
    rejected: bool,
) -> None:
    done = min(done, SNAPSHOT - timedelta(hours=1))
    device = lot.device
    stock.scraps.append(
        {
            "id": next(odoo_ids),
            "name": f"SP/{len(stock.scraps) + 1:05d}",
            "product_id": [device.odoo_id, device.display_name],
            "lot_id": [lot.odoo_id, lot.name],
            "scrap_qty": float(units),
            "location_id": SCRAP_LOCATION,
            "origin": "QC rejected" if rejected else "Damaged in storage",
            "date_done": odoo_datetime(done),
            "state": "done",
            "write_date": odoo_datetime(done + timedelta(minutes=rng.randint(1, 30))),
        }
    )


def _inventory(rng: random.Random, master: MasterData, on_hand: dict[int, int], stock: Stock) -> None:
    """One ShipBob inventory item per device, its lots at one or two fulfilment centres.

    ShipBob's lot listing has no GTIN and no timestamp; `lot_date` holds the expiry. Lots rejected
    by QC never reached the warehouse; a lot sold out stays listed with zero. Units allocated to
    a shipment still processing are on hand and committed.
    """
    for device in master.devices:
        entries = []
        for lot in master.lots.get(device.spec.sku, []):
            if lot.qc == "rejected":
                continue
            units = on_hand[id(lot)]
            places = rng.sample(catalog.LOCATIONS, 2 if units >= 4 and rng.random() < 0.3 else 1)
            first = rng.randint(1, units - 1) if len(places) == 2 else units
            shares = [first, units - first][: len(places)]
            committed = [min(lot.committed, shares[0]), lot.committed - min(lot.committed, shares[0])][: len(places)]
            entries.append(
                {
                    "lot_number": lot.name,
                    "lot_date": midnight_z(lot.expiry),
                    "on_hand_quantity": units,
                    "fulfillable_quantity": units - lot.committed,
                    "committed_quantity": lot.committed,
                    "awaiting_quantity": 0,
                    "internal_transfer_quantity": 0,
                    "locations": [
                        {
                            "location_id": place_id,
                            "name": name,
                            "on_hand_quantity": share,
                            "fulfillable_quantity": share - held,
                            "committed_quantity": held,
                            "awaiting_quantity": 0,
                            "internal_transfer_quantity": 0,
                        }
                        for (place_id, name), share, held in zip(places, shares, committed, strict=True)
                    ],
                }
            )
        stock.inventory.append(
            {"inventory_id": device.shipbob_id, "name": device.spec.name_en, "sku": device.spec.sku, "lots": entries}
        )
