"""Terminal tables shared by the CLI and the demo, so both show the same figures the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from rich.table import Table

from connectors.metrics import totals
from data_dictionary.jsonable import json_scalar

RUN_COUNTS = ("pulled", "loaded", "unchanged", "quarantined")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Iterable[str] = ()) -> Table:
    numeric = set(numeric)
    out = Table(title=title)
    for column in columns:
        out.add_column(column, justify="right" if column in numeric else "left")
    for row in rows:
        out.add_row(*[fmt(v) for v in row])
    return out


def fmt(value: Any) -> str:
    """Plain text for a cell: no trailing decimal zeros, dates without time, blanks for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(json_scalar(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


REQUEST_FIGURES = ("requests", "throttled", "retries", "latency_ms_avg", "latency_ms_max")
"""What each run asked its platform (connectors/metrics.py): requests, 429s, retries, latency."""


def runs_table(runs: Sequence[Mapping[str, Any]], title: str = "latest sync per source and entity") -> Table:
    columns = [*RUN_COUNTS, "requests", "429s", "retries", "avg ms", "max ms"]
    return table(
        title,
        ["source", "entity", "status", *columns],
        ([r["source"], r["entity"], r["status"], *(r[k] for k in RUN_COUNTS), *_request_figures(r)] for r in runs),
        columns,
    )


def _request_figures(run: Mapping[str, Any]) -> list[Any]:
    if not run.get("requests"):
        return [None] * len(REQUEST_FIGURES)
    figures = totals(run["requests"])
    return [figures[k] for k in REQUEST_FIGURES]


def rules_table(by_rule: Mapping[str, int]) -> Table:
    return table("open quarantine by rule", ["rule", "records"], by_rule.items(), ["records"])


def trace_table(gtin: str, lot: str, deliveries: Sequence[Any]) -> Table:
    units = sum((d.qty for d in deliveries), Decimal(0))
    customers = len({d.customer for d in deliveries})
    return table(
        f"lot {lot} of GTIN {gtin}: {fmt(units)} units to {customers} customers",
        ["customer", "region", "qty", "ship date", "shipment", "order"],
        ([d.customer, d.region, d.qty, d.ship_date.date(), d.shipment_id, d.order_number] for d in deliveries),
        ["qty"],
    )
