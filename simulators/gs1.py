"""GS1 building blocks for the generated world: GTIN check digits and UDI element strings.

Scans come in the two shapes a warehouse scanner really emits: FNC1 element strings
(`\\x1d` before the first AI and after each variable-length field that is not last) and the
bracketed human-readable form printed under the barcode.
"""

from __future__ import annotations

from datetime import date

from biip.checksums import gs1_standard_check_digit

GS = "\x1d"
"""ASCII group separator: how FNC1 appears in a scanned element string."""


def check_digit(body: str) -> str:
    """GS1 mod-10 check digit of the digits before it (weights 3,1,3,... from the right)."""
    return str(gs1_standard_check_digit(body))


def make_gtin14(company_prefix: str, item_reference: str, indicator: str = "0") -> str:
    """A GTIN-14 with a valid check digit."""
    body = indicator + company_prefix + item_reference
    if len(body) != 13 or not body.isdigit():
        raise ValueError(f"GTIN body must be 13 digits, got {body!r}")
    return body + check_digit(body)


def is_valid_gtin14(gtin: str) -> bool:
    """True when `gtin` is 14 digits and its last digit is the right check digit."""
    return len(gtin) == 14 and gtin.isdigit() and check_digit(gtin[:13]) == gtin[13]


def wrong_check_digit(gtin: str) -> str:
    """The same GTIN with a check digit that is certainly wrong."""
    return gtin[:13] + str((int(gtin[13]) + 1) % 10)


def udi_scan(
    gtin: str,
    *,
    expiry: date | None,
    lot: str | None,
    serial: str | None = None,
    production: date | None = None,
    bracketed: bool = False,
) -> str:
    """One GS1 element string with AIs 01, 11, 17, 10, 21 in that order (those given)."""
    fields: list[tuple[str, str, bool]] = [("01", gtin, False)]
    if production is not None:
        fields.append(("11", production.strftime("%y%m%d"), False))
    if expiry is not None:
        fields.append(("17", expiry.strftime("%y%m%d"), False))
    if lot is not None:
        fields.append(("10", lot, True))
    if serial is not None:
        fields.append(("21", serial, True))
    if bracketed:
        return "".join(f"({ai}){value}" for ai, value, _ in fields)
    parts = [GS]
    for index, (ai, value, variable) in enumerate(fields):
        parts.append(ai + value)
        if variable and index < len(fields) - 1:
            parts.append(GS)
    return "".join(parts)
