"""`tracehub reconcile`: ordered vs shipped vs invoiced per order and item, and the shipping figures."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from tracehub import report
from tracehub.cli.common import (
    JsonOption,
    app,
    console,
    err,
    open_store,
    output_file,
    print_json,
    working,
    writable,
)

COLUMNS = [
    "order_number",
    "item",
    "sku",
    "order_source",
    "order_status",
    "order_lines",
    "ordered_qty",
    "shipped_qty",
    "invoiced_qty",
    "ordered_amount",
    "shipped_amount",
    "invoiced_amount",
    "kinds",
]
QTY = ["ordered", "shipped", "invoiced", "ordered amt", "invoiced amt"]


@app.command("reconcile")
def reconcile_cmd(
    as_json: JsonOption = False,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write the rows to this CSV file.")] = None,
    all_lines: Annotated[bool, typer.Option("--all", help="Every order and item, not only discrepancies.")] = False,
    sla_days: Annotated[float, typer.Option("--sla-days", help="Shipping SLA for the on-time rate, in days.")] = 3.0,
) -> None:
    """Three-way reconciliation of shop orders, warehouse shipments and ERP invoices on the order number."""
    from traceability.reconcile import reconcile

    if sla_days <= 0:
        raise typer.BadParameter(f"--sla-days must be positive, got {sla_days}")
    writable(csv_file)
    with open_store() as store, working("reconciling orders, shipments and invoices"):
        result = reconcile(store, sla_days=sla_days, all_lines=all_lines)
    if csv_file is not None:
        with output_file(csv_file, newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            for line in result.lines:
                writer.writerow({**line.as_dict(), "kinds": " ".join(line.kinds)})
        err.print(f"wrote {len(result.lines)} rows to {csv_file}")
    if as_json:
        print_json(result.as_dict())
        return
    what = "rows" if all_lines else "discrepancies"
    console.print(
        report.table(
            f"reconciliation: {len(result.lines)} {what} in {result.checked} order x item rows",
            ["order", "item", "sku", "status", *QTY, "kinds"],
            (
                [
                    r.order_number,
                    r.item,
                    r.sku,
                    r.order_status,
                    r.ordered_qty,
                    r.shipped_qty,
                    r.invoiced_qty,
                    r.ordered_amount,
                    r.invoiced_amount,
                    " ".join(r.kinds),
                ]
                for r in result.lines
            ),
            QTY,
            wrap=["kinds"],
            keep=["order", "item", "kinds", *QTY, "status", "sku"],
        )
    )
    console.print(report.table("discrepancies by kind", ["kind", "rows"], result.counts.items(), ["rows"]))
    f = result.figures
    rate = "n/a" if f.on_time_rate is None else f"{f.on_time_rate:.1%}"
    console.print(
        f"order-to-ship cycle time over {f.shipped_orders} shipped orders: p50 {report.fmt(f.p50_hours)} h, "
        f"p90 {report.fmt(f.p90_hours)} h; on time (within {report.fmt(f.sla_days)} days): "
        f"{f.on_time_orders} of {f.due_orders} due orders = {rate}"
    )
