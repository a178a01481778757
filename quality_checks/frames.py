"""Flatten canonical records into the frames GX validates, as columns of plain values.

One header frame (a row per record) and one frame per line tuple (`lines`, `inputs`: a row per
line). Every row carries `_rid`, the record's index in the batch, and line rows carry `_line`,
the line's index in its record's tuple, so that a failing row maps back to a field path. Only
the columns the suite reads are built. Decimals become floats (GX compares them numerically;
the reported value is taken from the record, not the frame) and header datetimes copied onto
lines become dates, because line rules compare them with dates such as expiry. The GX worker
makes each frame a pandas DataFrame (`gx_run`), so the process that maps needs no pandas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

from data_dictionary.models import Record

RID = "_rid"
LINE = "_line"


def _columns(items: Sequence[Any], names: Sequence[str]) -> dict[str, list[Any]]:
    """The attributes `names` of every item, column by column, decimals as floats.

    One `attrgetter` call per item reads all its cells at once. A field holds one type (the
    models are validated), so a column whose first value is a decimal is all decimals or None.
    """
    if not names:
        return {}
    read = attrgetter(*names)
    cells = [read(item) for item in items]
    if len(names) == 1:
        columns = [cells]
    else:
        columns = [list(column) for column in zip(*cells, strict=True)] if cells else [[] for _ in names]
    out = {}
    for name, column in zip(names, columns, strict=True):
        first = next((value for value in column if value is not None), None)
        out[name] = [None if v is None else float(v) for v in column] if isinstance(first, Decimal) else column
    return out


def _day(value: Any) -> Any:
    return value.date() if isinstance(value, datetime) else value


def header_frame(records: Sequence[Record], columns: Sequence[str]) -> dict[str, list[Any]]:
    """One row per record: `_rid` plus the requested record fields."""
    return {RID: list(range(len(records))), **_columns(records, columns)}


def line_frame(
    records: Sequence[Record], tuple_name: str, columns: Sequence[str], context: Mapping[str, str]
) -> dict[str, list[Any]]:
    """One row per line of `tuple_name`: `_rid`, `_line`, line fields and header `context` fields.

    `context` maps a line-frame column to the header field it copies (e.g. ship_day: ship_date).
    """
    own = [c for c in columns if c not in context]
    rows = [
        (rid, index, line)
        for rid, record in enumerate(records)
        for index, line in enumerate(getattr(record, tuple_name) or ())
    ]
    data: dict[str, list[Any]] = {RID: [rid for rid, _, _ in rows], LINE: [index for _, index, _ in rows]}
    data.update(_columns([line for _, _, line in rows], own))
    for column, field in context.items():  # the header's value, worked out once per record
        per_record = [_day(getattr(record, field)) for record in records]
        data[column] = [per_record[rid] for rid, _, _ in rows]
    return data
