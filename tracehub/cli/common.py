"""What every command module shares: the Typer apps, consoles, the store and JSON output."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

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
    """The trace store, migrated to the latest schema; a URL it cannot be opened at is a ConfigError."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from connectors.errors import ConfigError
    from trace_store.store import Store

    try:
        store = Store.open(settings.db_url())
    except (ArgumentError, NoSuchModuleError) as exc:
        raise ConfigError(
            f"TRACEHUB_DB_URL is not a database URL Tracehub can use ({exc}); "
            "e.g. postgresql+psycopg://user@host/db or sqlite:////path/to/tracehub.db"
        ) from None
    except OSError as exc:  # the folder of a SQLite file cannot be made
        raise ConfigError(store_failure(f"{exc.strerror or exc}: {exc.filename}")) from None
    try:
        store.upgrade()
        yield store
    finally:
        store.close()


def store_failure(reason: str) -> str:
    """What went wrong with the trace store, where (password hidden) and what to check."""
    return (
        f"cannot use the trace store at {redacted_store_url()}: {reason}; "
        "check TRACEHUB_DB_URL and that the database is running and reachable"
    )


class OutputError(Exception):
    """An output file that cannot be written: its path and the operating system's reason."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(
            f"cannot write {path}: {error.strerror or error}; give a file path in a folder that exists "
            "and that you can write to"
        )


def writable(path: Path | None) -> None:
    """OutputError now, before any work is done or recorded, if `path` cannot be written.

    Opens for appending (which neither truncates an existing file nor leaves a new one behind).
    """
    if path is None:
        return
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise OutputError(path, exc) from None
    if not existed:
        path.unlink(missing_ok=True)


@contextmanager
def output_file(path: Path | None, newline: str | None = None) -> Iterator[IO[str]]:
    """`path` open for writing (stdout when None); OutputError if it cannot be opened."""
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8", newline=newline)
    except OSError as exc:
        raise OutputError(path, exc) from None
    with handle:
        yield handle


def redacted_store_url() -> str:
    """The trace store's URL as it may be shown: without its password."""
    from sqlalchemy.engine import make_url

    return make_url(settings.db_url()).render_as_string(hide_password=True)


def print_error(message: str) -> None:
    """`error: message` on stderr as one line: never wrapped, never read as markup."""
    err.print(f"[red]error:[/] {escape(' '.join(message.split()))}", soft_wrap=True, highlight=False)


def sources(config: Path | None) -> Any:
    from connectors.config import load_sources

    return load_sources(config or settings.sources_path())


@contextmanager
def working(description: str, unit: str = "") -> Iterator[Callable[[int], None]]:
    """A spinner on stderr with the elapsed time (and a running count of `unit` when advanced).

    For the commands whose length is not known in advance; stdout stays clean for the result.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    counter = [TextColumn("{task.completed} " + unit)] if unit else []
    columns = (SpinnerColumn(), TextColumn("{task.description}", markup=False), *counter, TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=json_scalar) + "\n")
