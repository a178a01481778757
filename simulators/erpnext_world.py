"""The generated world as an ERPNext site holds it: the same goods, customers, deliveries, invoices and productions.

A seller who runs ERPNext instead of Odoo + ShipBob keeps the same facts in other DocTypes, so the documents are
rendered from the world's Odoo and ShipBob records (simulators/world.py) and an ERPNext sync must give the same
canonical devices, customers, shipments (lots and serials), invoices and genealogy:

- Item <- product.product: `item_code` the SKU, the GTIN as an `Item Barcode` row (type GTIN-14; the product
  keyed in with a wrong check digit has no type, since ERPNext checks the digit of typed barcodes on save),
  `has_batch_no` for lot and serial products (serialised goods carry a lot too), `has_serial_no` for serial ones.
- Customer <- res.partner companies with a customer rank (suppliers are Supplier documents, outside the contract).
- Delivery Note <- ShipBob shipment, one row per lot shipped: the lot in `batch_no` and the serials as newline
  text in `serial_no`, or, on every third lot row and every other serialised row, in a Serial and Batch Bundle
  (`serial_and_batch_bundle`; entries with negative outward quantities). The consignee is the shipping address's
  title (a Frappe Address is named `<title>-<type>`), the shop order's name the customer's PO (`po_no`), the
  carrier and tracking number `transporter_name` and `lr_no`. Completed shipments are submitted (docstatus 1),
  the others drafts.
- Sales Invoice <- posted account.move; Stock Entry (purpose Manufacture) <- done mrp.production: one consumed row
  per move line with its lot (a line without a lot keeps `batch_no` empty: ERPNext refuses that for an item with
  `has_batch_no`, so it stands for a component whose batch tracking was off then), a move that consumed two lots as one
  row with a bundle of two entries, and the finished row with the produced lot. The plant scans its GS1 labels,
  so stock rows carry the GTIN in `barcode` (`has_item_scanned`).
- Serial No <- every serial on a Delivery Note: once the note is submitted, status Delivered with its batch,
  customer and note (`reference_doctype` / `reference_name`) and no warehouse, as ERPNext clears it on delivery;
  before, Active in the note's warehouse.

Frappe writes `creation`/`modified` as naive local times of the site (Asia/Shanghai) with microseconds.
There is no Batch: the contract has no Batch DocType (contracts/erpnext/SOURCE.txt), so lot expiry is not served.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from simulators.contracts.erpnext_doctypes import erpnext_fields, erpnext_table_options
from simulators.gs1 import is_valid_gtin14

SITE_TZ = ZoneInfo("Asia/Shanghai")
COMPANY = "Tracehub Medical Technology (Hangzhou) Co., Ltd."
ABBR = "THM"
STORES = f"Stores - {ABBR}"
FINISHED = f"Finished Goods - {ABBR}"
OWNER = "Administrator"


def site_stamp(moment: datetime) -> str:
    """Frappe's `modified`: naive local time of the site with microseconds."""
    return moment.astimezone(SITE_TZ).strftime("%Y-%m-%d %H:%M:%S.%f")


def _from_odoo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _row_name(*parts: object) -> str:
    """Child rows and bundles are named by hash in Frappe (autoname: hash): ten hex characters."""
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:10]


class _Site:
    """Collects the documents while the world is rendered."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.products = {p["id"]: p for p in world.odoo["product.product"]}
        self.by_code = {p["default_code"]: p for p in world.odoo["product.product"]}
        self.docs: dict[str, list[dict[str, Any]]] = {
            "Item": [],
            "Customer": [],
            "Delivery Note": [],
            "Serial and Batch Bundle": [],
            "Serial No": [],
            "Sales Invoice": [],
            "Stock Entry": [],
        }
        self.bundles = itertools.count(1)
        self.lot_rows = itertools.count()
        self.serial_rows = itertools.count()

    @staticmethod
    def standard(doctype: str, name: str, created: datetime, modified: datetime, docstatus: int = 0) -> dict[str, Any]:
        return {
            "doctype": doctype,
            "name": name,
            "owner": OWNER,
            "creation": site_stamp(created),
            "modified": site_stamp(modified),
            "modified_by": OWNER,
            "docstatus": docstatus,
            "idx": 0,
        }

    @staticmethod
    def child(doctype: str, parent: dict[str, Any], field: str, idx: int, **values: Any) -> dict[str, Any]:
        return {
            "doctype": doctype,
            "name": _row_name(parent["name"], field, idx),
            "owner": OWNER,
            "creation": parent["creation"],
            "modified": parent["modified"],
            "modified_by": OWNER,
            "docstatus": parent["docstatus"],
            "idx": idx,
            "parent": parent["name"],
            "parentfield": field,
            "parenttype": parent["doctype"],
            **values,
        }

    def items(self) -> None:
        for product in self.world.odoo["product.product"]:
            stamp = _from_odoo(product["write_date"])
            code = product["default_code"]
            doc = {
                **self.standard("Item", code, stamp, stamp),
                "item_code": code,
                "item_name": product["name"],
                "item_group": "Raw Material" if code.startswith("CP-") else "Products",
                "stock_uom": product["uom_id"][1],
                "disabled": 0 if product.get("active", True) else 1,
                "is_stock_item": 1,
                "include_item_in_manufacturing": 1,
                "standard_rate": product["list_price"],
                "has_batch_no": 1 if product["tracking"] in ("lot", "serial") else 0,
                "has_expiry_date": 1 if product["tracking"] == "lot" else 0,
                "has_serial_no": 1 if product["tracking"] == "serial" else 0,
                "is_sales_item": 0 if code.startswith("CP-") else 1,
            }
            gtin = product["barcode"]
            typed = "GTIN-14" if is_valid_gtin14(gtin) else ""
            doc["barcodes"] = [
                self.child("Item Barcode", doc, "barcodes", 1, barcode=gtin, barcode_type=typed, uom=doc["stock_uom"])
            ]
            self.docs["Item"].append(doc)

    def customers(self) -> None:
        for partner in self.world.odoo["res.partner"]:
            if not (partner["is_company"] and partner["customer_rank"]):
                continue
            stamp = _from_odoo(partner["write_date"])
            state = partner.get("state_id")
            doc = {
                **self.standard("Customer", partner["name"], stamp, stamp),
                "customer_name": partner["name"],
                "customer_type": "Company",
                "customer_group": "Commercial",
                "territory": state[1].removesuffix(" (CN)") if state else "China",
                "disabled": 0 if partner.get("active", True) else 1,
                "email_id": partner.get("email") or None,
                "mobile_no": partner.get("phone") or None,
                "default_currency": "CNY",
            }
            self.docs["Customer"].append(doc)

    def delivery_notes(self) -> None:
        buyers = {m["invoice_origin"]: m["partner_id"][1] for m in self.world.odoo["account.move"]}
        shipments = [(order, s) for order in self.world.shipbob_orders for s in order["shipments"]]
        shipments.sort(key=lambda pair: (pair[1]["created_date"], pair[1]["id"]))
        for number, (order, shipment) in enumerate(shipments, start=1):
            self._delivery_note(number, order, shipment, buyers)

    def _delivery_note(
        self, number: int, order: dict[str, Any], shipment: dict[str, Any], buyers: dict[str, str]
    ) -> None:
        created = _from_iso(shipment["created_date"])
        modified = _from_iso(shipment["last_update_at"])
        shipped = shipment.get("actual_fulfillment_date") or (shipment.get("tracking") or {}).get("shipping_date")
        posted = _from_iso(shipped).astimezone(SITE_TZ) if shipped else created.astimezone(SITE_TZ)
        status = shipment["status"]
        docstatus = {"Completed": 1, "Cancelled": 2}.get(status, 0)
        recipient = shipment.get("recipient") or order["recipient"]
        consignee = recipient["address"].get("company_name") or recipient["name"]
        po_no = f"#{order['order_number']}"
        customer = buyers.get(po_no, consignee)
        tracking = shipment.get("tracking") or {}
        warehouse = f"{shipment['location']['name']} - {ABBR}"
        name = f"MAT-DN-{created.astimezone(SITE_TZ).year}-{number:05d}"
        doc = {
            **self.standard("Delivery Note", name, created, modified, docstatus),
            "naming_series": "MAT-DN-.YYYY.-",
            "customer": customer,
            "customer_name": customer,
            "company": COMPANY,
            "posting_date": posted.strftime("%Y-%m-%d"),
            "posting_time": posted.strftime("%H:%M:%S"),
            "set_posting_time": 1,
            "is_return": 0,
            "po_no": po_no,
            "shipping_address_name": f"{consignee}-Shipping",
            "contact_display": recipient.get("name"),
            "contact_email": recipient.get("email"),
            "contact_mobile": recipient.get("phone_number"),
            "currency": "CNY",
            "set_warehouse": warehouse,
            "transporter_name": tracking.get("carrier"),
            "lr_no": tracking.get("tracking_number"),
            "lr_date": posted.strftime("%Y-%m-%d") if tracking else None,
            "status": {1: "Completed", 2: "Cancelled"}.get(docstatus, "Draft"),
        }
        prices = {p["sku"]: p.get("unit_price") for p in order["products"]}
        rows: list[dict[str, Any]] = []
        for product in shipment["products"]:
            item = self.by_code[product["sku"]]
            for unit in product["inventory_items"]:
                rows.append(self._dn_row(doc, len(rows) + 1, item, unit, prices.get(product["sku"])))
        doc["items"] = rows
        doc["total_qty"] = float(sum(row["qty"] for row in rows))
        self.docs["Delivery Note"].append(doc)

    def _dn_row(self, doc: dict[str, Any], idx: int, item: dict[str, Any], unit: dict, price: Any) -> dict[str, Any]:
        qty = float(unit["quantity"])
        serials = [s for s in unit.get("serial_numbers") or [] if s]
        rate = float(price or 0)
        row = self.child(
            "Delivery Note Item",
            doc,
            "items",
            idx,
            item_code=item["default_code"],
            item_name=item["name"],
            barcode=item["barcode"],
            has_item_scanned=1,
            qty=qty,
            stock_qty=qty,
            uom=item["uom_id"][1],
            stock_uom=item["uom_id"][1],
            conversion_factor=1.0,
            rate=rate,
            amount=rate * qty,
            warehouse=doc["set_warehouse"],
        )
        counter = self.serial_rows if serials else self.lot_rows
        in_bundle = next(counter) % (2 if serials else 3) == 1 and bool(unit.get("lot") or serials)
        if not in_bundle:
            row.update(
                use_serial_batch_fields=1,
                batch_no=unit.get("lot") or None,
                serial_no="\n".join(serials) or None,
                serial_and_batch_bundle=None,
            )
        else:
            entries = [(unit.get("lot"), s, -1.0) for s in serials] or [(unit.get("lot"), None, -qty)]
            row.update(
                use_serial_batch_fields=0,
                batch_no=None,
                serial_no=None,
                serial_and_batch_bundle=self._bundle(doc, row, item, "Outward", entries),
            )
        for serial in serials:
            self._serial_no(serial, item, unit.get("lot"), doc)
        return row

    def _bundle(
        self,
        voucher: dict[str, Any],
        row: dict[str, Any],
        item: dict[str, Any],
        direction: str,
        entries: Sequence[tuple[str | None, str | None, float]],
    ) -> str:
        name = f"SABB-{next(self.bundles):08d}"
        created = datetime.strptime(voucher["creation"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=SITE_TZ)
        modified = datetime.strptime(voucher["modified"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=SITE_TZ)
        posting = f"{voucher['posting_date']} {voucher['posting_time']}"
        warehouse = row.get("warehouse") or row.get("s_warehouse") or row.get("t_warehouse")
        bundle = {
            **self.standard("Serial and Batch Bundle", name, created, modified, voucher["docstatus"]),
            "naming_series": "SABB-.########",
            "company": COMPANY,
            "item_code": item["default_code"],
            "item_name": item["name"],
            "has_serial_no": 1 if item["tracking"] == "serial" else 0,
            "has_batch_no": 1,
            "voucher_type": voucher["doctype"],
            "voucher_no": voucher["name"],
            "voucher_detail_no": row["name"],
            "type_of_transaction": direction,
            "warehouse": warehouse,
            "total_qty": sum(qty for _, _, qty in entries),
            "is_cancelled": 1 if voucher["docstatus"] == 2 else 0,
            "posting_datetime": posting,
        }
        bundle["entries"] = [
            self.child(
                "Serial and Batch Entry",
                bundle,
                "entries",
                index,
                batch_no=lot,
                serial_no=serial,
                qty=qty,
                warehouse=warehouse,
                is_outward=1 if direction == "Outward" else 0,
                posting_datetime=posting,
                voucher_type=voucher["doctype"],
                voucher_no=voucher["name"],
                voucher_detail_no=row["name"],
                type_of_transaction=direction,
            )
            for index, (lot, serial, qty) in enumerate(entries, start=1)
        ]
        self.docs["Serial and Batch Bundle"].append(bundle)
        return name

    def _serial_no(self, serial: str, item: dict[str, Any], lot: str | None, note: dict[str, Any]) -> None:
        created = datetime.strptime(note["creation"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=SITE_TZ)
        modified = datetime.strptime(note["modified"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=SITE_TZ)
        delivered = note["docstatus"] == 1
        self.docs["Serial No"].append(
            {
                **self.standard("Serial No", serial, created, modified),
                "serial_no": serial,
                "item_code": item["default_code"],
                "item_name": item["name"],
                "company": COMPANY,
                "batch_no": lot,
                "status": "Delivered" if delivered else "Active",
                "customer": note["customer"] if delivered else None,
                "warehouse": None if delivered else note["set_warehouse"],
                "reference_doctype": "Delivery Note" if delivered else None,
                "reference_name": note["name"] if delivered else None,
                "posting_date": note["posting_date"],
            }
        )

    def sales_invoices(self) -> None:
        lines = {line["id"]: line for line in self.world.odoo["account.move.line"]}
        moves = [m for m in self.world.odoo["account.move"] if m["move_type"] == "out_invoice"]
        for number, move in enumerate(sorted(moves, key=lambda m: (m["invoice_date"], m["id"])), start=1):
            stamp = _from_odoo(move["write_date"])
            docstatus = {"posted": 1, "cancel": 2}.get(move["state"], 0)
            name = f"ACC-SINV-{move['invoice_date'][:4]}-{number:05d}"
            doc = {
                **self.standard("Sales Invoice", name, stamp, stamp, docstatus),
                "naming_series": "ACC-SINV-.YYYY.-",
                "customer": move["partner_id"][1],
                "customer_name": move["partner_id"][1],
                "company": COMPANY,
                "posting_date": move["invoice_date"],
                "due_date": move["invoice_date"],
                "po_no": move.get("invoice_origin") or None,
                "currency": move["currency_id"][1],
                "net_total": move["amount_untaxed"],
                "total_taxes_and_charges": move["amount_tax"],
                "grand_total": move["amount_total"],
                "status": {1: "Unpaid", 2: "Cancelled"}.get(docstatus, "Draft"),
            }
            rows: list[dict[str, Any]] = []
            for line_id in move["invoice_line_ids"]:
                line = lines[line_id]
                if line.get("display_type") not in (None, False, "product"):
                    continue
                product = self.products[line["product_id"][0]]
                rows.append(
                    self.child(
                        "Sales Invoice Item",
                        doc,
                        "items",
                        len(rows) + 1,
                        item_code=product["default_code"],
                        item_name=product["name"],
                        qty=line["quantity"],
                        uom=product["uom_id"][1],
                        stock_uom=product["uom_id"][1],
                        conversion_factor=1.0,
                        rate=line["price_unit"],
                        amount=line["price_subtotal"],
                    )
                )
            doc["items"] = rows
            doc["total_qty"] = float(sum(row["qty"] for row in rows))
            self.docs["Sales Invoice"].append(doc)

    def stock_entries(self) -> None:
        odoo = self.world.odoo
        moves = {m["id"]: m for m in odoo["stock.move"]}
        move_lines = {line["id"]: line for line in odoo["stock.move.line"]}
        done = [p for p in odoo["mrp.production"] if p["state"] == "done"]
        for number, production in enumerate(sorted(done, key=lambda p: (p["date_finished"], p["id"])), start=1):
            finished = _from_odoo(production["date_finished"]).astimezone(SITE_TZ)
            started = _from_odoo(production["date_start"])
            name = f"MAT-STE-{finished.year}-{number:05d}"
            doc = {
                **self.standard("Stock Entry", name, started, _from_odoo(production["write_date"]), 1),
                "naming_series": "MAT-STE-.YYYY.-",
                "stock_entry_type": "Manufacture",
                "purpose": "Manufacture",
                "company": COMPANY,
                "posting_date": finished.strftime("%Y-%m-%d"),
                "posting_time": finished.strftime("%H:%M:%S"),
                "set_posting_time": 1,
                "fg_completed_qty": production["qty_produced"],
                "from_warehouse": STORES,
                "to_warehouse": FINISHED,
                "remarks": production["name"],
            }
            rows: list[dict[str, Any]] = []
            for move_id in production["move_raw_ids"]:
                move = moves[move_id]
                component = self.products[move["product_id"][0]]
                shares = [move_lines[i] for i in move["move_line_ids"]]
                if len(shares) > 1 and all(s.get("lot_id") for s in shares):
                    rows.append(self._consumed(doc, rows, component, move["quantity"], None))
                    entries = [(s["lot_id"][1], None, -float(s["quantity"])) for s in shares]
                    bundle = self._bundle(doc, rows[-1], component, "Outward", entries)
                    rows[-1].update(use_serial_batch_fields=0, serial_and_batch_bundle=bundle)
                    continue
                for share in shares or [{"lot_id": False, "quantity": move["quantity"]}]:
                    lot = share["lot_id"][1] if share.get("lot_id") else None
                    rows.append(self._consumed(doc, rows, component, share["quantity"], lot))
            product = self.products[production["product_id"][0]]
            rows.append(
                self.child(
                    "Stock Entry Detail",
                    doc,
                    "items",
                    len(rows) + 1,
                    t_warehouse=FINISHED,
                    item_code=product["default_code"],
                    item_name=product["name"],
                    barcode=product["barcode"],
                    has_item_scanned=1,
                    qty=production["qty_produced"],
                    transfer_qty=production["qty_produced"],
                    uom=product["uom_id"][1],
                    stock_uom=product["uom_id"][1],
                    conversion_factor=1.0,
                    is_finished_item=1,
                    use_serial_batch_fields=1,
                    batch_no=production["lot_producing_id"][1],
                )
            )
            doc["items"] = rows
            self.docs["Stock Entry"].append(doc)

    def _consumed(
        self, doc: dict[str, Any], rows: list, component: dict[str, Any], qty: Any, lot: str | None
    ) -> dict[str, Any]:
        return self.child(
            "Stock Entry Detail",
            doc,
            "items",
            len(rows) + 1,
            s_warehouse=STORES,
            item_code=component["default_code"],
            item_name=component["name"],
            barcode=component["barcode"],
            has_item_scanned=1,
            qty=float(qty),
            transfer_qty=float(qty),
            uom=component["uom_id"][1],
            stock_uom=component["uom_id"][1],
            conversion_factor=1.0,
            is_finished_item=0,
            use_serial_batch_fields=1,
            batch_no=lot,
        )


def render_erpnext(world: Any) -> dict[str, list[dict[str, Any]]]:
    """Every document the world's ERPNext site holds, per DocType, in creation order."""
    site = _Site(world)
    site.items()
    site.customers()
    site.delivery_notes()
    site.sales_invoices()
    site.stock_entries()
    for doctype, docs in site.docs.items():
        for doc in docs:
            _complete(doctype, doc)
    return site.docs


_NUMERIC = {"Int": 0, "Check": 0, "Float": 0.0, "Currency": 0.0, "Percent": 0.0}


def _complete(doctype: str, doc: dict[str, Any]) -> None:
    """Every column of the DocType, as `Document.as_dict()` answers: numbers 0 (Frappe's columns are NOT NULL
    DEFAULT 0), text None, tables empty; child rows alike."""
    for field, kind in erpnext_fields(doctype).items():
        if field in doc:
            continue
        doc[field] = [] if kind in ("Table", "Table MultiSelect") else _NUMERIC.get(kind)
    for field, kind in erpnext_fields(doctype).items():
        if kind in ("Table", "Table MultiSelect"):
            child = erpnext_table_options(doctype, field)
            for row in doc[field]:
                _complete(child, row)
