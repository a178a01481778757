"""The `tracehub` command line: sync, inspect and trace, with errors a person can act on."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from tracehub import report, settings

app = typer.Typer(help="Tracehub: medical-device traceability from shop, warehouse and ERP.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Records that failed mapping or validation.", no_args_is_help=True)
trace_app = typer.Typer(help="Trace lots and serials through the store.", no_args_is_help=True)
udi_app = typer.Typer(help="GS1 UDI barcodes.", no_args_is_help=True)
db_app = typer.Typer(help="The trace store's schema.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(trace_app, name="trace")
app.add_typer(udi_app, name="udi")
app.add_typer(db_app, name="db")

console = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Sources file (default: TRACEHUB_SOURCES or config/sources.yaml).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def main() -> None:
    """Entry point that turns known errors into one clear line and exit code 1, not a traceback."""
    from connectors.config import ConfigError
    from connectors.errors import ConnectorError
    from trace_store.store import ConservationError

    try:
        code = app(standalone_mode=False)
        if isinstance(code, int):
            sys.exit(code)
    except (ConfigError, ConnectorError, ConservationError, LookupError) as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


@contextmanager
def _store() -> Iterator[Any]:
    from trace_store.store import Store

    store = Store.open(settings.db_url())
    try:
        store.upgrade()
        yield store
    finally:
        store.close()


def _sources(config: Path | None):
    from connectors.config import load_sources

    return load_sources(config or settings.sources_path())


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="World seed: the same seed gives the same world.")] = 7,
    scale: Annotated[float, typer.Option(help="World size (1 = about 200 orders).")] = 1.0,
) -> None:
    """Generate a world, serve it from simulated platforms and sync it through Airflow."""
    from tracehub.demo import run_demo

    run_demo(seed=seed, scale=scale, console=console)


@app.command("sync")
def sync_cmd(
    source: str,
    entity: Annotated[
        list[str] | None, typer.Option("--entity", help="Entity to sync (repeatable; default all).")
    ] = None,
    config: ConfigOption = None,
    full: Annotated[bool, typer.Option("--full", help="Re-pull everything, ignoring the cursor (a backfill).")] = False,
) -> None:
    """Sync a source now, outside the scheduler, with a progress bar per entity."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from connectors.registry import build_connector
    from tracehub.pipeline import sync

    cfg = _sources(config).get(source)
    entities = entity or cfg.entities
    unknown = [e for e in entities if e not in cfg.entities]
    if unknown:
        raise LookupError(f"source {source!r} does not sync {unknown}; configured entities: {cfg.entities}")
    connector = build_connector(cfg)
    rows = []
    with (
        _store() as store,
        Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as bar,
    ):
        for name in entities:
            task = bar.add_task(f"{source}/{name}: pulling")

            def update(summary: Any, task: Any = task, name: str = name) -> None:
                bar.update(
                    task,
                    description=f"{source}/{name}: {summary.pulled} pulled, {summary.loaded} loaded, "
                    f"{summary.unchanged} unchanged, {summary.quarantined} quarantined",
                )

            summary = sync(cfg, name, store, connector, on_batch=update, full=full)
            update(summary)
            rows.append([source, name, summary.pulled, summary.loaded, summary.unchanged, summary.quarantined])
    console.print(report.table("sync", ["source", "entity", *report.RUN_COUNTS], rows, report.RUN_COUNTS))


@app.command()
def check(source: str, config: ConfigOption = None) -> None:
    """Test a source's connection and credentials with one cheap authenticated call."""
    from connectors.registry import build_connector

    console.print(f"[green]ok[/] {build_connector(_sources(config).get(source)).check()}")


@app.command()
def stats(as_json: JsonOption = False) -> None:
    """Row counts per entity and the latest run of every source entity."""
    from trace_store import queries

    with _store() as store:
        data = queries.stats(store)
    if as_json:
        _print_json(data)
        return
    console.print(report.table("store", ["entity", "rows"], data["entities"].items(), ["rows"]))
    console.print(report.runs_table(data["runs"], title="latest runs"))
    console.print(report.rules_table(data["quarantine_by_rule"]))


@app.command()
def export(
    entity: str,
    fmt: Annotated[str, typer.Option("--format", help="Output format.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default stdout).")] = None,
) -> None:
    """Export canonical records of one entity as JSON lines."""
    from data_dictionary.models import ENTITY_MODELS
    from trace_store import queries

    if fmt != "jsonl":
        raise typer.BadParameter(f"unknown format {fmt!r}; supported: jsonl", param_hint="--format")
    if entity not in ENTITY_MODELS:
        raise typer.BadParameter(f"unknown entity {entity!r}; choose from {sorted(ENTITY_MODELS)}", param_hint="ENTITY")
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    count = 0
    with _store() as store:
        for row in queries.export(store, entity):
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            count += 1
    if output:
        out.close()
        err.print(f"wrote {count} {entity} records to {output}")


@quarantine_app.command("list")
def quarantine_list(as_json: JsonOption = False) -> None:
    """Open quarantined records with every rule they failed."""
    from trace_store import queries

    with _store() as store:
        rows = queries.quarantine_rows(store)
    if as_json:
        _print_json(rows)
        return
    console.print(
        report.table(
            f"open quarantine ({len(rows)})",
            ["id", "source", "entity", "record", "rules", "first failure"],
            ([r["id"], r["source"], r["entity"], r["external_id"], r["rules"], _first_failure(r)] for r in rows),
        )
    )


def _first_failure(row: dict[str, Any]) -> str:
    failures = row.get("failures") or []
    if not failures:
        return ""
    f = failures[0]
    return f"{f['field']}: {f['message']}"


@trace_app.command("lot")
def trace_lot(gtin: str, lot: str, as_json: JsonOption = False) -> None:
    """Customers that received a lot: quantities, dates, shipment and order numbers."""
    from trace_store import queries

    with _store() as store:
        deliveries = queries.trace_lot(store, gtin, lot)
    if as_json:
        _print_json({"gtin": gtin, "lot": lot, "deliveries": [asdict(d) for d in deliveries]})
        return
    if not deliveries:
        err.print(f"no shipments of GTIN {gtin} lot {lot!r} in the store")
        raise typer.Exit(1)
    console.print(report.trace_table(gtin, lot, deliveries))


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
        _print_json(data)
    else:
        console.print(report.table("UDI", ["field", "value"], ([k, v] for k, v in data.items() if k != "errors")))
        for message in errors:
            err.print(f"[red]error:[/] {message}")
    if errors:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the trace store schema to the latest revision."""
    with _store():
        pass
    console.print(f"store at {_redact(settings.db_url())} is up to date")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def dictionary() -> None:
    """Print the data dictionary as Markdown."""
    from data_dictionary.dictionary import render_markdown

    sys.stdout.write(render_markdown())
