"""The `tracehub` command line: sync, inspect and trace, with errors a person can act on.

Commands live in one module per group; importing them registers them on the Typer app.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from tracehub.cli import (  # noqa: F401 - registers the commands
    airflow,
    audit,
    data,
    docs,
    drill,
    findings,
    mapping,
    push,
    quarantine,
    recall,
    reconcile,
    serve,
    sync,
    trace,
    udi,
    users,
)
from tracehub.cli.common import OutputError, app, err, print_error, store_failure

if TYPE_CHECKING:
    from sqlalchemy.exc import InterfaceError, OperationalError


def main() -> None:
    """Entry point that turns known errors into one clear line and exit code 1, not a traceback."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from connectors.config import ConfigError
    from connectors.errors import ConnectorError
    from steward import StewardError
    from trace_store.errors import StoreError
    from traceability.findings import FindingConfigError

    known = (ConfigError, ConnectorError, StoreError, FindingConfigError, LookupError, OutputError, StewardError)
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int):
            sys.exit(code)
    except known as exc:
        print_error(str(exc))
        sys.exit(1)
    except (OperationalError, InterfaceError) as exc:
        print_error(_store_failure(exc))
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # usage errors: Typer bundles its own click, so match by shape, not class
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise


def _store_failure(exc: OperationalError | InterfaceError) -> str:
    """The store URL (without password), the driver's own first line, and what to check."""
    from sqlalchemy.engine import make_url

    from pipeline import settings

    lines = [line.strip() for line in str(exc.orig if exc.orig is not None else exc).splitlines() if line.strip()]
    reason = lines[0] if lines else type(exc.orig or exc).__name__
    password = make_url(settings.db_url()).password
    if password:
        reason = reason.replace(str(password), "***")
    return store_failure(reason)
