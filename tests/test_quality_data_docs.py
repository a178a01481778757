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
    assert validate("shipment", [shipment]), "validation goes on after the docs' own context was made"


PAYLOAD = '<img src=x onerror="alert(1)"><script>alert(2)</script><a href="https://evil.example/">x</a>'


def test_data_docs_hold_platform_text_as_text_and_load_nothing_from_outside(tmp_path):
    """GX writes unexpected values into its pages as markup: the built site is cleaned and self-contained."""
    from data_dictionary.models import Order, OrderLine

    when = datetime(2026, 3, 1, tzinfo=UTC)
    order = Order(
        source="shop",
        source_updated_at=when,
        order_number="1",
        external_id="1",
        order_date=when,
        currency=PAYLOAD,
        lines=(OrderLine(line_no=1, sku=PAYLOAD, qty=Decimal(1), unit_price=Decimal(1)),),
    )
    assert validate("order", [order])
    index = build_data_docs(tmp_path / "docs")
    pages = list(index.parent.rglob("*.html"))
    assert len(pages) > 2
    shown = ""
    for page in pages:
        html = page.read_text(encoding="utf-8").lower()
        # an attribute, not the word: an earlier result in this process may name a MetricResolutionError
        assert "<script" not in html and "onerror=" not in html and "<img" not in html, page
        assert "http://" not in html and "https://" not in html and "//cdn" not in html, page
        assert html.count("<style>") == 1 and "<link" not in html
        shown += html
    assert "currency" in shown and "unexpected" in shown, "the failing rule is still reported"
    assert "alert(" not in shown, "what GX wrote as markup is gone, not run (the console shows the value escaped)"
