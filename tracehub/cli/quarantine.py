"""Commands for the data steward: what failed validation and why; replay, accept and reject it."""

from __future__ import annotations

import getpass
import os
from typing import Annotated, Any

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, console, err, open_store, print_json, quarantine_app

ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who is acting, for the audit log (default: TRACEHUB_ACTOR, else the OS user)."),
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why (plain text, at most 500 characters; audited).")]


def actor_name(actor: str | None) -> str:
    """The acting person: --actor, else env TRACEHUB_ACTOR, else the operating-system user."""
    return actor or os.environ.get("TRACEHUB_ACTOR") or getpass.getuser()


@quarantine_app.command("list")
def quarantine_list(
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    entity: Annotated[str | None, typer.Option("--entity", help="Only this entity.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only records that broke this rule.")] = None,
    status: Annotated[
        str, typer.Option("--status", help="open, replayed, accepted, rejected, superseded or all.")
    ] = "open",
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 1000,
    offset: Annotated[int, typer.Option("--offset", help="Skip this many rows first.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Quarantined records (open ones by default), newest first, with every rule they failed."""
    from steward import list_quarantine

    with open_store() as store:
        rows, total = list_quarantine(
            store,
            source=source,
            entity=entity,
            rule=rule,
            status=None if status == "all" else status,
            limit=limit,
            offset=offset,
        )
    if as_json:
        print_json(rows)
        return
    shown = f"{len(rows)} of {total}" if len(rows) < total else str(total)
    console.print(
        report.table(
            f"{status} quarantine ({shown})",
            ["id", "source", "entity", "record", "status", "rules", "first failure"],
            (
                [r["id"], r["source"], r["entity"], r["external_id"], r["status"], ", ".join(r["rules"]), _first(r)]
                for r in rows
            ),
            wrap=["rules", "first failure"],
            keep=["id", "record", "rules", "first failure", "source", "entity", "status"],
        )
    )


@quarantine_app.command("show")
def quarantine_show(qid: Annotated[int, typer.Argument(metavar="ID")], as_json: JsonOption = False) -> None:
    """One record in full: raw payload, mapped record, failed rules and its history."""
    from steward import get_quarantine

    with open_store() as store:
        row = get_quarantine(store, qid)
    if as_json:
        print_json(row)
        return
    console.print(
        f"[bold]quarantine {row['id']}[/]: {row['source']}/{row['entity']} record {row['external_id']} "
        f"is [bold]{row['status']}[/] (raw: {row['raw_status']}"
        f"{', a newer version exists' if row['newer_version'] else ''})"
    )
    if row["resolved_by"]:
        console.print(f"resolved by {row['resolved_by']} at {row['resolved_at']}: {row['resolution_reason'] or ''}")
    if row["status"] == "superseded":
        after = row["successor"]
        console.print(
            f"superseded by quarantine {after['id']} ({after['status']})"
            if after
            else "superseded: the newer version loaded"
        )
    for c in row["earlier_corrections"]:
        console.print(
            f"[yellow]flag[/]: {c['actor']} corrected {c['field']} ({c['old_value']} -> {c['new_value']}) on an "
            "earlier version; the platform sent this one since: check whether it needs the same correction"
        )
    console.print(
        report.table(
            "failed rules",
            ["rule", "field", "value", "severity", "message"],
            ([f["rule"], f["field"], f.get("value"), f.get("severity"), f["message"]] for f in row["failures"]),
            wrap=["value", "message"],
            keep=["rule", "field", "message", "value", "severity"],
        )
    )
    if row["corrections"]:
        console.print(
            report.table(
                "corrections",
                ["at", "actor", "field", "old", "new", "reason", "status"],
                (
                    [c["at"], c["actor"], c["field"], c["old_value"], c["new_value"], c["reason"], c["status"]]
                    for c in row["corrections"]
                ),
            )
        )
    console.print_json(data={"payload": row["payload"], "mapped": row["mapped"]})
    console.print(
        report.table(
            "history",
            ["at", "actor", "action", "from", "to", "reason"],
            ([h["at"], h["actor"], h["action"], h["from_status"], h["to_status"], h["reason"]] for h in row["history"]),
            wrap=["at", "reason"],
        )
    )


@quarantine_app.command("replay")
def quarantine_replay(
    ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="Records to replay (default: all open).")
    ] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only open records that broke this rule.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only open records of this source.")] = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-map and re-validate stored payloads with the current mappings and suites; load what passes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from steward import replay

    with (
        open_store() as store,
        Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), console=err) as bar,
    ):
        task = bar.add_task("replay", total=None)
        result = replay(
            store,
            ids=ids or None,
            rule=rule,
            source=source,
            actor=actor_name(actor),
            on_progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        print_json(
            {
                "replayed": result.replayed,
                "loaded": result.loaded,
                "still_failing": result.still_failing,
                "loaded_ids": result.loaded_ids,
                "still_failing_ids": result.still_failing_ids,
                "superseded_ids": result.superseded_ids,
                "run_ids": result.run_ids,
            }
        )
        return
    console.print(
        f"replayed {result.replayed}: [green]{result.loaded} now pass and loaded[/], "
        f"[yellow]{result.still_failing} still fail[/]"
        + (f", {len(result.superseded_ids)} superseded by a newer version" if result.superseded_ids else "")
    )


@quarantine_app.command("accept")
def quarantine_accept(
    qid: Annotated[int, typer.Argument(metavar="ID")], reason: ReasonOption, actor: ActorOption = None
) -> None:
    """Load a record despite its failed rules, with a justification (audited, marked accepted)."""
    from steward import accept

    with open_store() as store:
        row = accept(store, qid, reason=reason, actor=actor_name(actor))
    console.print(f"record {row['id']} ({row['source']}/{row['external_id']}) accepted and loaded")


@quarantine_app.command("reject")
def quarantine_reject(
    qid: Annotated[int, typer.Argument(metavar="ID")], reason: ReasonOption, actor: ActorOption = None
) -> None:
    """Close a record for good with a reason: it never loads (audited)."""
    from steward import reject

    with open_store() as store:
        row = reject(store, qid, reason=reason, actor=actor_name(actor))
    console.print(f"record {row['id']} ({row['source']}/{row['external_id']}) rejected")


@quarantine_app.command("correct")
def quarantine_correct(
    qid: Annotated[int, typer.Argument(metavar="ID")],
    changes: Annotated[
        list[str], typer.Argument(metavar="FIELD=VALUE...", help="New values: currency=CNY 'lines[0].qty=2'.")
    ],
    reason: ReasonOption,
    record: Annotated[int, typer.Option("--record", help="Which mapped record of the payload (from 1).")] = 1,
    actor: ActorOption = None,
) -> None:
    """Correct field values of an open record, re-validate it with its suite and load it (audited).

    The correction is kept for this version of the record: a re-sync of the same version applies it
    again; a new version from the platform supersedes it and is flagged on the record.
    """
    from steward import CorrectionFailed, StewardError, correct

    parsed: dict[str, str] = {}
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep or not name.strip():
            raise StewardError(f"{change!r} is not FIELD=VALUE (e.g. currency=CNY)")
        parsed[name.strip()] = value
    with open_store() as store:
        try:
            row = correct(store, qid, parsed, reason=reason, actor=actor_name(actor), record_no=record)
        except CorrectionFailed as exc:
            console.print(
                report.table(
                    "the corrected record still fails",
                    ["rule", "field", "value", "message"],
                    ([f.rule, f.field, f.value, f.message] for f in exc.failures),
                )
            )
            raise
    fields = ", ".join(f"{c['field']}: {c['old_value']} -> {c['new_value']}" for c in row["corrections"])
    console.print(f"record {row['id']} ({row['source']}/{row['external_id']}) corrected and loaded ({fields})")


def _first(row: dict[str, Any]) -> str:
    failures = row.get("failures") or []
    if not failures:
        return ""
    f = failures[0]
    return f"{f['field']}: {f['message']}"
