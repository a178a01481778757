"""`tracehub findings`: cross-record findings with their first-seen and resolved times."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tracehub import report
from tracehub.cli.common import JsonOption, app, console, err, open_store, print_json

DETAIL_WIDTH = 90


@app.command("findings")
def findings_cmd(
    as_json: JsonOption = False,
    status: Annotated[str, typer.Option("--status", help="open, resolved or all.")] = "open",
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule's findings.")] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Re-evaluate the rules first (and notify the webhook).")
    ] = False,
) -> None:
    """Findings across sources: expired, unreleased or recalled lots shipped, serials shipped twice, ..."""
    from pipeline.maintenance import refresh_after_load
    from traceability.findings import list_findings

    with open_store() as store:
        refreshed = refresh_after_load(store) if refresh else None
        rows = list_findings(store, status=status, rule=rule)
    if as_json:
        print_json(rows)
        return
    if refreshed is not None:
        print_refresh(refreshed)
    console.print(
        report.table(
            f"{status} findings ({len(rows)})",
            ["id", "rule", "severity", "key", "first seen", "resolved", "notified", "details"],
            (
                [
                    r["id"],
                    r["rule"],
                    r["severity"],
                    r["key"],
                    _short_time(r["first_seen_at"]),
                    _short_time(r["resolved_at"]),
                    _short_time(r["notified_at"]),
                    _details(r["details"]),
                ]
                for r in rows
            ),
        )
    )


def print_refresh(out: dict[str, Any]) -> None:
    """One line on what a findings refresh changed, plus any webhook problem."""
    line = f"findings: {out['opened']} opened, {out['resolved']} resolved, {out['still_open']} still open"
    if out["notified"]:
        line += f"; {out['notified']} critical sent to the webhook"
    console.print(line)
    if out["skipped_rules"]:
        err.print(f"[yellow]not evaluated (tables missing):[/] {', '.join(out['skipped_rules'])}")
    if "webhook_error" in out:
        err.print(f"[yellow]warning:[/] {out['webhook_error']}")


def _short_time(value: str | None) -> str | None:
    return value[:19].replace("T", " ") if value else None


def _details(details: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in details.items() if v is not None and not isinstance(v, list | dict))
    return text if len(text) <= DETAIL_WIDTH else text[: DETAIL_WIDTH - 1] + "…"
