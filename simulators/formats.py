"""Each platform's own way of writing a moment, and reading the ones clients send back."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

_UNENCODED_PLUS = re.compile(r"(T[\d:.]+) (\d\d:?\d\d)$")

SHOP_TZ = timezone(timedelta(hours=8))
"""The shop's timezone (Asia/Shanghai): Shopify writes local times with their offset."""


def shopify_time(moment: datetime) -> str:
    """`2026-03-02T10:15:00+08:00`."""
    return moment.astimezone(SHOP_TZ).isoformat(timespec="seconds")


def iso_z(moment: datetime) -> str:
    """`2026-03-02T02:15:00Z` (ShipBob)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def odoo_datetime(moment: datetime) -> str:
    """Odoo's naive UTC `2026-03-02 02:15:00`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def midnight_z(day: date) -> str:
    """A date as ShipBob's midnight-UTC timestamp (expiration dates)."""
    return iso_z(datetime.combine(day, time(), tzinfo=UTC))


def parse_moment(text: str, naive_tz: timezone = UTC) -> datetime:
    """Parse ISO 8601 (`Z`, offsets or none) into aware UTC; naive text is read in `naive_tz`.

    A `+` offset that arrived unencoded in a query string reads as a space; it is restored.
    Raises ValueError on anything unparseable, so servers can answer 400.
    """
    moment = datetime.fromisoformat(_UNENCODED_PLUS.sub(r"\1+\2", text.strip()))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=naive_tz)
    return moment.astimezone(UTC)
