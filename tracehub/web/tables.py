"""Turn whatever a query returns (dicts, dataclasses, named tuples) into columns and rows for a table.

A page names its columns (`Column`: the field, a header already in the reader's language, and how
to show the value); key columns fill the row, the rest go in the row's expandable details, so a
table fits the page without scrolling sideways. Without named columns every field is a column
under its own name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tracehub.report import fmt

Kind = Literal["text", "gtin", "time"]
"""How _table.html shows a value: as text, as a device (GTIN and names), as a time in the store's zone."""


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    header: str
    key: bool = True
    """Shown as a column; otherwise inside the row's details."""
    kind: Kind = "text"


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    shown: int | None = None
    """How many leading columns the row shows; the others go in its details (None: all shown)."""
    kinds: list[str] = field(default_factory=list)

    @property
    def key_columns(self) -> list[str]:
        return self.columns[: self.shown]

    @property
    def detail_columns(self) -> list[str]:
        return [] if self.shown is None else self.columns[self.shown :]

    def gtins(self) -> set[str]:
        """Every GTIN the table shows, for trace_store.queries.device_names()."""
        at = [i for i, kind in enumerate(self.kinds) if kind == "gtin"]
        return {row[i] for row in self.rows for i in at if row[i]}


def as_dict(item: Any) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    if hasattr(item, "_asdict"):
        return dict(item._asdict())
    if hasattr(item, "_mapping"):
        return dict(item._mapping)
    return {"value": item}


def table(items: Iterable[Any], columns: Sequence[Column] | None = None) -> Table:
    """Rows of `items` under `columns` (key ones first), or every field in first-seen order."""
    dicts = [as_dict(i) for i in items]
    if columns is None:
        names: list[str] = []
        for d in dicts:
            names.extend(k for k in d if k not in names)
        return Table(names, [[cell(d.get(c)) for c in names] for d in dicts])
    ordered = [c for c in columns if c.key] + [c for c in columns if not c.key]
    return Table(
        [c.header for c in ordered],
        [[_shown(d.get(c.field), c.kind) for c in ordered] for d in dicts],
        shown=sum(1 for c in ordered if c.key) if any(not c.key for c in ordered) else None,
        kinds=[c.kind for c in ordered],
    )


def _shown(value: Any, kind: Kind) -> str:
    if kind == "time" and value is not None and hasattr(value, "isoformat"):
        return str(value.isoformat())
    return cell(value)


def cell(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(cell(v) for v in value)
    return fmt(value)
