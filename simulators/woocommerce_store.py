"""The generated world's shop rendered as a WooCommerce store: orders and products as REST v3 serves them.

The same sales as the Shopify shop (same numbers, buyers, consignees, devices and quantities); what
WooCommerce has that Shopify does not is the merchant's own lot entry: a shipped line carries the lot,
expiry and serial numbers of the units that left as line-item `meta_data`, the only place the v3
contract has for them (contracts/woocommerce/README.md). A line whose units came from two lots is
entered as two lines of the same product, one per lot. The GTIN is product meta: the docs carry no
`global_unique_id`, so it is not sent.

The meta keys are the store's configuration, not WooCommerce's: the defaults below are what a lot
tracking setup typically writes, and a test may render a store with other keys.

Shopify defects the v3 contract cannot hold are not rendered: WooCommerce accepts only its listed
currencies (no `RMB`) and writes its own dates (no `not-a-date`), so those orders carry CNY and their
real creation time. ShipBob's missing lot and expired lot reach the store's lines as they shipped.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulators.formats import SHOP_TZ, parse_moment
from simulators.world import World

VAT_RATE = 0.13


@dataclass(frozen=True)
class MetaKeys:
    """Meta keys the store writes lots, expiry dates, serial numbers and GTINs under."""

    lot: str = "_lot_number"
    expiry: str = "_expiry_date"
    serials: str = "_serial_numbers"
    gtin: str = "_gtin"


@dataclass
class Store:
    """What the simulated WooCommerce serves: orders and products, in id order."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    keys: MetaKeys = MetaKeys()


def site_time(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS` in the site's time zone (Asia/Shanghai), as the plain `date_*` fields."""
    return moment.astimezone(SHOP_TZ).strftime("%Y-%m-%dT%H:%M:%S")


def gmt_time(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS` in UTC, as the `date_*_gmt` fields."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def render_store(world: World, keys: MetaKeys | None = None) -> Store:
    """The world's shop as WooCommerce holds it."""
    keys = keys or MetaKeys()
    meta_ids = itertools.count(1)
    shipped = {order["order_number"]: order for order in world.shipbob_orders}
    products = [_product(product, keys, next(meta_ids)) for product in world.shopify_products]
    orders = [_order(order, shipped.get(str(order["order_number"])), keys, meta_ids) for order in world.shopify_orders]
    return Store(orders, products, keys)


def _dates(name: str, moment: datetime | None) -> dict[str, str | None]:
    return {
        name: site_time(moment) if moment else None,
        f"{name}_gmt": gmt_time(moment) if moment else None,
    }


def _product(product: dict[str, Any], keys: MetaKeys, meta_id: int) -> dict[str, Any]:
    variant = product["variants"][0]
    created = parse_moment(product["created_at"])
    return {
        "id": product["id"],
        "name": product["title"],
        "slug": product["handle"],
        "permalink": f"https://store.example/product/{product['handle']}/",
        **_dates("date_created", created),
        **_dates("date_modified", parse_moment(product["updated_at"])),
        "type": "simple",
        "status": "publish" if product["status"] == "active" else "draft",
        "featured": False,
        "catalog_visibility": "visible",
        "description": "",
        "short_description": "",
        "sku": variant["sku"],
        "price": variant["price"],
        "regular_price": variant["price"],
        "sale_price": "",
        "on_sale": False,
        "purchasable": True,
        "virtual": False,
        "downloadable": False,
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": False,
        "stock_quantity": None,
        "stock_status": "instock",
        "backorders": "no",
        "sold_individually": False,
        "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""},
        "parent_id": 0,
        "categories": [{"id": 15, "name": product["product_type"], "slug": "medical-device"}],
        "tags": [],
        "images": [],
        "attributes": [],
        "default_attributes": [],
        "variations": [],
        "menu_order": 0,
        "meta_data": [{"id": meta_id, "key": keys.gtin, "value": variant["barcode"]}],
    }


def _status(order: dict[str, Any], shipbob: dict[str, Any] | None) -> str:
    """The store marks an order completed once every shipment of it left the warehouse."""
    if order["cancelled_at"] is not None:
        return "cancelled"
    left = [s["status"] == "Completed" for s in (shipbob or {}).get("shipments", [])]
    if left and all(left):
        return "completed"
    if any(left) or order["financial_status"] == "paid":
        return "processing"
    return "pending"


def _picks(shipbob: dict[str, Any] | None) -> tuple[dict[str, list[dict[str, Any]]], datetime | None]:
    """Per SKU, the inventory items that left the warehouse for the order; and when the last shipment left."""
    picks: dict[str, list[dict[str, Any]]] = {}
    last: datetime | None = None
    for shipment in (shipbob or {}).get("shipments", []):
        if shipment["status"] != "Completed":
            continue
        moment = parse_moment(shipment["actual_fulfillment_date"])
        last = moment if last is None else max(last, moment)
        for product in shipment["products"]:
            picks.setdefault(product["sku"], []).extend(product["inventory_items"])
    return picks, last


def _meta(item: dict[str, Any], keys: MetaKeys, meta_ids: itertools.count[int]) -> list[dict[str, Any]]:
    """What the merchant entered on a shipped line: lot (unless it was left out), expiry, serials."""
    entries = []
    if item["lot"]:
        entries.append((keys.lot, item["lot"]))
    if item.get("expiration_date"):
        entries.append((keys.expiry, item["expiration_date"][:10]))
    if item["serial_numbers"]:
        entries.append((keys.serials, ", ".join(item["serial_numbers"])))
    return [{"id": next(meta_ids), "key": key, "value": value} for key, value in entries]


def _money(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _cents(text: str) -> int:
    return round(float(text) * 100)


def _line(line: dict[str, Any], line_id: int, qty: int, meta: list[dict[str, Any]]) -> tuple[dict[str, Any], int, int]:
    price = _cents(line["price"])
    total = price * qty
    tax = round(total * VAT_RATE)
    body = {
        "id": line_id,
        "name": line["name"],
        "product_id": line["product_id"],
        "variation_id": 0,
        "quantity": qty,
        "tax_class": "",
        "subtotal": _money(total),
        "subtotal_tax": _money(tax),
        "total": _money(total),
        "total_tax": _money(tax),
        "taxes": [],
        "meta_data": meta,
        "sku": line["sku"],
        "price": line["price"],
    }
    return body, total, tax


def _order(
    order: dict[str, Any], shipbob: dict[str, Any] | None, keys: MetaKeys, meta_ids: itertools.count[int]
) -> dict[str, Any]:
    picks, completed = _picks(shipbob)
    number = order["order_number"]
    created = parse_moment(order["processed_at"])
    updated = parse_moment(order["updated_at"])
    status = _status(order, shipbob)
    lines: list[dict[str, Any]] = []
    subtotal = tax = 0
    line_ids = itertools.count(number * 100 + 1)
    for line in order["line_items"]:
        items = picks.pop(line["sku"], []) if line["quantity"] > 0 else []
        parts = [(item["quantity"], _meta(item, keys, meta_ids)) for item in items] or [(line["quantity"], [])]
        for qty, meta in parts:
            body, line_total, line_tax = _line(line, next(line_ids), qty, meta)
            lines.append(body)
            subtotal += line_total
            tax += line_tax
    customer = order["customer"]
    buyer = customer["default_address"]
    ship_to = order["shipping_address"]
    paid = order["financial_status"] == "paid"
    return {
        "id": number,
        "parent_id": 0,
        "number": str(number),
        "order_key": "wc_order_" + hashlib.sha256(str(order["id"]).encode()).hexdigest()[:13],
        "created_via": "checkout" if order["source_name"] == "web" else "admin",
        "version": "8.7.0",
        "status": status,
        "currency": "CNY",
        **_dates("date_created", created),
        **_dates("date_modified", updated),
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": "0.00",
        "shipping_tax": "0.00",
        "cart_tax": _money(tax),
        "total": _money(subtotal + tax),
        "total_tax": _money(tax),
        "prices_include_tax": False,
        "customer_id": customer["id"],
        "customer_ip_address": "",
        "customer_user_agent": "",
        "customer_note": "",
        "billing": {
            "first_name": customer["first_name"],
            "last_name": customer["last_name"],
            "company": buyer["company"],
            "address_1": buyer["address1"],
            "address_2": "",
            "city": buyer["city"],
            "state": buyer["province_code"],
            "postcode": "",
            "country": buyer["country_code"],
            "email": customer["email"],
            "phone": "",
        },
        "shipping": {
            "first_name": ship_to["first_name"],
            "last_name": ship_to["last_name"],
            "company": ship_to["company"],
            "address_1": ship_to["address1"],
            "address_2": "",
            "city": ship_to["city"],
            "state": ship_to["province"],
            "postcode": ship_to["zip"],
            "country": ship_to["country_code"],
        },
        "payment_method": "bacs",
        "payment_method_title": "Direct bank transfer",
        "transaction_id": "",
        **_dates("date_paid", created if paid else None),
        **_dates("date_completed", completed if status == "completed" else None),
        "cart_hash": "",
        "meta_data": [],
        "line_items": lines,
        "tax_lines": [],
        "shipping_lines": [],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
    }
