"""Spreadsheet drops from a local folder: encodings, headers, fingerprints, settling, bad rows and bad files."""

from __future__ import annotations

import os
import shutil
import threading
import time
import tracemalloc
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from drop_rows import (
    CHINESE,
    COLUMNS,
    ENGLISH,
    GTIN_A,
    ROWS,
    assert_the_two_shipments,
    lines,
    shipped,
    write_csv,
)
from openpyxl import Workbook

from connectors.config import SourceConfig
from connectors.errors import PERMANENT, ConfigError, PlatformError
from connectors.registry import build_connector
from pipeline.sync import sync
from trace_store import drop_files, queries


def source(folder: Path, *, settle: float = 0, **drop: Any) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "tpl",
            "kind": "drop",
            "base_url": folder.as_uri(),
            "entities": ["shipment"],
            "timezone": "Asia/Shanghai",
            "drop": {
                "settle_seconds": settle,
                "shipment": {"files": ["*.csv", "*.xlsx"], "columns": COLUMNS},
                **drop,
            },
        }
    )


def run(config: SourceConfig, store: Any) -> dict[str, object]:
    return sync(config, "shipment", store, build_connector(config)).as_dict()


@pytest.mark.parametrize(
    ("header", "encoding"),
    [(ENGLISH, "utf-8"), (CHINESE, "utf-8-sig"), (CHINESE, "gb18030"), (ENGLISH, "gb18030")],
    ids=["english-utf8", "chinese-utf8-bom", "chinese-gb18030", "english-gb18030"],
)
def test_csv_in_each_encoding_and_header_language_loads_the_same_shipments(tmp_path, store, header, encoding):
    write_csv(tmp_path / "shipments-2026-11-03.csv", header, ROWS, encoding)

    result = run(source(tmp_path), store)

    assert (result["pulled"], result["loaded"], result["quarantined"]) == (2, 2, 0)
    assert_the_two_shipments(store)
    raw = next(r for r in queries.export(store, "shipment") if r["shipment_id"] == "S-1")
    assert raw["raw_external_id"] == "shipments-2026-11-03.csv:2"  # file and first row of the shipment
    assert raw["lines"][0]["line_no"] == 2  # each line numbered by its file row


def test_xlsx_with_chinese_headers_real_dates_and_a_title_row(tmp_path, store):
    book = Workbook()
    sheet = book.active
    sheet.append(["苏州仓 发货明细 2026-11-03"])  # a title above the header
    sheet.append(CHINESE)
    for row in ROWS:
        cells: list[Any] = list(row)
        cells[2] = datetime.strptime(row[2], "%Y/%m/%d")  # a real date cell
        cells[8] = datetime.strptime(row[8], "%Y/%m/%d")
        cells[10] = int(row[10])  # a number cell
        cells[5] = int(row[5])  # a GTIN typed as a number loses its leading zero
        sheet.append(cells)
    book.save(tmp_path / "发货明细.xlsx")

    result = run(source(tmp_path), store)  # the header row is found below the title

    assert (result["loaded"], result["quarantined"]) == (2, 0)
    assert_the_two_shipments(store)


def test_a_file_is_loaded_once_a_renamed_copy_never_and_a_changed_file_again(tmp_path, store):
    config = source(tmp_path)
    first = write_csv(tmp_path / "day1.csv", ENGLISH, ROWS)
    assert run(config, store)["loaded"] == 2

    assert run(config, store)["pulled"] == 0  # listed again: skipped without reading

    shutil.copy(first, tmp_path / "day1-copy.csv")
    assert run(config, store)["pulled"] == 0  # same content under a new name
    ledger = {f["name"]: f for f in drop_files.known(store, "tpl", "shipment")}
    assert ledger["day1-copy.csv"]["status"] == "duplicate"
    assert ledger["day1-copy.csv"]["sha256"] == ledger["day1.csv"]["sha256"]
    assert "same content as day1.csv" in ledger["day1-copy.csv"]["error"]

    corrected = [*ROWS[:3], [*ROWS[3][:9], "", "12", "Beijing Clinic"]]  # S-2 had 12 units, not 10
    write_csv(first, ENGLISH, corrected)
    os.utime(first, (time.time() + 5, time.time() + 5))
    result = run(config, store)
    assert (result["pulled"], result["loaded"]) == (2, 2)  # a new version of the file
    assert lines(shipped(store)["S-2"]) == [(GTIN_A, "L-8", None, Decimal(12))]
    assert len(drop_files.known(store, "tpl", "shipment")) == 3


def test_a_half_written_file_is_skipped_then_read_once_complete(tmp_path, store):
    (tmp_path / "day2.csv.part").write_text("Order No\n1001\n", encoding="utf-8")  # an upload in progress
    (tmp_path / ".day2.csv").write_text("Order No\n1001\n", encoding="utf-8")  # rsync's temporary name
    growing = write_csv(tmp_path / "day2.csv", ENGLISH, ROWS[:1])
    config = source(tmp_path, settle=0.6)

    def finish_writing() -> None:
        time.sleep(0.2)
        write_csv(growing, ENGLISH, ROWS)

    writer = threading.Thread(target=finish_writing)
    writer.start()
    first = run(config, store)  # lists, waits 0.6 s while the file grows, lists again
    writer.join()
    assert first["pulled"] == 0
    assert drop_files.known(store, "tpl", "shipment") == []

    second = run(config, store)
    assert (second["pulled"], second["loaded"]) == (2, 2)
    assert_the_two_shipments(store)
    assert [f["name"] for f in drop_files.known(store, "tpl", "shipment")] == ["day2.csv"]


def test_bad_rows_are_quarantined_naming_file_row_column_and_rule(tmp_path, store):
    bad = [
        *ROWS[:3],
        ["S-2", "1002", "2026/11/03", "EMS", "EMS200", GTIN_A, "KIT-A", "L-8", "2028/06/30", "", "ten", "Beijing"],
        [
            "S-3",
            "1003",
            "2026/11/03",
            "EMS",
            "EMS300",
            "09506000134353",
            "KIT-A",
            "L-9",
            "2028/06/30",
            "",
            "2",
            "Wuhan",
        ],
    ]
    write_csv(tmp_path / "day3.csv", CHINESE, bad, "gb18030")

    result = run(source(tmp_path), store)

    assert (result["pulled"], result["loaded"], result["quarantined"]) == (3, 1, 2)
    quarantined = {q["external_id"]: q for q in queries.quarantine_rows(store)}
    assert set(quarantined) == {"day3.csv:5", "day3.csv:6"}
    (qty,) = quarantined["day3.csv:5"]["failures"]
    assert qty["rule"] == "mapping"
    assert qty["message"].startswith("file day3.csv row 5 column '数量' (qty), rule mapping: ")
    (gtin,) = quarantined["day3.csv:6"]["failures"]
    assert gtin["rule"] == "gtin_check_digit"
    assert gtin["message"].startswith("file day3.csv row 6 column 'GTIN' (gtin), rule gtin_check_digit: ")
    payload = quarantined["day3.csv:6"]["payload"]
    assert payload["file"] == "day3.csv" and len(payload["sha256"]) == 64
    assert payload["rows"][0]["row"] == 6 and payload["rows"][0]["qty"] == "2"


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        (
            "latin1.csv",
            "Order No,Consignee,Qty\n1001,Caf\xe9 M\xfcller \xff\xfe,1\n".encode("latin-1"),
            "is not utf-8 or gb18030",
        ),
        ("empty.csv", b"", "has no header row"),
        ("blank.csv", b"\n,,\n\n", "has no header row"),
        ("headless.csv", b"1001,Clinic,1\n", "has no column for order_number"),
        ("no-qty.csv", b"Order No,Consignee\n1001,Clinic\n", "has no column for qty (headers ['Qty', '数量'])"),
        ("apart.csv", b"Order No,Tracking No,Consignee,Qty\n1,T1,A,1\n2,T2,B,1\n1,T1,A,1\n", "row 4: "),
        ("fake.xlsx", b"PK\x03\x04 not a workbook", "is not an XLSX workbook"),
    ],
)
def test_a_malformed_file_is_reported_in_one_line_and_nothing_else_is_lost(tmp_path, store, name, content, problem):
    write_csv(tmp_path / "good.csv", ENGLISH, ROWS)
    (tmp_path / name).write_bytes(content)
    os.utime(tmp_path / name, (1, 1))  # read first
    config = source(tmp_path)

    with pytest.raises(PlatformError) as raised:
        run(config, store)

    message = str(raised.value)
    assert isinstance(raised.value, PERMANENT)
    assert "\n" not in message and "Traceback" not in message
    assert f"file {name} (shipment): " in message and problem in message, message
    assert_the_two_shipments(store)  # the good file of the same run loaded
    ledger = {f["name"]: f for f in drop_files.known(store, "tpl", "shipment")}
    assert ledger[name]["status"] == "rejected" and problem in ledger[name]["error"]
    assert (tmp_path / name).exists()  # the file stays for a person to fix
    assert run(config, store)["pulled"] == 0  # reported once; a fixed file is a new version


def test_the_cli_sync_reports_a_rejected_file_in_one_line(tmp_path):
    from commands import tracehub

    drops = tmp_path / "drops"
    drops.mkdir()
    (drops / "bad.csv").write_text("Order No,Consignee\n1001,Clinic\n", encoding="utf-8")
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: tpl\n    kind: drop\n    base_url: {drops.as_uri()}\n    entities: [shipment]\n"
        "    drop:\n      settle_seconds: 0\n      shipment: {files: ['*.csv'], columns: {Order No: order_number, "
        "Consignee: ship_to_name, Qty: qty}}\n",
        encoding="utf-8",
    )
    done = tracehub("sync", "tpl", "--config", str(sources), env={"TRACEHUB_DB_URL": f"sqlite:///{tmp_path / 'th.db'}"})
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert "file bad.csv (shipment): has no column for qty" in done.stderr + done.stdout


def test_configuration_mistakes_fail_before_reading(tmp_path):
    with pytest.raises(ValueError, match="credentials are required"):
        SourceConfig.model_validate(
            {**source(tmp_path).model_dump(exclude_none=True), "base_url": "sftp://files.example.cn/outbox"}
        )
    with pytest.raises(ValueError, match="cannot fill"):
        source(tmp_path, shipment={"files": ["*.csv"], "columns": {"数量": "quantity"}})
    with pytest.raises(ValueError, match="must start with file://"):
        SourceConfig.model_validate({**source(tmp_path).model_dump(exclude_none=True), "base_url": "https://x.cn"})
    missing = source(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="does not exist"):
        build_connector(missing).check()


def test_check_counts_the_matching_files(tmp_path):
    write_csv(tmp_path / "a.csv", ENGLISH, ROWS)
    (tmp_path / "a.csv.tmp").write_text("x", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    assert build_connector(source(tmp_path)).check() == f"drop tpl: {tmp_path}: 1 shipment file(s)"


def test_dates_in_the_configured_format(tmp_path, store):
    rows = [[*r[:2], "03.11.2026 14:30", *r[3:8], "31.05.2028", *r[9:]] for r in ROWS[3:]]
    write_csv(tmp_path / "eu.csv", ENGLISH, rows)
    run(source(tmp_path, date_formats=["%d.%m.%Y"]), store)
    (s2,) = shipped(store).values()
    assert str(s2["ship_date"]).startswith("2026-11-03T06:30")  # 14:30 in Shanghai
    assert s2["lines"][0]["expiry_date"] in (date(2028, 5, 31), "2028-05-31")


def test_files_already_in_the_ledger_cost_no_settle_wait(tmp_path, store):
    write_csv(tmp_path / "day4.csv", ENGLISH, ROWS)
    assert run(source(tmp_path), store)["loaded"] == 2

    started = time.monotonic()
    assert run(source(tmp_path, settle=30), store)["pulled"] == 0
    assert time.monotonic() - started < 10  # nothing new to settle: no 30 s wait


def lot_source(folder: Path) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "lots",
            "kind": "drop",
            "base_url": folder.as_uri(),
            "entities": ["lot"],
            "drop": {
                "settle_seconds": 0,
                "lot": {
                    "files": ["批号*.csv"],
                    "columns": {"产品条码": "gtin", "批号": "lot", "有效期": "expiry_date"},
                },
            },
        }
    )


def test_a_lot_list_loads_lots(tmp_path, store):
    write_csv(
        tmp_path / "批号清单.csv", ["产品条码", "批号", "有效期", "备注"], [[GTIN_A, "L-7", "2028年05月31日", "冷藏"]]
    )

    result = sync(lot_source(tmp_path), "lot", store, build_connector(lot_source(tmp_path))).as_dict()

    assert result["loaded"] == 1
    (lot,) = queries.export(store, "lot")
    assert (lot["gtin"], lot["lot"], str(lot["expiry_date"])) == (GTIN_A, "L-7", "2028-05-31")
    assert queries.quarantine_rows(store) == []


def test_a_large_file_is_streamed_not_read_whole(tmp_path):
    rows = [[GTIN_A, f"L-{i:06d}", "2028-05-31"] for i in range(40_000)]
    path = write_csv(tmp_path / "批号-big.csv", ["产品条码", "批号", "有效期"], rows, "gb18030")
    connector = build_connector(lot_source(tmp_path))
    assert sum(len(page) for page in connector.pull("lot", None, datetime.now())) == 40_000  # warm: imports, caches

    tracemalloc.start()
    try:
        pulled = sum(len(page) for page in connector.pull("lot", None, datetime.now()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert pulled == 40_000
    assert peak < path.stat().st_size / 4, (peak, path.stat().st_size)  # a page at a time, never the file


def test_an_order_list_loads_orders_with_their_lines(tmp_path, store):
    config = SourceConfig.model_validate(
        {
            "name": "seller",
            "kind": "drop",
            "base_url": tmp_path.as_uri(),
            "entities": ["order"],
            "timezone": "Asia/Shanghai",
            "drop": {
                "settle_seconds": 0,
                "order": {
                    "files": ["orders-*.csv"],
                    "columns": {
                        "订单号": "order_number",
                        "下单时间": "order_date",
                        "币种": "currency",
                        "客户": "customer_name",
                    }
                    | {"商品编码": "sku", "数量": "qty", "单价": "unit_price"},
                },
            },
        }
    )
    header = ["订单号", "下单时间", "币种", "客户", "商品编码", "数量", "单价"]
    rows = [
        ["#5001", "2026-11-01 09:30", "CNY", "瑞金医院", "KIT-A", "3", "120.50"],
        ["#5001", "2026-11-01 09:30", "CNY", "瑞金医院", "PUMP", "1", "8800"],
        ["#5002", "2026-11-02 15:00", "CNY", "Beijing Clinic", "KIT-A", "", "120.50"],
    ]
    write_csv(tmp_path / "orders-2026-11-02.csv", header, rows, "gb18030")

    result = sync(config, "order", store, build_connector(config)).as_dict()

    assert (result["pulled"], result["loaded"], result["quarantined"]) == (2, 1, 1)
    (order,) = queries.export(store, "order")
    assert (order["order_number"], order["customer_name"], order["currency"]) == ("5001", "瑞金医院", "CNY")
    assert str(order["order_date"]).startswith("2026-11-01T01:30")
    assert sorted((ln["sku"], Decimal(str(ln["qty"])), Decimal(str(ln["unit_price"]))) for ln in order["lines"]) == [
        ("KIT-A", Decimal(3), Decimal("120.50")),
        ("PUMP", Decimal(1), Decimal(8800)),
    ]
    (bad,) = queries.quarantine_rows(store)
    assert bad["external_id"] == "orders-2026-11-02.csv:4"
    assert [f["message"].split(":")[0] for f in bad["failures"]] == [
        "file orders-2026-11-02.csv row 4 column '数量' (qty), rule mapping"
    ]
