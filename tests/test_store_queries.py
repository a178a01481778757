"""Stats, exports and dumps: what the CLI and the steward app read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from data_dictionary.failures import RuleFailure
from data_dictionary.models import Device, Invoice, InvoiceLine, Order, OrderLine
from trace_store.queries import dump, export, runs, stats
from trace_store.store import Store


def test_stats_count_rows_versions_quarantine_and_latest_runs(store: Store, make) -> None:
    old = store.begin_run("shipbob", "shipment")
    store.finish_run(old)
    run = store.begin_run("shipbob", "shipment")
    rule = RuleFailure(rule="r1", field="x", message="bad")
    store.commit_batch(
        make.batch(run, [make.shipment("S1", [make.line(1)])], quarantined=[("S2", make.T0, [rule])], unchanged=3)
    )
    result = stats(store)
    assert result["entities"]["shipment"] == 1 and result["entities"]["device"] == 0
    assert result["sources"] == [
        {"source": "shipbob", "entity": "shipment", "rows": 1, "raw_versions": 2, "open_quarantine": 1}
    ]
    (latest,) = result["runs"]
    assert (latest["run_id"], latest["status"], latest["pulled"], latest["unchanged"]) == (
        run,
        "running",
        5,
        3,
    )
    assert (latest["loaded"], latest["quarantined"]) == (1, 1)
    assert [r["status"] for r in runs(store)] == ["success", "running"]
    assert result["quarantine_by_rule"] == {"r1": 1}


def test_export_nests_lines_and_is_json_friendly(store: Store, make) -> None:
    order = Order(
        source="shopify",
        source_updated_at=make.T0,
        order_number="#1001",
        external_id="450789",
        order_date=make.T0,
        currency="CNY",
        total=Decimal("199.90"),
        lines=(OrderLine(line_no=1, gtin="09506000134352", qty=Decimal(2), unit_price=Decimal("99.95")),),
    )
    invoice = Invoice(
        source="odoo",
        source_updated_at=make.T0,
        invoice_number="INV/1",
        order_number="#1001",
        invoice_date=date(2024, 5, 2),
        currency="CNY",
        lines=(InvoiceLine(line_no=1, lot="L1", qty=Decimal(2), unit_price=Decimal("99.95")),),
    )
    device = Device(source="erp", source_updated_at=make.T0, gtin="09506000134352", name_en="Catheter", tracking="lot")
    for source, entity, record in (
        ("shopify", "order", order),
        ("odoo", "invoice", invoice),
        ("erp", "device", device),
    ):
        store.commit_batch(make.batch(store.begin_run(source, entity), [record], source=source, entity=entity))

    (o,) = export(store, "order")
    assert o["raw_external_id"] == "450789" and o["total"] == "199.9" and o["order_date"] == make.T0.isoformat()
    assert o["lines"] == [
        {
            "line_no": 1,
            "sku": None,
            "gtin": "09506000134352",
            "qty": "2",
            "unit_price": "99.95",
            "discount": "0",
            "tax": "0",
        }
    ]
    (i,) = export(store, "invoice")
    assert i["invoice_date"] == "2024-05-02" and i["lines"][0]["lot"] == "L1"
    (d,) = export(store, "device")
    assert d["name_en"] == "Catheter" and "lines" not in d
    assert dump(store)["device"][0]["gtin"] == "09506000134352"


def test_export_pages_through_many_headers(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(make.batch(run, [make.shipment(f"S{n:05d}", [make.line(1)]) for n in range(2100)]))
    ids = [s["shipment_id"] for s in export(store, "shipment")]
    assert ids == sorted(ids) and len(ids) == 2100
