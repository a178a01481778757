"""Terminal tables shared by the CLI and the demo, so both show the same figures the same way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table

from connectors.metrics import totals
from data_dictionary.jsonable import json_scalar
from pipeline import settings

RUN_COUNTS = ("pulled", "loaded", "unchanged", "quarantined")


GAP = 2
"""Spaces between two columns (a simple header rule, no vertical lines: width goes to the data)."""
WRAP_MIN = 14
"""Narrowest a free-text column (a name, a reason) is made before a column is left out instead."""
WORD_MAX = 20
"""A word (a rule name, a path in a message) is kept whole up to this length."""


class FittedTable:
    """A table that fits the terminal it is printed on (80 columns included), chosen at print time.

    Identifiers and numbers (GTINs, lots, shipment and order numbers, dates, quantities) are never
    cut or wrapped: a shortened lot number in a recall list is a wrong lot number. Free text in
    the `wrap` columns wraps. When even then the table is too wide, the least important columns
    (the end of `keep`) are left out and the caption names them.
    """

    def __init__(
        self,
        title: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        numeric: Iterable[str] = (),
        wrap: Iterable[str] = (),
        keep: Sequence[str] | None = None,
    ) -> None:
        self.title, self.columns = title, list(columns)
        self.caption: str | None = None
        self.rows = [[fmt(v) for v in row] for row in rows]
        self.numeric, self.wrap = set(numeric), set(wrap)
        self.keep = list(keep or self.columns)
        self.keep += [c for c in self.columns if c not in self.keep]

    def _widths(self, index: int) -> tuple[int, int]:
        """(narrowest, natural) width of a column: identifiers never narrower than their longest cell."""
        name = self.columns[index]
        cells = [cell_len(line) for row in self.rows for line in row[index].splitlines() or [""]]
        natural = max([cell_len(name), *cells])
        header = max(cell_len(word) for word in name.split() or [""])
        if name not in self.wrap:
            return max([header, *cells]), natural
        longest_word = max((cell_len(w) for row in self.rows for w in row[index].split()), default=0)
        return max(header, min(max(cells, default=0), WRAP_MIN), min(longest_word, WORD_MAX)), natural

    def layout(self, width: int) -> dict[int, int]:
        """Column index -> width at `width`: the most important columns that fit, the rest left out.

        Every column starts at its narrowest; the room left goes first to whole headers, then to
        the free-text columns in proportion to what they could still use.
        """
        sizes = {i: self._widths(i) for i in range(len(self.columns))}
        kept = [self.columns.index(name) for name in self.keep]
        while len(kept) > 1 and sum(sizes[i][0] for i in kept) + GAP * (len(kept) - 1) > width:
            kept.pop()
        widths = {i: sizes[i][0] for i in sorted(kept)}
        room = width - sum(widths.values()) - GAP * (len(widths) - 1)
        for i in widths:
            if self.columns[i] not in self.wrap:
                grow = min(room, sizes[i][1] - widths[i])
                widths[i], room = widths[i] + grow, room - grow
        wanting = {i: sizes[i][1] - widths[i] for i in widths if sizes[i][1] > widths[i]}
        total = sum(wanting.values())
        for i, want in wanting.items():
            widths[i] += min(want, room * want // total)
        return widths

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self.layout(options.max_width)
        left_out = [c for i, c in enumerate(self.columns) if i not in widths]
        note = f"not shown at this width: {', '.join(left_out)} (widen the terminal, or --json)" if left_out else None
        out = Table(
            title=self.title,
            caption="\n".join(c for c in (self.caption, note) if c) or None,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            collapse_padding=True,
            title_justify="left",
            caption_justify="left",
        )
        for i, width in widths.items():
            name = self.columns[i]
            out.add_column(name, justify="right" if name in self.numeric else "left", overflow="fold", width=width)
        for row in self.rows:
            out.add_row(*[row[i] for i in widths])
        yield out


def table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric: Iterable[str] = (),
    *,
    wrap: Iterable[str] = (),
    keep: Sequence[str] | None = None,
) -> FittedTable:
    """A terminal table; see FittedTable for how it fits the width (`keep`: most important first)."""
    return FittedTable(title, columns, rows, numeric, wrap, keep)


def fmt(value: Any) -> str:
    """Plain text for a cell: no trailing decimal zeros, times in the configured zone, blanks for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(json_scalar(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return when(value, seconds=True)
    return str(value)


def when(value: datetime | str | None, seconds: bool = False) -> str:
    """A stored UTC time in the zone people read (`TRACEHUB_TIMEZONE`), to the minute or second, zone named."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(settings.timezone())
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


REQUEST_FIGURES = ("requests", "throttled", "retries", "latency_ms_avg", "latency_ms_max")
"""What each run asked its platform (connectors/metrics.py): requests, 429s, retries, latency."""


def runs_table(runs: Sequence[Mapping[str, Any]], title: str = "latest sync per source and entity") -> FittedTable:
    columns = [*RUN_COUNTS, "requests", "429s", "retries", "avg ms", "max ms"]
    return table(
        title,
        ["source", "entity", "status", *columns],
        ([r["source"], r["entity"], r["status"], *(r[k] for k in RUN_COUNTS), *_request_figures(r)] for r in runs),
        columns,
        keep=["source", "entity", "status", "loaded", "quarantined", "pulled", "unchanged", "429s", "requests"],
    )


def _request_figures(run: Mapping[str, Any]) -> list[Any]:
    if not run.get("requests"):
        return [None] * len(REQUEST_FIGURES)
    figures = totals(run["requests"])
    return [figures[k] for k in REQUEST_FIGURES]


def rules_table(by_rule: Mapping[str, int]) -> FittedTable:
    return table("open quarantine by rule", ["rule", "records"], by_rule.items(), ["records"])


def trace_table(gtin: str, lot: str, deliveries: Sequence[Any]) -> FittedTable:
    units = sum((d.qty for d in deliveries), Decimal(0))
    customers = len({d.customer for d in deliveries})
    return table(
        f"lot {lot} of GTIN {gtin}: {fmt(units)} units to {customers} customers",
        ["customer", "region", "qty", "ship date", "shipment", "order"],
        ([d.customer, d.region, d.qty, d.ship_date.date(), d.shipment_id, d.order_number] for d in deliveries),
        ["qty"],
        wrap=["customer"],
        keep=["customer", "qty", "ship date", "shipment", "order", "region"],
    )
