"""Test helper: a 3PL's shipping rows in two header languages, written as files, and what they must load."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from trace_store import queries

GTIN_A = "09506000134352"
GTIN_B = "00614141000012"

ENGLISH = ["Shipment", "Order No", "Ship Date", "Carrier", "Tracking No", "GTIN", "SKU", "Lot", "Expiry", "Serial"]
ENGLISH += ["Qty", "Consignee"]
CHINESE = ["发货单号", "订单号", "发货日期", "快递公司", "快递单号", "GTIN", "商品编码", "批号", "有效期至", "序列号"]
CHINESE += ["数量", "收货单位"]
CANONICAL = ["shipment_id", "order_number", "ship_date", "carrier", "tracking_no", "gtin", "sku", "lot", "expiry_date"]
CANONICAL += ["serial", "qty", "ship_to_name"]
COLUMNS = {**dict(zip(ENGLISH, CANONICAL, strict=True)), **dict(zip(CHINESE, CANONICAL, strict=True))}

ROWS = [
    ["S-1", "1001", "2026/11/02", "顺丰速运", "SF100", GTIN_A, "KIT-A", "L-7", "2028/05/31", "", "4", "上海瑞金医院"],
    [
        "S-1",
        "1001",
        "2026/11/02",
        "顺丰速运",
        "SF100",
        GTIN_B,
        "PUMP",
        "P-1",
        "2029/01/31",
        "SN-001",
        "1",
        "上海瑞金医院",
    ],
    [
        "S-1",
        "1001",
        "2026/11/02",
        "顺丰速运",
        "SF100",
        GTIN_B,
        "PUMP",
        "P-1",
        "2029/01/31",
        "SN-002",
        "1",
        "上海瑞金医院",
    ],
    ["S-2", "1002", "2026/11/03", "EMS", "EMS200", GTIN_A, "KIT-A", "L-8", "2028/06/30", "", "10", "Beijing Clinic"],
]
"""Two shipments: a lot-tracked kit and two serial-numbered pumps, then one more kit."""


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def shipped(store: Any) -> dict[str, dict[str, Any]]:
    return {s["shipment_id"]: s for s in queries.export(store, "shipment")}


def lines(shipment: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((ln["gtin"], ln["lot"], ln["serial"], Decimal(str(ln["qty"]))) for ln in shipment["lines"])


def assert_the_two_shipments(store: Any) -> None:
    shipments = shipped(store)
    assert set(shipments) == {"S-1", "S-2"}
    one = shipments["S-1"]
    assert (one["order_number"], one["carrier"], one["tracking_no"], one["ship_to_name"]) == (
        "1001",
        "顺丰速运",
        "SF100",
        "上海瑞金医院",
    )
    assert sorted(lines(one)) == sorted(
        [
            (GTIN_A, "L-7", None, Decimal(4)),
            (GTIN_B, "P-1", "SN-001", Decimal(1)),
            (GTIN_B, "P-1", "SN-002", Decimal(1)),
        ]
    )
    assert {str(ln["expiry_date"]) for ln in one["lines"]} == {"2028-05-31", "2029-01-31"}
    assert str(shipments["S-2"]["ship_date"]).startswith("2026-11-02T16:00")  # 2026-11-03 in Shanghai, as UTC
