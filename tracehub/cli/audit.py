"""`tracehub audit`: read the tamper-evident audit log and verify its hash chain."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, app, console, err, open_store, print_json, working

audit_app = typer.Typer(
    help="The hash-chained audit log: who did what, and proof it was not edited.", no_args_is_help=True
)
app.add_typer(audit_app, name="audit")


@audit_app.command("log")
def audit_log(
    entity: Annotated[
        str | None, typer.Option("--entity", help="Only entries about this entity (order, user, ...).")
    ] = None,
    key: Annotated[str | None, typer.Option("--key", help="Only this key (e.g. shop/1234 for a record).")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only entries by this actor.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many entries, newest first.")] = 200,
    as_json: JsonOption = False,
) -> None:
    """Audit entries, newest first."""
    from steward import audit_entries

    with open_store() as store:
        rows = audit_entries(store, entity=entity, key=key, actor=actor, limit=limit)
    if as_json:
        print_json(rows)
        return
    console.print(
        report.table(
            f"audit log ({len(rows)} entries)",
            ["seq", "at", "actor", "action", "entity", "key", "details"],
            (
                [
                    r["seq"],
                    report.when(r["at"], seconds=True),
                    r["actor"],
                    r["action"],
                    r["entity"],
                    r["key"],
                    json.dumps(r["details"])[:80],
                ]
                for r in rows
            ),
            ["seq"],
            wrap=["at", "key", "details"],
            keep=["seq", "at", "actor", "action", "key", "details", "entity"],
        )
    )


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 naming the first entry that was altered, removed or relinked."""
    from steward import verify_audit

    with open_store() as store, working("verifying the audit log's hash chain"):
        result = verify_audit(store)
    if not result.ok:
        err.print(
            f"[red]audit log broken at entry {result.broken_seq}[/]: {result.reason} "
            f"({result.checked} entries before it verified)"
        )
        raise typer.Exit(1)
    console.print(f"[green]audit log intact[/]: {result.checked} entries verified")
