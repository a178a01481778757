"""A REST platform as declaration: path, window parameters, record location, paginator.

Shopify and ShipBob differ only in what `RestStream` declares and in their `check()`;
the pull loop is shared (Airbyte manifest style).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from connectors.base import RawRecord
from connectors.config import Secret, SourceConfig
from connectors.entities import declared
from connectors.http import HttpClient, Reply, RetryPolicy, TokenHeader
from connectors.pagination import Paginator
from connectors.timefmt import iso_z, parse_utc

log = logging.getLogger(__name__)

Split = Callable[[dict[str, Any]], list[RawRecord]]
"""One row of a list -> the raw records it holds (a ShipBob order -> one record per shipment)."""


@dataclass(frozen=True, slots=True)
class RestStream:
    """One entity of a REST platform.

    Attributes:
        path: endpoint path below the base URL.
        paginator: how pages follow each other.
        since_param: query parameter of the inclusive lower bound (omitted for a full pull);
            None when the vendor offers no update filter: every sync then pulls the whole list,
            and the content hashes make that exactly-once in effect (unchanged rows are skipped).
        until_param: query parameter of the inclusive upper bound, None as for `since_param`.
        records_key: key of the record list in the body; None when the body is the list.
        static_params: parameters every first request carries (sort order, status filter).
        id_field: the record's identity.
        cursor_field: the record's change time; None when the vendor's record has none, and the
            time of the pull stands for it (the snapshot is as of then).
        split: how one row becomes raw records, when not one record per row.
        ordered: whether the vendor returns the list oldest change first (see `Connector.ordered`).
    """

    path: str
    paginator: Paginator
    since_param: str | None = None
    until_param: str | None = None
    records_key: str | None = None
    static_params: Mapping[str, Any] = field(default_factory=dict)
    id_field: str = "id"
    cursor_field: str | None = "updated_at"
    split: Split | None = None
    ordered: bool = True


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

    def ordered(self, entity: str) -> bool:
        stream = declared(self.kind, entity, self.streams)
        return stream.ordered and stream.since_param is not None

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        """Yield pages of `entity` changed in [since, until], oldest first (a whole snapshot where
        the vendor offers no update filter)."""
        stream = declared(self.kind, entity, self.streams)
        window = dict(stream.static_params)
        if stream.until_param is not None:
            window[stream.until_param] = iso_z(until, up=True)
        if since is not None and stream.since_param is not None:
            window[stream.since_param] = iso_z(since)
        params: dict[str, Any] | None = stream.paginator.first(window, self.config.page_size)
        previous: list[str] | None = None
        while params is not None:
            reply = self.http.request("GET", stream.path, params=params)
            rows = self._rows(stream, reply)
            records = [record for row in rows for record in self._records(stream, row, until)]
            ids = [record.external_id for record in records]
            if ids and ids == previous:
                log.warning("%s: GET %s answered the same page again; the list ends here", self.source, stream.path)
                return
            if records:
                yield sorted(records, key=lambda record: record.updated_at)
            previous = ids
            params = stream.paginator.next(params, reply, len(rows))

    def _rows(self, stream: RestStream, reply: Reply) -> list[dict[str, Any]]:
        body = reply.body
        rows = body.get(stream.records_key) if stream.records_key and isinstance(body, dict) else body
        if rows is None and stream.records_key and isinstance(body, dict):
            return []  # the vendor's envelopes may carry `items: null` on an empty page
        if not isinstance(rows, list):
            where = f"a list under {stream.records_key!r}" if stream.records_key else "a JSON array"
            raise self.http.platform_error(f"GET {stream.path}", reply.status, f"expected {where}")
        return rows

    def _records(self, stream: RestStream, row: Any, pulled: datetime) -> list[RawRecord]:
        if not isinstance(row, dict):
            raise self.http.platform_error(f"GET {stream.path}", None, f"expected records as objects, got {row!r:.80}")
        if stream.split is not None:
            try:
                return stream.split(row)
            except ValueError as exc:
                raise self.http.platform_error(f"GET {stream.path}", None, str(exc)) from None
        if row.get(stream.id_field) in (None, ""):
            raise self.http.platform_error(
                f"GET {stream.path}", None, f"a record has no {stream.id_field!r}; it cannot be identified"
            )
        external_id = str(row[stream.id_field])
        if stream.cursor_field is None:
            return [RawRecord(external_id=external_id, updated_at=pulled, payload=row)]
        try:
            updated_at = parse_utc(row[stream.cursor_field])
        except (KeyError, TypeError, ValueError):
            raise self.http.platform_error(
                f"GET {stream.path}",
                None,
                f"record {external_id!r} has no valid {stream.cursor_field!r} "
                f"({row.get(stream.cursor_field)!r}); it cannot be placed in a sync window",
            ) from None
        return [RawRecord(external_id=external_id, updated_at=updated_at, payload=row)]
