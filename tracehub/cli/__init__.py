"""The `tracehub` command line: sync, inspect and trace, with errors a person can act on.

Commands live in one module per group; importing them registers them on the Typer app.
"""

from __future__ import annotations

import sys

import typer

from tracehub.cli import (  # noqa: F401 - registers the commands
    audit,
    data,
    docs,
    findings,
    mapping,
    quarantine,
    recall,
    reconcile,
    serve,
    sync,
    trace,
    udi,
    users,
)
from tracehub.cli.common import app, err


def main() -> None:
    """Entry point that turns known errors into one clear line and exit code 1, not a traceback."""
    from connectors.config import ConfigError
    from connectors.errors import ConnectorError
    from steward import StewardError
    from trace_store.store import ConservationError
    from traceability.findings import FindingConfigError

    try:
        code = app(standalone_mode=False)
        if isinstance(code, int):
            sys.exit(code)
    except (ConfigError, ConnectorError, ConservationError, FindingConfigError, LookupError, StewardError) as exc:
        err.print(f"[red]error:[/] {exc}")
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
