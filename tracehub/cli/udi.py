"""Commands about GS1 UDI barcodes."""

from __future__ import annotations

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, console, err, print_json, udi_app


@udi_app.command("parse")
def udi_parse(text: str, as_json: JsonOption = False) -> None:
    """Parse a GS1 element string (FNC1 or bracketed HRI); exit 1 when it is not a valid UDI."""
    from data_dictionary.udi import parse_udi

    result = parse_udi(text)
    errors = list(result.errors)
    data = {
        "gtin": result.gtin,
        "lot": result.lot,
        "serial": result.serial,
        "expiry_date": result.expiry_date.isoformat() if result.expiry_date else None,
        "production_date": result.production_date.isoformat() if result.production_date else None,
        "errors": errors,
    }
    if as_json:
        print_json(data)
    else:
        console.print(report.table("UDI", ["field", "value"], ([k, v] for k, v in data.items() if k != "errors")))
        for message in errors:
            err.print(f"[red]error:[/] {message}")
    if errors:
        raise typer.Exit(1)
