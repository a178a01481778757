"""Window bounds in each platform's time format, and platform timestamps back to aware UTC.

Platforms filter at one-second precision, so bounds are widened to whole seconds (since
down, until up): a window may then overlap its neighbour by a fraction of a second, which
the idempotent loader absorbs, but it never misses a record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


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
