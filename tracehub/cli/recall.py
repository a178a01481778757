"""`tracehub recall`: record a recall, show who received the recalled units and what is left, close it.

A lot or serial already under an open recall is refused with the recalls it is in, unless
`--allow-duplicate` confirms a further recall of the same units is meant (the console asks the same).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tracehub import report
from tracehub.cli.common import (
    JsonOption,
    app,
    console,
    err,
    open_store,
    output_file,
    print_error,
    print_json,
    writable,
)
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
    consignees = "consignees"


class Language(StrEnum):
    en = "en"
    zh = "zh"


FormatOption = Annotated[
    Format,
    typer.Option("--format", help="Report format (consignees: the consignee list as CSV for Excel, UTF-8 with BOM)."),
]
LangOption = Annotated[
    Language, typer.Option("--lang", help="Language of the html and consignees reports (headers, device names).")
]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")]


@recall_app.command("create")
def create(
    gtin: Annotated[str, typer.Option("--gtin", help="GTIN-14 of the recalled device.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the units are recalled.")],
    lots: Annotated[list[str] | None, typer.Option("--lot", help="A recalled lot (repeatable).")] = None,
    serials: Annotated[list[str] | None, typer.Option("--serial", help="A recalled serial (repeatable).")] = None,
    actor: ActorOption = None,
    allow_duplicate: Annotated[
        bool,
        typer.Option("--allow-duplicate", help="Record it even if a lot or serial is already under an open recall."),
    ] = False,
    fmt: FormatOption = Format.table,
    lang: LangOption = Language.en,
    output: OutputOption = None,
) -> None:
    """Record a recall of lots and/or serials of one GTIN, mark them recalled, and print its impact."""
    from traceability.recall import DuplicateRecall, RecallError, create_recall, impact

    writable(output)  # before the recall is recorded: a failed write must not leave a recall to re-create
    with open_store() as store:
        try:
            recall_id = create_recall(
                store, gtin, lots or [], serials or [], reason, actor_name(actor), allow_duplicate=allow_duplicate
            )
        except DuplicateRecall as exc:
            print_error(f"{exc}; nothing was recorded. Close the open recall, or pass --allow-duplicate")
            raise typer.Exit(1) from None
        except RecallError as exc:
            print_error(f"{exc}; nothing was recorded")
            raise typer.Exit(1) from None
        err.print(f"recorded recall {recall_id}")
        _emit(store, impact(store, recall_id), fmt, lang, output)


@recall_app.command("close")
def close(
    recall_id: int,
    reason: Annotated[str, typer.Option("--reason", help="How the recall ended (audited).")],
    actor: ActorOption = None,
) -> None:
    """Close an open recall with the reason it ended; its lots and serials stay marked recalled."""
    from traceability.recall import RecallError, close_recall

    with open_store() as store:
        try:
            closed = close_recall(store, recall_id, reason, actor_name(actor))
        except (RecallError, LookupError) as exc:
            print_error(f"{exc}; nothing changed")
            raise typer.Exit(1) from None
    err.print(f"closed recall {recall_id} by {closed.closed_by}")


@recall_app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Every recall, newest first."""
    from dataclasses import asdict

    from traceability.recall import list_recalls
    from tracehub.recall_report import local_time

    with open_store() as store:
        recalls = list_recalls(store)
    if as_json:
        print_json([asdict(r) for r in recalls])
        return
    console.print(
        report.table(
            "recalls",
            ["id", "status", "created", "by", "reason", "items", "closed"],
            (
                [
                    r.recall_id,
                    r.status,
                    local_time(r.created_at),
                    r.created_by,
                    r.reason,
                    ", ".join(i.label for i in r.items),
                    f"{local_time(r.closed_at)} {r.closed_by}: {r.close_reason}" if r.closed_at else "",
                ]
                for r in recalls
            ),
            ["id"],
        )
    )


@recall_app.command("show")
def show(
    recall_id: int, fmt: FormatOption = Format.table, lang: LangOption = Language.en, output: OutputOption = None
) -> None:
    """The impact report of a recorded recall."""
    from traceability.recall import impact

    writable(output)
    with open_store() as store:
        _emit(store, impact(store, recall_id), fmt, lang, output)


def _emit(store: Any, result: object, fmt: Format, lang: Language, output: Path | None) -> None:
    from trace_store.queries import device_names
    from traceability.recall import ImpactReport
    from tracehub.recall_report import render, report_gtins, tables

    assert isinstance(result, ImpactReport)
    if fmt is Format.table and output is None:
        for t in tables(result):
            console.print(t)
        return
    names = device_names(store, report_gtins(result)) if fmt in (Format.html, Format.consignees) else None
    text = render(result, fmt.value, lang.value, names)
    with output_file(output) as out:
        out.write(text)
    if output is not None:
        err.print(f"wrote the {fmt.value} report of recall {result.recall.recall_id} to {output}")
