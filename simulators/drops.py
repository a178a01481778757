"""A 3PL's daily shipping files: the generated world's shipments as CSV and XLSX drops.

A small 3PL sends no API, only a file a day of what left its warehouse. `write_drops` renders
the world's shipped ShipBob shipments that way, one file per ship day (China time), rotating
through three layouts a real sender might use:

- `en-csv`: English headers, UTF-8, times `2026-03-05 14:23:09`;
- `zh-csv`: Chinese headers, GB18030 (what Excel on a Chinese Windows saves), times `2026/03/05 14:23:09`;
- `xlsx`: Chinese headers in a workbook with a title row above them, real date cells.

One row per lot picked, or per serial number (quantity 1), as ShipBob's inventory items hold
them; a shipment's rows are adjacent. Pending shipments have not left: they are in no file.
`COLUMNS` maps both header languages to the canonical columns a `drop` source reads.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import date, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from simulators.formats import SHOP_TZ, parse_moment
from simulators.world import World

FIELDS = (
    "shipment_id", "order_number", "ship_date", "carrier", "tracking_no", "from_location", "ship_to_name",
    "ship_to_contact", "ship_to_phone", "ship_to_region", "sku", "lot", "expiry_date", "serial", "qty",
)  # fmt: skip
ENGLISH = (
    "Shipment ID", "Order No", "Ship Date", "Carrier", "Tracking No", "Warehouse", "Consignee", "Contact",
    "Phone", "Province", "SKU", "Lot", "Expiry Date", "Serial No", "Qty",
)  # fmt: skip
CHINESE = (
    "发货单号", "订单号", "发货时间", "承运商", "运单号", "发货仓", "收货单位", "联系人", "联系电话", "省份",
    "商品编码", "批号", "有效期至", "序列号", "数量",
)  # fmt: skip
COLUMNS = {header: field for headers in (ENGLISH, CHINESE) for header, field in zip(headers, FIELDS, strict=True)}
"""Header (either language) -> canonical column: the `columns` of a drop source reading these files."""

LAYOUTS = ("en-csv", "zh-csv", "xlsx")
TIME_FORMATS = {"en-csv": "%Y-%m-%d %H:%M:%S", "zh-csv": "%Y/%m/%d %H:%M:%S"}


def shipped_rows(world: World) -> Iterator[tuple[date, dict[str, Any]]]:
    """(ship day in China, row) for every unit group that left, ordered by day and shipment."""
    rows = []
    for order in world.shipbob_orders:
        for shipment in order["shipments"]:
            if shipment["status"] != "Completed":
                continue
            shipped = parse_moment(shipment["actual_fulfillment_date"]).astimezone(SHOP_TZ)
            recipient = shipment["recipient"]
            header = {
                "shipment_id": str(shipment["id"]),
                "order_number": order["order_number"],
                "ship_date": shipped,
                "carrier": shipment["tracking"]["carrier"],
                "tracking_no": shipment["tracking"]["tracking_number"],
                "from_location": shipment["location"]["name"],
                "ship_to_name": recipient["address"]["company_name"],
                "ship_to_contact": recipient["name"],
                "ship_to_phone": recipient["phone_number"],
                "ship_to_region": recipient["address"]["state"],
            }
            for product in shipment["products"]:
                for item in product["inventory_items"]:
                    expiry = item["expiration_date"][:10] if item["expiration_date"] else None
                    line = {**header, "sku": product["sku"], "lot": item["lot"], "expiry_date": expiry}
                    for serial in item["serial_numbers"] or [None]:
                        qty = 1 if serial else item["quantity"]
                        rows.append((shipped.date(), {**line, "serial": serial, "qty": qty}))
    rows.sort(key=lambda pair: (pair[0], pair[1]["ship_date"], int(pair[1]["shipment_id"])))
    yield from rows


def write_drops(world: World, folder: str | Path) -> list[Path]:
    """One file per ship day into `folder`, layouts in rotation; each file's mtime is its day's end."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for index, (day, group) in enumerate(groupby(shipped_rows(world), key=lambda pair: pair[0])):
        layout = LAYOUTS[index % len(LAYOUTS)]
        rows = [row for _, row in group]
        if layout == "xlsx":
            path = folder / f"发货明细-{day.isoformat()}.xlsx"
            _write_xlsx(path, day, rows)
        else:
            path = folder / f"shipments-{day.isoformat()}.csv"
            _write_csv(path, layout, rows)
        end_of_day = datetime(day.year, day.month, day.day, 23, 59, tzinfo=SHOP_TZ).timestamp()
        os.utime(path, (end_of_day, end_of_day))
        written.append(path)
    return written


def _write_csv(path: Path, layout: str, rows: list[dict[str, Any]]) -> None:
    headers, encoding = (ENGLISH, "utf-8") if layout == "en-csv" else (CHINESE, "gb18030")
    with path.open("w", encoding=encoding, newline="") as handle:
        out = csv.writer(handle)
        out.writerow(headers)
        for row in rows:
            cells = {**row, "ship_date": row["ship_date"].strftime(TIME_FORMATS[layout])}
            out.writerow(["" if cells[f] is None else cells[f] for f in FIELDS])


def _write_xlsx(path: Path, day: date, rows: list[dict[str, Any]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("发货明细")
    sheet.append([f"发货明细 {day.isoformat()}"])
    sheet.append(list(CHINESE))
    for row in rows:
        cells = {
            **row,
            "ship_date": row["ship_date"].replace(tzinfo=None),  # a sheet's time is local, without a zone
            "expiry_date": date.fromisoformat(row["expiry_date"]) if row["expiry_date"] else None,
        }
        sheet.append([cells[f] for f in FIELDS])
    book.save(path)
