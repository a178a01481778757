"""Commands that trace lots and serials to the customers that received them."""

from __future__ import annotations

from dataclasses import asdict

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, console, err, open_store, print_json, trace_app


@trace_app.command("lot")
def trace_lot(gtin: str, lot: str, as_json: JsonOption = False) -> None:
    """Customers that received a lot: quantities, dates, shipment and order numbers."""
    from trace_store import queries

    with open_store() as store:
        deliveries = queries.trace_lot(store, gtin, lot)
    if as_json:
        print_json({"gtin": gtin, "lot": lot, "deliveries": [asdict(d) for d in deliveries]})
        return
    if not deliveries:
        err.print(f"no shipments of GTIN {gtin} lot {lot!r} in the store")
        raise typer.Exit(1)
    console.print(report.trace_table(gtin, lot, deliveries))
