"""`tracehub airflow init`: the pools and connections the sources file needs, created idempotently."""

from __future__ import annotations

import typer

from tracehub import report
from tracehub.cli.common import ConfigOption, app, console, err, sources

airflow_app = typer.Typer(help="Prepare Airflow for the configured sources.", no_args_is_help=True)
app.add_typer(airflow_app, name="airflow")


@airflow_app.command("init")
def airflow_init(config: ConfigOption = None) -> None:
    """Create or update one pool per source and each source's Airflow connection; safe to run again.

    A connection is created with its token from TRACEHUB_SECRET_<CONN_ID>; one given as
    AIRFLOW_CONN_<CONN_ID> in the environment needs nothing. Exits 1 when a connection is missing.
    """
    from pipeline.provision import provision

    steps = provision(sources(config))
    console.print(
        report.table("airflow init", ["what", "outcome", "detail"], ([s.what, s.outcome, s.detail] for s in steps))
    )
    missing = [s for s in steps if s.outcome == "missing"]
    for step in missing:
        err.print(f"[red]error:[/] {step.what} is missing: {step.detail}")
    if missing:
        raise typer.Exit(1)
