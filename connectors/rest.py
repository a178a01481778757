"""A REST platform as declaration: path, window parameters, record location, paginator.

Shopify and ShipBob differ only in what `RestStream` declares and in their `check()`;
the pull loop is shared (Airbyte manifest style).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import RawRecord
from connectors.config import Secret, SourceConfig
from connectors.entities import declared
from connectors.http import HttpClient, Reply, RetryPolicy, TokenHeader
from connectors.pagination import Paginator
from connectors.timefmt import iso_z, parse_utc


@dataclass(frozen=True, slots=True)
class RestStream:
    """One entity of a REST platform.

    Attributes:
        path: endpoint path below the base URL.
        paginator: how pages follow each other.
        since_param: query parameter of the inclusive lower bound (omitted for a full pull).
        until_param: query parameter of the inclusive upper bound.
        records_key: key of the record list in the body; None when the body is the list.
        static_params: parameters every first request carries (sort order, status filter).
        id_field: the record's identity.
        cursor_field: the record's change time, the incremental cursor.
    """

    path: str
    paginator: Paginator
    since_param: str
    until_param: str
    records_key: str | None = None
    static_params: Mapping[str, Any] = field(default_factory=dict)
    id_field: str = "id"
    cursor_field: str = "updated_at"


class RestConnector:
    """Pulls declared `streams` through one authenticated HttpClient."""

    kind: ClassVar[str]
    auth: ClassVar[TokenHeader]
    streams: ClassVar[Mapping[str, RestStream]]

    def __init__(self, config: SourceConfig, secret: Secret, *, policy: RetryPolicy | None = None) -> None:
        self.source = config.name
        self.config = config
        self.http = HttpClient(config, secret, auth=self.auth, policy=policy)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(source={self.source!r})"

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        """Yield pages of `entity` changed in [since, until], oldest first."""
        stream = declared(self.kind, entity, self.streams)
        window = {**stream.static_params, stream.until_param: iso_z(until, up=True)}
        if since is not None:
            window[stream.since_param] = iso_z(since)
        params: dict[str, Any] | None = stream.paginator.first(window, self.config.page_size)
        while params is not None:
            reply = self.http.request("GET", stream.path, params=params)
            rows = self._rows(stream, reply)
            if rows:
                yield [self._record(stream, row) for row in rows]
            params = stream.paginator.next(params, reply, len(rows))

    def _rows(self, stream: RestStream, reply: Reply) -> list[dict[str, Any]]:
        body = reply.body
        rows = body.get(stream.records_key) if stream.records_key and isinstance(body, dict) else body
        if not isinstance(rows, list):
            where = f"a list under {stream.records_key!r}" if stream.records_key else "a JSON array"
            raise self.http.platform_error(f"GET {stream.path}", reply.status, f"expected {where}")
        return rows

    def _record(self, stream: RestStream, row: dict[str, Any]) -> RawRecord:
        try:
            updated_at = parse_utc(row[stream.cursor_field])
        except (KeyError, TypeError, ValueError):
            raise self.http.platform_error(
                f"GET {stream.path}",
                None,
                f"record {row.get(stream.id_field)!r} has no valid {stream.cursor_field!r} "
                f"({row.get(stream.cursor_field)!r}); it cannot be placed in a sync window",
            ) from None
        return RawRecord(external_id=str(row[stream.id_field]), updated_at=updated_at, payload=row)
