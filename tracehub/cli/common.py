"""What every command module shares: the Typer apps, consoles, the store and JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from data_dictionary.jsonable import json_scalar
from pipeline import settings

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


@contextmanager
def open_store() -> Iterator[Any]:
    from trace_store.store import Store

    store = Store.open(settings.db_url())
    try:
        store.upgrade()
        yield store
    finally:
        store.close()


def sources(config: Path | None) -> Any:
    from connectors.config import load_sources

    return load_sources(config or settings.sources_path())


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=json_scalar) + "\n")
