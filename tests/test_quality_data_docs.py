"""Data Docs are written to a folder of our choosing, with the latest result of each suite."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from data_dictionary.models import Shipment, ShipmentLine
from quality_checks import validate
from quality_checks.data_docs import build_data_docs


def test_build_data_docs_writes_suites_and_latest_results(tmp_path):
    line = ShipmentLine(line_no=1, gtin="06951234500017", tracking="lot", lot=None, qty=Decimal(0))
    when = datetime(2026, 3, 1, tzinfo=UTC)
    shipment = Shipment(
        source="s", source_updated_at=when, shipment_id="S1", ship_date=when, ship_to_name="H", lines=(line,)
    )
    assert validate("shipment", [shipment])

    index = build_data_docs(tmp_path / "docs")

    assert index == (tmp_path / "docs" / "index.html").resolve()
    assert index.is_file()
    assert (index.parent / "expectations" / "tracehub" / "shipment" / "lines.html").is_file()
    pages = list((index.parent / "validations" / "tracehub" / "shipment" / "lines").rglob("*.html"))
    assert len(pages) == 1
    assert "06951234500017" in pages[0].read_text(encoding="utf-8")
