"""Commands that look at the store as a whole: stats, exports, the schema, the dictionary."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from data_dictionary.jsonable import json_scalar
from tracehub import report
from tracehub.cli.common import (
    JsonOption,
    app,
    console,
    db_app,
    err,
    open_store,
    output_file,
    print_json,
    redacted_store_url,
    working,
)


@app.command()
def stats(as_json: JsonOption = False) -> None:
    """Row counts per entity and the latest run of every source entity."""
    from trace_store import queries

    with open_store() as store:
        data = queries.stats(store)
    if as_json:
        print_json(data)
        return
    console.print(report.table("store", ["entity", "rows"], data["entities"].items(), ["rows"]))
    console.print(report.runs_table(data["runs"], title="latest runs"))
    console.print(report.rules_table(data["quarantine_by_rule"]))


@app.command()
def export(
    entity: str,
    fmt: Annotated[str, typer.Option("--format", help="Output format.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")] = None,
    gtin: Annotated[str | None, typer.Option("--gtin", help="epcis only: events touching this GTIN.")] = None,
    lot: Annotated[str | None, typer.Option("--lot", help="epcis only: events touching this lot.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="epcis only: events at or after (ISO 8601).")] = None,
) -> None:
    """Export canonical records of one entity as JSON lines, or `epcis`: an EPCIS 2.0 document (JSON-LD)."""
    from data_dictionary.models import ENTITY_MODELS
    from trace_store import queries

    if entity == "epcis":
        from tracehub.cli.epcis import export_epcis_command

        export_epcis_command(gtin, lot, since, output)
        return
    if gtin or lot or since:
        raise typer.BadParameter("--gtin, --lot and --since apply to `export epcis` only", param_hint="ENTITY")
    if fmt != "jsonl":
        raise typer.BadParameter(f"unknown format {fmt!r}; supported: jsonl", param_hint="--format")
    if entity not in ENTITY_MODELS:
        choices = [*sorted(ENTITY_MODELS), "epcis"]
        raise typer.BadParameter(f"unknown entity {entity!r}; choose from {choices}", param_hint="ENTITY")
    count = 0
    with output_file(output) as out, open_store() as store, working(f"exporting {entity}", "records") as advance:
        for row in queries.export(store, entity):
            out.write(json.dumps(row, ensure_ascii=False, default=json_scalar) + "\n")
            count += 1
            advance(1)
    if output:
        err.print(f"wrote {count} {entity} records to {output}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the trace store schema to the latest revision."""
    with open_store():
        pass
    console.print(f"store at {redacted_store_url()} is up to date")


@app.command()
def dictionary() -> None:
    """Print the data dictionary as Markdown."""
    from data_dictionary.dictionary import render_markdown

    sys.stdout.write(render_markdown())
