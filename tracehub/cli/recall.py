"""`tracehub recall`: record a recall, and show who received the recalled units and what is left."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, app, console, err, open_store, output_file, print_json, writable
from tracehub.cli.quarantine import ActorOption, actor_name

recall_app = typer.Typer(
    help="Recalls and their impact: consignees, stock on hand, mass balance.", no_args_is_help=True
)
app.add_typer(recall_app, name="recall")


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


FormatOption = Annotated[Format, typer.Option("--format", help="Report format.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")]


@recall_app.command("create")
def create(
    gtin: Annotated[str, typer.Option("--gtin", help="GTIN-14 of the recalled device.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the units are recalled.")],
    lots: Annotated[list[str] | None, typer.Option("--lot", help="A recalled lot (repeatable).")] = None,
    serials: Annotated[list[str] | None, typer.Option("--serial", help="A recalled serial (repeatable).")] = None,
    actor: ActorOption = None,
    fmt: FormatOption = Format.table,
    output: OutputOption = None,
) -> None:
    """Record a recall of lots and/or serials of one GTIN, mark them recalled, and print its impact."""
    from traceability.recall import RecallError, create_recall, impact

    writable(output)  # before the recall is recorded: a failed write must not leave a recall to re-create
    with open_store() as store:
        try:
            recall_id = create_recall(store, gtin, lots or [], serials or [], reason, actor_name(actor))
        except RecallError as exc:
            err.print(f"[red]error:[/] {exc}; nothing was recorded")
            raise typer.Exit(1) from None
        err.print(f"recorded recall {recall_id}")
        _emit(impact(store, recall_id), fmt, output)


@recall_app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Every recall, newest first."""
    from dataclasses import asdict

    from traceability.recall import list_recalls

    with open_store() as store:
        recalls = list_recalls(store)
    if as_json:
        print_json([asdict(r) for r in recalls])
        return
    console.print(
        report.table(
            "recalls",
            ["id", "status", "created", "by", "reason", "items"],
            (
                [
                    r.recall_id,
                    r.status,
                    r.created_at.isoformat(timespec="seconds"),
                    r.created_by,
                    r.reason,
                    ", ".join(i.label for i in r.items),
                ]
                for r in recalls
            ),
            ["id"],
        )
    )


@recall_app.command("show")
def show(recall_id: int, fmt: FormatOption = Format.table, output: OutputOption = None) -> None:
    """The impact report of a recorded recall."""
    from traceability.recall import impact

    writable(output)
    with open_store() as store:
        _emit(impact(store, recall_id), fmt, output)


def _emit(result: object, fmt: Format, output: Path | None) -> None:
    from traceability.recall import ImpactReport
    from tracehub.recall_report import render, tables

    assert isinstance(result, ImpactReport)
    if fmt is Format.table and output is None:
        for t in tables(result):
            console.print(t)
        return
    text = render(result, fmt.value)
    with output_file(output) as out:
        out.write(text)
    if output is not None:
        err.print(f"wrote the {fmt.value} report of recall {result.recall.recall_id} to {output}")
