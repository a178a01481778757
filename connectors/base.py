"""What every connector gives the pipeline: pages of raw records for an entity since a cursor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record exactly as the platform sent it, with its identity and change time."""

    external_id: str
    updated_at: datetime  # timezone-aware UTC
    payload: dict[str, Any]


class Connector(Protocol):
    """A platform client. Owns HTTP, auth, pagination, rate limiting and retries only."""

    source: str

    def check(self) -> str:
        """Prove the connection and credentials work; return a one-line description."""

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        """Yield pages of records with since <= updated_at <= until, oldest first when `ordered`."""

    def ordered(self, entity: str) -> bool:
        """Whether `pull` yields records oldest change first across pages.

        Then each landed batch may move the sync's cursor; otherwise the cursor moves only once
        the whole window has landed, so a crash re-pulls the window instead of skipping records.
        """
