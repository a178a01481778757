"""Window bounds in each platform's time format, and platform timestamps back to aware UTC.

Platforms filter at one-second precision, so bounds are widened to whole seconds (since
down, until up): a window may then overlap its neighbour by a fraction of a second, which
the idempotent loader absorbs, but it never misses a record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal

TimeFormat = Literal["iso_z", "iso_utc", "sql_utc", "sql_local"]
"""How a platform writes a window bound: `iso_z` 2026-03-02T02:15:00Z; `iso_utc` 2026-03-02T02:15:00
(UTC, no offset: WooCommerce with `dates_are_gmt`); `sql_utc` 2026-03-02 02:15:00 (UTC: Odoo);
`sql_local` 2026-03-02 10:15:00 in the source's time zone (Frappe `modified`)."""


def _utc(moment: datetime) -> datetime:
    """Read a naive datetime as UTC (the pipeline's convention) and convert aware ones."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def whole_second(moment: datetime, *, up: bool) -> datetime:
    """Round to a whole UTC second, down for a lower bound and up for an upper bound."""
    moment = _utc(moment)
    floor = moment.replace(microsecond=0)
    if up and floor != moment:
        return floor + timedelta(seconds=1)
    return floor


def iso_z(moment: datetime, *, up: bool = False) -> str:
    """ISO 8601 UTC with a `Z`, as Shopify and ShipBob accept in their date filters."""
    return whole_second(moment, up=up).strftime("%Y-%m-%dT%H:%M:%SZ")


def odoo_datetime(moment: datetime, *, up: bool = False) -> str:
    """Odoo's naive-UTC `YYYY-MM-DD HH:MM:SS`."""
    return whole_second(moment, up=up).strftime("%Y-%m-%d %H:%M:%S")


def parse_utc(text: str) -> datetime:
    """Parse an ISO 8601 or Odoo timestamp; one without an offset is UTC."""
    return _utc(datetime.fromisoformat(text))


def bound(moment: datetime, layout: TimeFormat, zone: tzinfo, *, up: bool = False) -> str:
    """A window bound as the platform writes it; `zone` is the source's time zone, for `sql_local`."""
    if layout == "iso_z":
        return iso_z(moment, up=up)
    if layout == "sql_utc":
        return odoo_datetime(moment, up=up)
    second = whole_second(moment, up=up)
    if layout == "sql_local":
        return second.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    return second.strftime("%Y-%m-%dT%H:%M:%S")


def parse_in(text: str, zone: tzinfo) -> datetime:
    """Parse an ISO 8601 timestamp; one without an offset is read in `zone` (UTC or the source's own)."""
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)).astimezone(UTC)
