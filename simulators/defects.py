"""Planted defects: known-bad records whose quarantine (or finding) the pipeline must report.

Each defect kind of the README table is planted on its own record (never two on one record,
never two on one order number), and listed in the defect plan with the rule it breaks.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from simulators.formats import midnight_z, odoo_datetime, parse_moment
from simulators.gs1 import udi_scan, wrong_check_digit
from simulators.master_data import FinishedLot, MasterData
from simulators.sales import VAT_RATE, Sales

DEFECTS: dict[str, tuple[str, str, str, str]] = {
    "invalid_gtin_check_digit": ("shipbob", "shipment", "gtin_check_digit", "quarantine"),
    "missing_lot": ("shipbob", "shipment", "lot_required", "quarantine"),
    "expired_lot_shipped": ("shipbob", "shipment", "not_expired_at_ship", "quarantine"),
    "expiry_before_production": ("odoo", "lot", "expiry_after_production", "quarantine"),
    "non_positive_quantity": ("shopify", "order", "qty_positive", "quarantine"),
    "unknown_currency": ("shopify", "order", "currency_iso4217", "quarantine"),
    "malformed_date": ("shopify", "order", "mapping", "quarantine"),
    "invoice_qty_mismatch": ("odoo", "invoice", "invoice_qty_matches_shipped", "finding"),
}
"""defect -> (platform, entity, rule, expect), as in the README table."""


def defects_per_kind(scale: float) -> int:
    return max(1, round(2 * scale))


def reserve_lots(rng: random.Random, master: MasterData, count: int) -> list[FinishedLot]:
    """Released lots kept out of every shipment, to get an expiry before their production later."""
    candidates = [lot for lots in master.lots.values() for lot in lots[1:] if lot.shippable]
    chosen = rng.sample(candidates, count)
    for lot in chosen:
        lot.shippable = False
    return chosen


def plant_defects(
    rng: random.Random, scale: float, odoo: dict[str, list[dict]], sales: Sales, reserved: list[FinishedLot]
) -> list[dict]:
    """Break the chosen records in place and return the defect plan."""
    count = defects_per_kind(scale)
    plan: list[dict] = []

    def add(defect: str, external_id: int) -> None:
        platform, entity, rule, expect = DEFECTS[defect]
        plan.append(
            {
                "defect": defect,
                "platform": platform,
                "entity": entity,
                "external_id": str(external_id),
                "rules": [rule],
                "expect": expect,
            }
        )

    order_numbers = [o["order_number"] for o in sales.shopify_orders]
    rng.shuffle(order_numbers)
    free = iter(order_numbers)
    shopify = {o["order_number"]: o for o in sales.shopify_orders}
    shipbob = {int(o["reference_id"]): o for o in sales.shipbob_orders}
    invoices = {int(i["invoice_origin"][1:]): i for i in sales.invoices}

    order_breakers: tuple[tuple[str, Callable[[dict], None]], ...] = (
        ("non_positive_quantity", _zero_quantity),
        ("unknown_currency", _rmb),
        ("malformed_date", _bad_date),
    )
    for defect, breaker in order_breakers:
        for number in _take(free, count, lambda n: True):
            breaker(shopify[number])
            add(defect, shopify[number]["id"])
    shipment_breakers: tuple[tuple[str, Callable[[random.Random, dict], None]], ...] = (
        ("invalid_gtin_check_digit", _bad_gtin),
        ("missing_lot", _no_lot),
        ("expired_lot_shipped", _expired),
    )
    for defect, shipment_breaker in shipment_breakers:
        for number in _take(free, count, lambda n: n in shipbob and _lot_items(shipbob[n])):
            shipment_breaker(rng, shipbob[number])
            add(defect, shipbob[number]["id"])
    lines = {line["id"]: line for line in sales.invoice_lines}
    for number in _take(free, count, lambda n: n in invoices):
        _miscount(rng, invoices[number], lines)
        add("invoice_qty_mismatch", invoices[number]["id"])
    lots = {lot["id"]: lot for lot in odoo["stock.lot"]}
    for lot in reserved:
        _expire_before_production(rng, lots[lot.odoo_id])
        add("expiry_before_production", lot.odoo_id)
    return plan


def _take(numbers: Iterator[int], count: int, fits: Callable[[int], object]) -> list[int]:
    taken = []
    for number in numbers:
        if fits(number):
            taken.append(number)
            if len(taken) == count:
                return taken
    raise ValueError("world too small to plant every defect on its own order")


def _zero_quantity(order: dict) -> None:
    """A line zeroed after checkout: quantity 0, nothing of it shipped or invoiced."""
    line = dict(order["line_items"][0], quantity=0, id=order["line_items"][-1]["id"] + 500000)
    line["tax_lines"] = [dict(line["tax_lines"][0], price="0.00")]
    order["line_items"].append(line)


def _rmb(order: dict) -> None:
    order["currency"] = "RMB"


def _bad_date(order: dict) -> None:
    order["created_at"] = "not-a-date"


def _lot_items(order: dict) -> list[tuple[dict, dict, dict]]:
    """(shipment, product, item) of every lot-tracked, not serial-tracked item of the order."""
    return [
        (shipment, product, item)
        for shipment in order["shipments"]
        for product in shipment["products"]
        if not product["serial_tracked"]
        for item in product["inventory_items"]
    ]


def _rescan(item: dict, gtin: str, lot: str | None, expiry: date) -> None:
    bracketed = item["udi_scans"][0].startswith("(")
    item["udi_scans"] = [
        udi_scan(gtin, expiry=expiry, lot=lot, serial=serial, bracketed=bracketed)
        for serial in item["serial_numbers"] or [None]
    ]


def _bad_gtin(rng: random.Random, order: dict) -> None:
    shipment = rng.choice(order["shipments"])
    product = rng.choice(shipment["products"])
    wrong = wrong_check_digit(product["gtin"])
    for item in product["inventory_items"]:
        item["udi_scans"] = [scan.replace(product["gtin"], wrong, 1) for scan in item["udi_scans"]]
    product["gtin"] = wrong


def _no_lot(rng: random.Random, order: dict) -> None:
    _, product, item = rng.choice(_lot_items(order))
    item["lot"] = None
    _rescan(item, product["gtin"], None, parse_moment(item["expiration_date"]).date())


def _expired(rng: random.Random, order: dict) -> None:
    shipment, product, item = rng.choice(_lot_items(order))
    expiry = parse_moment(shipment["actual_fulfillment_date"]).date() - timedelta(days=rng.randint(1, 30))
    item["expiration_date"] = midnight_z(expiry)
    _rescan(item, product["gtin"], item["lot"], expiry)


def _miscount(rng: random.Random, invoice: dict, lines: dict[int, dict]) -> None:
    """Invoice one line for a different quantity than shipped, with amounts kept consistent."""
    line = lines[rng.choice(invoice["invoice_line_ids"])]
    line["quantity"] = line["quantity"] + rng.choice((-1, 1)) if line["quantity"] > 1 else line["quantity"] + 1
    line["price_subtotal"] = round(line["quantity"] * line["price_unit"], 2)
    untaxed = round(sum(lines[i]["price_subtotal"] for i in invoice["invoice_line_ids"]), 2)
    tax = round(sum(round(lines[i]["price_subtotal"] * VAT_RATE, 2) for i in invoice["invoice_line_ids"]), 2)
    invoice.update(amount_untaxed=untaxed, amount_tax=tax, amount_total=round(untaxed + tax, 2))


def _expire_before_production(rng: random.Random, lot: dict) -> None:
    produced = date.fromisoformat(lot["x_studio_production_date"])
    expiry = produced - timedelta(days=rng.randint(30, 400))
    lot["expiration_date"] = odoo_datetime(parse_moment(expiry.isoformat()))
