"""One JSON spelling of canonical values, for payloads, details, exports and hashes.

Decimals are written as plain normalised text (`12`, not `12.000000` nor `1.2E+1`) and times as
ISO 8601, so a value reads the same whether it came from SQLite or PostgreSQL (which returns
NUMERIC with its full scale) and equal data hashes equally.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def json_scalar(value: Any) -> Any:
    """One value as JSON can hold it; NaN (a blank cell) becomes null, a NumPy scalar (from GX) its Python value."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, str | int | float):
        return value
    as_python = getattr(value, "item", None)
    if callable(as_python) and type(value).__module__ == "numpy":
        return json_scalar(as_python())
    raise TypeError(f"cannot store {type(value).__name__} as JSON: {value!r}")


def to_jsonable(value: Any) -> Any:
    """`value` with every nested decimal and time spelled as `json_scalar` does, ready for a JSON column."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return json_scalar(value)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the text that is stored and hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_scalar)
