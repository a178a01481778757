"""`tracehub drill`: a timed mock recall of one lot, from a cold start, recorded for the KPI page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, app, console, open_store, print_error, print_json
from tracehub.cli.quarantine import ActorOption, actor_name
from tracehub.cli.recall import LangOption, Language


@app.command("drill")
def drill(
    seed: Annotated[int | None, typer.Option("--seed", help="Pick the lot at random with this seed.")] = None,
    lot: Annotated[str | None, typer.Option("--lot", help="Drill this lot instead of a random one.")] = None,
    gtin: Annotated[
        str | None, typer.Option("--gtin", help="The lot's GTIN (when the lot number is not unique).")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the drill's report files.")] = Path("drills"),
    lang: LangOption = Language.en,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mock recall: time each step to a complete consignee list (target under a minute); records no recall."""
    from dataclasses import asdict

    from tracehub.drill import process_age, run_drill

    startup = process_age()
    try:
        result = run_drill(
            open_store,
            out_dir,
            actor_name(actor),
            seed=seed,
            lot=lot,
            gtin=gtin,
            lang=lang.value,
            startup_seconds=startup,
        )
    except LookupError as exc:
        print_error(f"{str(exc).strip(chr(39))}; no drill was recorded")
        raise typer.Exit(1) from None
    if as_json:
        print_json({**asdict(result), "files": [str(f) for f in result.files], "seconds_total": result.seconds_total})
        return
    console.print(
        f"drill {result.drill_id}: lot {result.lot} of {result.gtin}: {result.consignees} consignees, "
        f"{result.shipments} shipments; consignee list complete after {result.seconds_to_consignees:.2f} s "
        f"(target under 60 s), all steps {result.seconds_total:.2f} s",
        soft_wrap=True,
        highlight=False,
    )
    steps = ([s.name, f"{s.seconds:.3f}"] for s in result.steps)
    console.print(report.table("drill steps", ["step", "seconds"], steps, ["seconds"]))
    for f in result.files:
        console.print(f"wrote {f}", soft_wrap=True, highlight=False)
