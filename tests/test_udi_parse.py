"""UDI parsing: both scan forms, lots with '-' and '/', serials, check digits, garbage."""

from __future__ import annotations

from datetime import date

import pytest

from data_dictionary.udi import UdiResult, parse_udi

GTIN = "06951234500016"
GS = "\x1d"


@pytest.mark.parametrize(
    "text",
    [
        f"{GS}01{GTIN}17280229" + "10L2603-A/07",
        f"]d201{GTIN}17280229" + "10L2603-A/07",
        f"]C1{GS}01{GTIN}17280229" + "10L2603-A/07",
        f"(01){GTIN}(17)280229(10)L2603-A/07",
    ],
)
def test_lot_udi_in_every_form(text: str) -> None:
    assert parse_udi(text) == UdiResult(gtin=GTIN, lot="L2603-A/07", expiry_date=date(2028, 2, 29))


def test_fnc1_separator_ends_a_variable_length_lot_before_a_serial() -> None:
    result = parse_udi(f"{GS}01{GTIN}11260115" + f"10L2601-B/3{GS}21SN000123")
    assert result == UdiResult(gtin=GTIN, lot="L2601-B/3", serial="SN000123", production_date=date(2026, 1, 15))
    assert result.valid


def test_hri_keeps_every_character_of_lot_and_serial() -> None:
    result = parse_udi(f"(01){GTIN}(11)260301(17)280300(10)L2603-A/07(21)SN-99/1")
    assert result.lot == "L2603-A/07"
    assert result.serial == "SN-99/1"
    assert result.production_date == date(2026, 3, 1)
    assert result.errors == []


def test_day_00_means_last_day_of_month() -> None:
    assert parse_udi(f"(01){GTIN}(17)280200").expiry_date == date(2028, 2, 29)
    assert parse_udi(f"{GS}01{GTIN}17270400").expiry_date == date(2027, 4, 30)


@pytest.mark.parametrize("text", ["(01)06951234500017(10)L1", f"{GS}0106951234500017" + "10L1"])
def test_bad_check_digit_keeps_the_digits_and_reports_the_expected_digit(text: str) -> None:
    result = parse_udi(text)
    assert result.gtin == "06951234500017"
    assert result.lot == "L1"
    assert result.errors == ["GTIN check digit invalid: expected 6"]
    assert not result.valid


def test_a_udi_needs_a_gtin() -> None:
    result = parse_udi("(17)280229(10)L1")
    assert result.lot == "L1"
    assert result.errors == ["no GTIN: AI (01) is missing"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        GS,
        "]d2",
        "garbage",
        "(01)",
        "(01)0695123450001",
        f"x(01){GTIN}",
        f"(01){GTIN}(17)281345",
        f"(01){GTIN}(11)260229",
        f"(01){GTIN}(10)L2603-A/07-THIS-LOT-IS-FAR-TOO-LONG",
        "01069512345000",
    ],
)
def test_unparseable_input_gives_errors_never_an_exception(text: str) -> None:
    result = parse_udi(text)
    assert result.errors
    assert not result.valid


def test_non_string_input_is_an_error() -> None:
    assert parse_udi(None).errors == ["UDI must be a string, got NoneType"]  # type: ignore[arg-type]


def test_results_are_independent_copies() -> None:
    first = parse_udi("garbage")
    first.errors.append("changed by a caller")
    assert parse_udi("garbage").errors != first.errors
