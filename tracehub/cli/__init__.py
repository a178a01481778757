"""The `tracehub` command line: sync, inspect and trace, with errors a person can act on.

Commands live in one module per group; importing them registers them on the Typer app.
"""

from __future__ import annotations

import sys

import typer

from tracehub.cli import data, quarantine, sync, trace, udi  # noqa: F401 - registers the commands
from tracehub.cli.common import app, err


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
