"""Planted defects: known-bad records whose quarantine (or finding) the pipeline must report.

Each defect kind of the README table is planted on its own record (never two on one record,
never two on one order number), and listed in the defect plan with the rule it breaks. A ShipBob
defect is planted on one shipment: shipments stand alone, so only that shipment is quarantined.
`expiry_before_production` needs the lot's production date, which only a customer's custom field
holds: it is planted in studio worlds only.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import timedelta

from simulators.formats import midnight_z, odoo_datetime, parse_moment
from simulators.gs1 import make_gtin14, wrong_check_digit
from simulators.master_data import START, FinishedLot, MasterData, local_midnight_utc
from simulators.sales import VAT_RATE, Sales

DEFECTS: dict[str, tuple[str, str, str, str]] = {
    "invalid_gtin_check_digit": ("odoo", "device", "gtin_check_digit", "quarantine"),
    "missing_lot": ("shipbob", "shipment", "lot_required", "quarantine"),
    "expired_lot_shipped": ("shipbob", "shipment", "not_expired_at_ship", "quarantine"),
    "expiry_before_production": ("odoo", "lot", "expiry_after_production", "quarantine"),
    "non_positive_quantity": ("shopify", "order", "qty_positive", "quarantine"),
    "unknown_currency": ("shopify", "order", "currency_iso4217", "quarantine"),
    "malformed_date": ("shopify", "order", "mapping", "quarantine"),
    "invoice_qty_mismatch": ("odoo", "invoice", "invoice_qty_matches_shipped", "finding"),
}
"""defect -> (platform, entity, rule, expect), as in the README table."""

STUDIO_ONLY = frozenset({"expiry_before_production"})


def defects_per_kind(scale: float) -> int:
    return max(1, round(2 * scale))


def reserve_lots(rng: random.Random, master: MasterData, count: int) -> list[FinishedLot]:
    """Released lots kept out of every shipment, to get an expiry before their production later."""
    if not master.studio:
        return []
    candidates = [lot for lots in master.lots.values() for lot in lots[1:] if lot.shippable]
    chosen = rng.sample(candidates, count)
    for lot in chosen:
        lot.shippable = False
    return chosen


def plant_defects(
    rng: random.Random,
    scale: float,
    odoo: dict[str, list[dict]],
    sales: Sales,
    reserved: list[FinishedLot],
    odoo_ids: Iterator[int],
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
    shipbob = {int(o["order_number"]): o for o in sales.shipbob_orders}
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
        ("missing_lot", _no_lot),
        ("expired_lot_shipped", _expired),
    )
    for defect, shipment_breaker in shipment_breakers:
        for number in _take(free, count, lambda n: n in shipbob and bool(_lot_items(shipbob[n]))):
            shipment = rng.choice(list({s["id"]: s for s, _, _ in _lot_items(shipbob[number])}.values()))
            shipment_breaker(rng, shipment)
            add(defect, shipment["id"])
    lines = {line["id"]: line for line in sales.invoice_lines}
    for number in _take(free, count, lambda n: n in invoices):
        _miscount(rng, invoices[number], lines)
        add("invoice_qty_mismatch", invoices[number]["id"])
    for index in range(count):
        add("invalid_gtin_check_digit", _mistyped_product(odoo, odoo_ids, index))
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
    """(shipment, product, item) of every shipped lot item without serials of the order."""
    return [
        (shipment, product, item)
        for shipment in order["shipments"]
        if shipment["status"] == "Completed"
        for product in shipment["products"]
        for item in product["inventory_items"]
        if not item["serial_numbers"]
    ]


def _no_lot(rng: random.Random, shipment: dict) -> None:
    _, _, item = rng.choice(_lot_items({"shipments": [shipment]}))
    item["lot"] = None


def _expired(rng: random.Random, shipment: dict) -> None:
    _, _, item = rng.choice(_lot_items({"shipments": [shipment]}))
    expiry = parse_moment(shipment["actual_fulfillment_date"]).date() - timedelta(days=rng.randint(1, 30))
    item["expiration_date"] = midnight_z(expiry)


def _mistyped_product(odoo: dict[str, list[dict]], odoo_ids: Iterator[int], index: int) -> int:
    """A product keyed in with a barcode one digit off: its check digit is wrong."""
    first = {k: False if k.startswith("x_studio_") else v for k, v in odoo["product.product"][0].items()}
    product_id = next(odoo_ids)
    barcode = wrong_check_digit(make_gtin14("6951234", f"9{index:04d}"))
    odoo["product.product"].append(
        {
            **first,
            "id": product_id,
            "default_code": f"TH-OLD-{index + 1:02d}",
            "barcode": barcode,
            "name": f"Discontinued sample kit {index + 1}",
            "product_tmpl_id": [product_id + 100000, f"Discontinued sample kit {index + 1}"],
            "write_date": odoo_datetime(START + timedelta(minutes=50 + index)),
        }
    )
    return product_id


def _miscount(rng: random.Random, invoice: dict, lines: dict[int, dict]) -> None:
    """Invoice one line for a different quantity than shipped, with amounts kept consistent."""
    line = lines[rng.choice(invoice["invoice_line_ids"])]
    line["quantity"] = line["quantity"] + rng.choice((-1, 1)) if line["quantity"] > 1 else line["quantity"] + 1
    line["price_subtotal"] = round(line["quantity"] * line["price_unit"], 2)
    untaxed = round(sum(lines[i]["price_subtotal"] for i in invoice["invoice_line_ids"]), 2)
    tax = round(sum(round(lines[i]["price_subtotal"] * VAT_RATE, 2) for i in invoice["invoice_line_ids"]), 2)
    invoice.update(amount_untaxed=untaxed, amount_tax=tax, amount_total=round(untaxed + tax, 2))


def _expire_before_production(rng: random.Random, lot: dict) -> None:
    produced = parse_moment(lot["x_studio_production_date"]).date()
    lot["expiration_date"] = local_midnight_utc(produced - timedelta(days=rng.randint(30, 400)))
