"""`tracehub map`: a mapping dry run for integration engineers; never touches the store."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from tracehub import report
from tracehub.cli.common import ConfigOption, JsonOption, app, console, err, print_json, sources


@app.command("map")
def map_dry_run(
    entity: Annotated[str, typer.Option("--entity", help="Canonical entity (order, shipment, lot, ...).")],
    payload: Annotated[
        Path, typer.Option("--payload", help="JSON file with one platform payload or a list of them ('-': stdin).")
    ],
    source: Annotated[str | None, typer.Option("--source", help="Configured source; gives the platform kind.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Platform kind instead of --source (shopify, ...).")
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Map and validate sample payloads as a sync would, and print the canonical records or every error.

    With --source the source's time zone and field map apply. The store is not read: a SKU is
    not resolved to its device here, so rules that need the device master are not checked.
    """
    from mappings import get_mapping
    from pipeline.checks import check_payloads, mapping_for

    if (source is None) == (kind is None):
        raise typer.BadParameter("give exactly one of --source and --kind", param_hint="--source/--kind")
    payloads = _read_payloads(payload)
    try:
        if source is not None:
            mapping = mapping_for(sources(config).get(source), entity)
        else:
            assert kind is not None
            mapping = get_mapping(kind, entity)
    except ValueError as exc:  # an override spec that does not compile
        raise LookupError(f"the mapping spec for {kind or source}/{entity} is invalid: {exc}") from exc
    now = datetime.now(UTC)
    results = check_payloads(mapping, source or kind or "", entity, [(p, now) for p in payloads])
    ok = all(not r.failures for r in results)
    if as_json:
        print_json(
            {
                "ok": ok,
                "results": [
                    {
                        "records": [rec.model_dump(mode="json") for rec in r.records] if not r.failures else [],
                        "failures": [f.model_dump(mode="json") for f in r.failures],
                    }
                    for r in results
                ],
            }
        )
    else:
        for index, r in enumerate(results):
            label = f"payload {index + 1} of {len(results)}" if len(results) > 1 else "payload"
            if r.failures:
                console.print(
                    report.table(
                        f"{label}: {len(r.failures)} problem(s)",
                        ["rule", "field", "value", "message"],
                        ([f.rule, f.field, _short(f.value), f.message] for f in r.failures),
                    )
                )
            else:
                console.print(f"[green]{label}: ok[/], {len(r.records)} {entity} record(s)")
                print_json([rec.model_dump(mode="json") for rec in r.records])
    if not ok:
        raise typer.Exit(1)


def _read_payloads(path: Path) -> list[dict[str, Any]]:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--payload") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(
            f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", param_hint="--payload"
        ) from exc
    items = data if isinstance(data, list) else [data]
    bad = [i for i, item in enumerate(items) if not isinstance(item, dict)]
    if bad:
        raise typer.BadParameter(f"{path}: item {bad[0]} is not a JSON object", param_hint="--payload")
    if not items:
        err.print(f"{path} holds an empty list: nothing to map")
    return items


def _short(value: Any) -> str:
    text = report.fmt(value)
    return text if len(text) <= 60 else text[:57] + "..."
