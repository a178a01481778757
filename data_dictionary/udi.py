"""UDI (GS1 element string) parsing for scans taken at the warehouse and on labels.

A UDI as printed under NMPA rules (医疗器械唯一标识系统规则) and the FDA's GUDID is a GS1 element
string: the device identifier (AI 01, GTIN-14) plus production identifiers: expiry (17),
production date (11), batch/lot (10) and serial (21). Scanners deliver it in FNC1 form
(``\\x1d`` as FNC1, optionally after a ``]d2``/``]C1``/``]Q3``/``]e0`` symbology identifier);
labels and spreadsheets carry the bracketed human-readable form ``(01)...(10)...``.

biip does the GS1 work. Two of its behaviours are handled here: its HRI parser cuts lots that
contain ``-`` or ``/`` (common in Chinese lot numbers such as ``L2603-A/07``), so the bracketed
form is split here and rebuilt as an FNC1 string; and a GTIN with a wrong check digit comes back
without a parsed GTIN, so the raw 14 digits are kept and the error is reported. Parsing never
raises: every problem is a message in ``errors``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from biip.checksums import gs1_standard_check_digit
from biip.gs1_messages import GS1Message

FNC1 = "\x1d"
_SYMBOLOGY_IDS = ("]d2", "]C1", "]Q3", "]e0", "]J1")
_HRI_AI = re.compile(r"\((\d{2,4})\)")


@dataclass(frozen=True, slots=True)
class UdiResult:
    """What one UDI string says. ``errors`` is empty if and only if the string is a valid UDI."""

    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    expiry_date: date | None = None
    production_date: date | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def parse_udi(text: str) -> UdiResult:
    """Parse a GS1 UDI in FNC1 or bracketed HRI form; problems go to ``errors``, never raised."""
    if not isinstance(text, str):
        return UdiResult(errors=[f"UDI must be a string, got {type(text).__name__}"])
    gtin, lot, serial, expiry, production, errors = _parse_cached(text)
    return UdiResult(gtin, lot, serial, expiry, production, list(errors))


_Parsed = tuple[str | None, str | None, str | None, date | None, date | None, tuple[str, ...]]


@lru_cache(maxsize=65536)
def _parse_cached(text: str) -> _Parsed:
    """Scans repeat (every unit of a lot carries the same label), so results are cached."""
    body = text.strip()
    if not body:
        return None, None, None, None, None, ("empty UDI",)
    try:
        element_string = _to_element_string(body)
        message = GS1Message.parse(element_string)
    except Exception as exc:  # biip raises ParseError and, on odd input, ValueError
        return None, None, None, None, None, (f"not a GS1 element string: {exc}",)

    values: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    errors: list[str] = []
    for element in message.element_strings:
        ai = element.ai.ai
        values[ai] = element.value
        dates[ai] = element.date
        if ai == "01" and element.gtin is None:
            expected = gs1_standard_check_digit(element.value[:-1])
            errors.append(f"GTIN check digit invalid: expected {expected}")
    if "01" not in values:
        errors.append("no GTIN: AI (01) is missing")
    return (
        values.get("01"),
        values.get("10"),
        values.get("21"),
        dates.get("17"),
        dates.get("11"),
        tuple(errors),
    )


def _to_element_string(body: str) -> str:
    """Normalise both input forms to an FNC1-separated element string without prefix."""
    for symbology in _SYMBOLOGY_IDS:
        if body.startswith(symbology):
            body = body[len(symbology) :]
            break
    if body.startswith("("):
        return _hri_to_fnc1(body)
    body = body.lstrip(FNC1)
    if not body:
        raise ValueError("no element strings after the FNC1/symbology prefix")
    return body


def _hri_to_fnc1(body: str) -> str:
    """Split ``(AI)value`` pairs on the brackets so values keep every character."""
    parts = _HRI_AI.split(body)
    # parts = ["", ai1, value1, ai2, value2, ...]; text before the first bracket is not allowed
    if parts[0] or len(parts) < 3:
        raise ValueError(f"bracketed form must start with '(AI)': {body[:40]!r}")
    pairs = zip(parts[1::2], parts[2::2], strict=True)
    return FNC1.join(ai + value for ai, value in pairs)
