"""Filtering records by a timestamp window and keyset positions, shared by the REST platforms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulators.formats import parse_moment

NEVER = datetime.min.replace(tzinfo=UTC)


def moment_or_never(text: Any) -> datetime:
    """A record's timestamp in UTC; unparseable ones (a planted bad date) sort first."""
    try:
        return parse_moment(text)
    except (TypeError, ValueError):
        return NEVER


def in_window(moment: datetime, low: datetime | None, high: datetime | None) -> bool:
    """Inclusive at both ends, as the platforms document their min/max filters."""
    return (low is None or moment >= low) and (high is None or moment <= high)
