"""Whether a raw UDI scan agrees with a line's GTIN, lot, serial and expiry date, in steward's words.

Free of GX and pandas: the UDI expectation decides with it in the GX worker, and the process that
turns GX's failing rows into messages (`rule_failures`) says with it what disagrees.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def blank(value: Any) -> bool:
    """None, an empty text, or a missing cell of a frame (NaN, NaT: the values unequal to themselves)."""
    return value is None or value != value or value == ""


def _text(value: Any) -> str | None:
    return None if blank(value) else str(value).strip() or None


def _gtin14(value: Any) -> str | None:
    text = _text(value)
    return text.zfill(14) if text and text.isdigit() else text


def _day(value: Any) -> date | None:
    if blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _only_check_digit_errors(errors: Any) -> bool:
    return all("check digit" in str(error).lower() for error in errors)


def udi_mismatches(udi_raw: Any, gtin: Any, lot: Any, serial: Any, expiry_date: Any) -> list[str]:
    """Say, in steward's words, where a raw UDI disagrees with the line; [] when it agrees."""
    if blank(udi_raw):
        return []
    from data_dictionary.udi import parse_udi

    parsed = parse_udi(str(udi_raw))
    if parsed.errors and not _only_check_digit_errors(parsed.errors):
        return [f"the scan cannot be read ({'; '.join(str(e) for e in parsed.errors)})"]
    pairs = (
        ("GTIN", _gtin14(parsed.gtin), _gtin14(gtin)),
        ("lot", _text(parsed.lot), _text(lot)),
        ("serial", _text(parsed.serial), _text(serial)),
        ("expiry date", _day(parsed.expiry_date), _day(expiry_date)),
    )
    return [
        f"scan has {name} {scanned or '(none)'} but the line has {recorded or '(none)'}"
        for name, scanned, recorded in pairs
        if scanned != recorded
    ]
