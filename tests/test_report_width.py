"""Terminal tables at 80 columns: identifiers whole, free text wrapped, the least important columns
left out and named, CJK counted at its printed width."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rich.cells import cell_len
from rich.console import Console

from tracehub import report

LOT = "L2601-C/01-LONG-LOT-NUMBER"
COLUMNS = ["depth", "evidence", "customer", "region", "GTIN", "lot", "qty", "date", "shipment", "order"]
ROWS = [
    [1, "shipped", "Changsha Hospital of Traditional Chinese Medicine", "Hunan", "06951234500030", LOT, 5,
     "2026-02-04", "SHIP-700024-A", "1027"],
    [2, "inferred", "长沙市中医医院（湖南中医药大学附属）", "湖南", "06951234500030", LOT, 12,
     "2026-02-09", "SHIP-700034-B", "1038"],
]  # fmt: skip
KEEP = ["customer", "lot", "qty", "date", "shipment", "evidence", "order", "GTIN", "region", "depth"]


def printed(width: int, **kwargs) -> list[str]:
    console = Console(width=width, record=True, file=None, force_terminal=False)
    with console.capture() as capture:
        console.print(report.table("deliveries", COLUMNS, ROWS, ["qty"], **kwargs))
    return capture.get().splitlines()


@pytest.mark.parametrize("width", [80, 100, 160])
def test_identifiers_are_never_cut_and_lines_fit(width: int) -> None:
    lines = printed(width, wrap=["customer"], keep=KEEP)
    assert max(cell_len(line.rstrip()) for line in lines) <= width
    text = "\n".join(lines)
    for whole in (LOT, "SHIP-700024-A", "SHIP-700034-B", "2026-02-04"):
        assert text.count(whole) == 1 if whole.startswith(("SHIP", "2026")) else text.count(whole) == 2, whole
    assert "…" not in text


def test_at_80_columns_the_least_important_are_left_out_and_named() -> None:
    lines = printed(80, wrap=["customer"], keep=KEEP)
    header = lines[1]
    for kept in ("customer", "lot", "qty", "date", "shipment"):
        assert kept in header
    note = " ".join(line.strip() for line in lines[lines.index(next(x for x in lines if "not shown" in x)) :])
    left_out = note.removeprefix("not shown at this width: ").split(" (")[0].split(", ")
    assert left_out and set(left_out) <= {"depth", "region", "GTIN", "order", "evidence"}
    assert [c for c in reversed(KEEP) if c in left_out] == sorted(left_out, key=lambda c: -KEEP.index(c))
    assert "depth" in left_out, "the least important goes first"


def test_wide_terminals_show_every_column_and_no_note() -> None:
    lines = printed(200, wrap=["customer"], keep=KEEP)
    assert all(c in lines[1] for c in COLUMNS) and not any("not shown" in line for line in lines)


def test_free_text_wraps_between_words() -> None:
    lines = printed(80, wrap=["customer"], keep=KEEP)
    text = "\n".join(lines)
    assert "Changsha" in text and "Medicine" in text and "Chine-" not in text


def test_times_are_shown_in_the_configured_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEHUB_TIMEZONE", "Asia/Shanghai")
    moment = datetime(2026, 11, 30, 6, 25, 36, 123456, tzinfo=UTC)
    assert report.fmt(moment) == "2026-11-30 14:25:36 CST"
    assert report.when(moment.isoformat()) == "2026-11-30 14:25 CST"


def test_an_empty_table_still_prints_its_header() -> None:
    console = Console(width=80, file=None)
    with console.capture() as capture:
        console.print(report.table("nothing yet", COLUMNS, [], ["qty"], wrap=["customer"], keep=KEEP))
    assert "customer" in capture.get() and "nothing yet" in capture.get()
