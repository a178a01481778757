"""Reconciliation of planted orders: every discrepancy kind, SKU/GTIN resolution, the figures, the CLI."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from commands import tracehub
from plant import GTIN, GTIN_B, SKU, SKU_B, T0, device, invoice, load, order, shipment

from traceability.reconcile import reconcile

AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
H = timedelta(hours=1)


def plant(store) -> None:
    load(store, device(GTIN, SKU, "10"), device(GTIN_B, SKU_B, "20"))
    load(
        store,
        order("O1", [(SKU, 5, "10")], at=T0),  # short-shipped
        order("O2", [(SKU, 2, "10")], at=T0),  # over-shipped
        order("O3", [(SKU, 2, "10")], at=T0),  # not invoiced
        order("O4", [(SKU, 2, "10"), (SKU_B, 1, "20")], at=T0),  # amount mismatch on B
        order("O5", [(SKU, 4, "10", "4"), (SKU_B, 1, "20")], at=T0),  # clean: split shipment, sku-only invoice
        order("O6", [(SKU, 1, "10")], at=T0, status="cancelled"),  # cancelled, yet shipped
        order("O7", [(SKU, 1, "10")], at=AS_OF - 24 * H),  # awaiting shipment, not yet due
        order("O8", [(SKU, 1, "10")], at=T0),  # never shipped: overdue
        order("O9", [(SKU, 2, "10"), (SKU, 3, "10")], at=T0),  # clean: one item on two order lines
    )
    load(
        store,
        shipment("S1", "O1", [(GTIN, "L1", None, 3)], shipped=T0 + 10 * H),
        shipment("S2", "O2", [(GTIN, "L1", None, 3)], shipped=T0 + 20 * H),
        shipment("S3", "O3", [(GTIN, "L1", None, 2)], shipped=T0 + 30 * H),
        shipment("S4", "O4", [(GTIN, "L1", None, 2), (GTIN_B, "B1", None, 1)], shipped=T0 + 40 * H),
        shipment("S5a", "O5", [(GTIN, "L1", None, 4)], shipped=T0 + 50 * H),
        shipment("S5b", "O5", [(GTIN_B, "B1", None, 1)], shipped=T0 + 150 * H),
        shipment("S6", "O6", [(GTIN, "L1", None, 1)], shipped=T0 + 100 * H),
        shipment("S9", "O404", [(GTIN, "L1", None, 1)], shipped=T0 + 10 * H),  # order not in the store
        shipment("S10", "O9", [(GTIN, "L1", None, 5)], shipped=T0 + 60 * H),
    )
    load(
        store,
        invoice("I1", "O1", [(GTIN, None, 3, "10")]),
        invoice("I2", "O2", [(GTIN, None, 3, "10")]),
        invoice("I4", "O4", [(GTIN, None, 2, "10"), (GTIN_B, None, 1, "25")]),
        invoice("I5", "O5", [(None, SKU, 4, "9"), (None, SKU_B, 1, "20")]),
        invoice("I9", "O9", [(GTIN, SKU, 5, "10")]),
    )


def test_each_kind_is_found_where_planted_and_nowhere_else(store):
    plant(store)
    result = reconcile(store, as_of=AS_OF)
    found = {(r.order_number, r.item): r.kinds for r in result.lines}
    assert found == {
        ("O1", GTIN): ("short_shipped",),
        ("O2", GTIN): ("over_shipped",),
        ("O3", GTIN): ("not_invoiced",),
        ("O4", GTIN_B): ("amount_mismatch",),
        ("O6", GTIN): ("over_shipped", "not_invoiced"),
        ("O404", GTIN): ("order_missing", "not_invoiced"),
    }
    assert result.checked == 12  # O1-O9 items (O4, O5 two each) + O404
    assert result.counts["over_shipped"] == 2 and result.counts["invoice_qty_mismatch"] == 0
    o4 = next(r for r in result.lines if r.order_number == "O4")
    assert (o4.ordered_amount, o4.invoiced_amount) == (Decimal("20.00"), Decimal("25.00"))

    everything = {(r.order_number, r.item): r for r in reconcile(store, all_lines=True, as_of=AS_OF).lines}
    assert len(everything) == 12
    o5 = everything[("O5", GTIN)]  # order by SKU, shipped by GTIN, invoiced by SKU at the net price
    assert (o5.ordered_qty, o5.shipped_qty, o5.invoiced_qty, o5.kinds) == (4, 4, 4, ())
    assert o5.ordered_amount == o5.invoiced_amount == Decimal("36.00")
    assert (o5.order_lines, everything[("O4", GTIN_B)].order_lines) == ("1", "2")
    o9 = everything[("O9", GTIN)]
    assert (o9.order_lines, o9.ordered_qty, o9.shipped_qty, o9.invoiced_qty, o9.kinds) == ("1,2", 5, 5, 5, ())
    assert everything[("O7", GTIN)].kinds == ()


def test_invoiced_quantity_different_from_shipped(store):
    load(store, device(GTIN, SKU, "10"))
    load(store, order("O1", [(SKU, 5, "10")]), order("O2", [(SKU, 5, "10")]))
    load(store, shipment("S1", "O1", [(GTIN, "L1", None, 5)]))
    load(store, invoice("I1", "O1", [(GTIN, None, 4, "10")]), invoice("I2", "O2", [(GTIN, None, 5, "10")]))
    found = {(r.order_number, r.kinds) for r in reconcile(store).lines}
    assert found == {("O1", ("invoice_qty_mismatch",)), ("O2", ("invoice_qty_mismatch",))}


def test_cycle_time_percentiles_and_on_time_rate(store):
    plant(store)
    f = reconcile(store, as_of=AS_OF, sla_days=2).figures
    # first shipments of non-cancelled known orders: O1 10h, O2 20h, O3 30h, O4 40h, O5 50h, O9 60h
    assert f.shipped_orders == 6
    assert (f.p50_hours, f.p90_hours) == (30.0, 60.0)  # nearest rank: 3rd and 6th of 6
    assert f.on_time_orders == 4  # within 48 h
    assert f.due_orders == 7  # the six shipped, plus O8 overdue; O7 is not due yet, O6 cancelled
    assert f.on_time_rate == round(4 / 7, 4)
    assert reconcile(store, as_of=AS_OF, sla_days=3).figures.on_time_orders == 6


def test_cli_prints_exports_csv_and_json(store, tmp_path):
    plant(store)
    url = store.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "rec.csv"
    done = tracehub("reconcile", "--json", "--csv", str(out), "--all", env={"TRACEHUB_DB_URL": url})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["checked"] == 12 and len(data["lines"]) == 12
    assert data["counts"]["short_shipped"] == 1
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["order_number"], r["kinds"]) for r in rows if r["kinds"]} >= {("O1", "short_shipped")}
    table = tracehub("reconcile", env={"TRACEHUB_DB_URL": url})
    assert table.returncode == 0, table.stderr
    assert "short_shipped" in table.stdout and "on time" in table.stdout
