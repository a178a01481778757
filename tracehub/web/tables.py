"""Turn whatever a query returns (dicts, dataclasses, named tuples) into columns and rows for a table."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tracehub.report import fmt


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[str]
    rows: list[list[str]]


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


def table(items: Iterable[Any]) -> Table:
    """Columns in first-seen order; lists joined with commas; everything as display text."""
    dicts = [as_dict(i) for i in items]
    columns: list[str] = []
    for d in dicts:
        columns.extend(k for k in d if k not in columns)
    return Table(columns, [[cell(d.get(c)) for c in columns] for d in dicts])


def cell(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(cell(v) for v in value)
    return fmt(value)
