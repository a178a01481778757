"""Commands that move data in: the demo, syncs and connection checks."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tracehub import report
from tracehub.cli.common import ConfigOption, app, console, err, open_store, sources
from tracehub.demo import DEFAULT_WORLD, WORLDS


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="World seed: the same seed gives the same world.")] = 7,
    scale: Annotated[float, typer.Option(help="World size (1 = about 200 orders).")] = 1.0,
    world: Annotated[
        str,
        typer.Option(
            help="Platforms to serve the world from: "
            + "; ".join(f"{name} ({', '.join(s['kind'] for s in specs.values())})" for name, specs in WORLDS.items()),
            metavar="|".join(WORLDS),
        ),
    ] = DEFAULT_WORLD,
) -> None:
    """Generate a world, serve it from simulated platforms and sync it through Airflow."""
    from tracehub.demo import checkout_problem, run_demo

    if world not in WORLDS:
        err.print(f"[red]error:[/] unknown demo world {world!r}; choose one of: {', '.join(WORLDS)}")
        raise typer.Exit(2)
    problem = checkout_problem()
    if problem:
        err.print(f"[red]error:[/] {problem}")
        raise typer.Exit(1)
    run_demo(seed=seed, scale=scale, console=console, world_name=world)


@app.command("sync")
def sync_cmd(
    source: str,
    entity: Annotated[
        list[str] | None, typer.Option("--entity", help="Entity to sync (repeatable; default all).")
    ] = None,
    config: ConfigOption = None,
    full: Annotated[bool, typer.Option("--full", help="Re-pull everything, ignoring the cursor (a backfill).")] = False,
    wait: Annotated[
        float, typer.Option("--wait", min=0, help="Seconds to wait for a run of the same entity already going.")
    ] = 0,
) -> None:
    """Sync a source now, outside the scheduler, with a progress bar per entity."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from connectors.registry import build_connector
    from pipeline import settings
    from pipeline.maintenance import refresh_after_load
    from pipeline.sync import sync
    from quality_checks.data_docs import refresh_data_docs
    from tracehub.cli.findings import print_refresh

    configured = sources(config)
    cfg = configured.get(source)
    entities = entity or cfg.entities
    unknown = [e for e in entities if e not in cfg.entities]
    if unknown:
        raise LookupError(f"source {source!r} does not sync {unknown}; configured entities: {cfg.entities}")
    connector = build_connector(cfg)
    rows = []
    with (
        open_store() as store,
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

            summary = sync(cfg, name, store, connector, on_batch=update, full=full, wait_seconds=wait)
            update(summary)
            rows.append([source, name, summary.pulled, summary.loaded, summary.unchanged, summary.quarantined])
        findings = refresh_after_load(store, sources={(s.name, e) for s in configured.sources for e in s.entities})
    console.print(report.table("sync", ["source", "entity", *report.RUN_COUNTS], rows, report.RUN_COUNTS))
    index = refresh_data_docs(settings.data_docs_dir())
    if index is not None:
        console.print(f"Data Docs: {index}")
    print_refresh(findings)


@app.command()
def check(source: str, config: ConfigOption = None) -> None:
    """Test a source's connection and credentials with one cheap authenticated call."""
    from connectors.registry import build_connector

    console.print(f"[green]ok[/] {build_connector(sources(config).get(source)).check()}")
