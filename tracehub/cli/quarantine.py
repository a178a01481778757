"""Commands for the data steward: what failed validation and why."""

from __future__ import annotations

from typing import Any

from tracehub import report
from tracehub.cli.common import JsonOption, console, open_store, print_json, quarantine_app


@quarantine_app.command("list")
def quarantine_list(as_json: JsonOption = False) -> None:
    """Open quarantined records with every rule they failed."""
    from trace_store import queries

    with open_store() as store:
        rows = queries.quarantine_rows(store)
    if as_json:
        print_json(rows)
        return
    console.print(
        report.table(
            f"open quarantine ({len(rows)})",
            ["id", "source", "entity", "record", "rules", "first failure"],
            ([r["id"], r["source"], r["entity"], r["external_id"], r["rules"], _first_failure(r)] for r in rows),
        )
    )


def _first_failure(row: dict[str, Any]) -> str:
    failures = row.get("failures") or []
    if not failures:
        return ""
    f = failures[0]
    return f"{f['field']}: {f['message']}"
