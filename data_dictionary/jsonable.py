"""One JSON spelling of canonical values, for payloads, details, exports and hashes.

Decimals are written as plain normalised text (`12`, not `12.000000` nor `1.2E+1`) and times as
ISO 8601, so a value reads the same whether it came from SQLite or PostgreSQL (which returns
NUMERIC with its full scale) and equal data hashes equally.

The canonical text is what `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
writes: stored raw payloads are hashed over it, so it must never drift. orjson writes the same
bytes several times faster except for floats printed with an exponent or below 1e-4 (orjson:
`0.000015`, Python: `1.5e-05`), integers beyond 64 bits, lone surrogates and non-string keys;
those payloads, found by a scan of orjson's output or by its refusal, are written by `json`.
Only NaN and infinities (not JSON) differ: orjson writes them as `null`.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson


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


_ORJSON_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
"""Times, dataclasses and subclasses of str/int/dict/list go to `json_scalar` (or fail) as under `json`."""
_IN_ORDER = _ORJSON_OPTIONS & ~orjson.OPT_SORT_KEYS


def canonical_bytes(value: Any) -> bytes:
    """`canonical_json` as UTF-8 bytes, ready to hash."""
    text = _orjson(value)
    return text if text is not None else _json_dumps(value).encode()


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 kept: the text that is stored and hashed."""
    text = _orjson(value)
    return text.decode() if text is not None else _json_dumps(value)


def fast_bytes(value: Any, sort_keys: bool = True) -> bytes | None:
    """orjson's text of `value`; None where orjson refuses. With its keys sorted it is the canonical
    text wherever `is_canonical` holds; else they keep their order (a payload's as pulled)."""
    try:
        return orjson.dumps(value, default=json_scalar, option=_ORJSON_OPTIONS if sort_keys else _IN_ORDER)
    except TypeError:  # orjson.JSONEncodeError: big integers, surrogates, non-string keys
        return None


def is_canonical(text: bytes) -> bool:
    """Whether orjson's `text` is certainly the canonical one.

    orjson may spell a number unlike `json` only with an exponent (which it always signs) or below
    1e-4 written out (`0.000015`); string text holding `e+`, `e-` or `0.0000` only costs the slow path.
    The three scans cost twice orjson's own writing, so a caller that can, checks only the texts it keeps.
    """
    return not (b"e+" in text or b"e-" in text or b"0.0000" in text)


def _orjson(value: Any) -> bytes | None:
    """orjson's text when it is certainly the canonical one, else None."""
    text = fast_bytes(value)
    return text if text is not None and is_canonical(text) else None


def _json_dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=json_scalar)
