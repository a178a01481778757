"""`tracehub export epcis`: the store as a validated EPCIS 2.0 document, with progress and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from tracehub.cli.common import err, open_store, writable


def parse_since(value: str | None) -> datetime | None:
    """`--since` as an aware UTC datetime: ISO 8601 date or date-time; a time without offset is UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {value!r} is not an ISO 8601 date or time (e.g. 2026-03-01 or 2026-03-01T08:00:00+08:00)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def export_epcis_command(gtin: str | None, lot: str | None, since: str | None, output: Path | None) -> None:
    """Run the export; a bad `--since`, a missing schema or folder, or an invalid document (every problem listed)
    is one clear message and exit code 1, with nothing written."""
    from rich.markup import escape

    from traceability.epcis import EpcisValidationError, Filters, SchemaMissingError, export_epcis

    writable(output)
    try:
        filters = Filters(gtin=gtin, lot=lot, since=parse_since(since))
        with open_store() as store, err.status("exporting EPCIS events") as status:

            def progress(count: int) -> None:
                if count % 1000 == 0:
                    status.update(f"exporting EPCIS events: {count} validated")

            result = export_epcis(store, output, filters, on_event=progress)
    except (EpcisValidationError, SchemaMissingError, ValueError, OSError) as exc:
        err.print("[red]error:[/]", escape(str(exc)), highlight=False)
        raise typer.Exit(1) from None
    for line in result.skipped:
        err.print("[yellow]skipped[/]", escape(line))
    where = f"to {output}" if output else "to stdout"
    err.print(f"wrote {result.events} EPCIS events {where} (schema and CBV checks passed)")
