"""Column types shared by the schema and its migrations.

Times are stored in UTC whatever the backend: PostgreSQL keeps `timestamptz`, SQLite keeps a
fixed-format UTC string (so that `>=` in SQL compares correctly), and both give back aware UTC
datetimes, so newer-wins comparisons and hashes agree between the two stores.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

QTY = sa.Numeric(18, 6)
"""Quantities: fractional units (kg, m) happen; six decimals is more than any source sends."""
MONEY = sa.Numeric(18, 4)
"""Amounts: four decimals keeps sub-cent unit prices exact."""
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""Surrogate ids of append-only tables; SQLite only autoincrements INTEGER primary keys."""


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware datetime stored as UTC; a naive value is taken to be UTC already."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:  # PostgreSQL's, its sessions being in UTC (engine.py)
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
