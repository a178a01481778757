"""Time arithmetic in SQL that means the same on SQLite and PostgreSQL.

SQLite keeps times as fixed-format UTC strings (see coltypes), PostgreSQL as timestamptz; these
helpers hide the difference so reconciliation and findings stay one query per question.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


def seconds_between(dialect: Dialect, later: Any, earlier: Any) -> sa.ColumnElement[float]:
    """`later - earlier` in seconds (a float; negative when `later` is earlier)."""
    if dialect.name == "postgresql":
        return sa.cast(sa.extract("epoch", later - earlier), sa.Float)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


def utc_day(dialect: Dialect, moment: Any) -> sa.ColumnElement[Any]:
    """The UTC calendar date of a UTC timestamp, comparable with DATE columns."""
    if dialect.name == "postgresql":
        return sa.cast(sa.func.timezone("UTC", moment), sa.Date)
    return sa.func.date(moment)
