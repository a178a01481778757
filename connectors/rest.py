"""The one pull loop of every REST platform, run from its declaration (connectors/declaration.py).

Shopify, ShipBob, WooCommerce, ERPNext and any platform a customer declares differ only in their
YAML; nothing here knows a vendor (Airbyte manifest style).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from connectors.base import RawRecord
from connectors.config import Secret, SourceConfig
from connectors.declaration import Declaration, Detail, Filter, Link, Stream, dig, query_value
from connectors.entities import declared
from connectors.http import HttpClient, RetryPolicy
from connectors.reply import Reply
from connectors.splits import SPLITS
from connectors.timefmt import bound, parse_in

log = logging.getLogger(__name__)


class RestConnector:
    """Pulls a declared platform's streams through one authenticated HttpClient."""

    def __init__(
        self, config: SourceConfig, secret: Secret, declaration: Declaration, *, policy: RetryPolicy | None = None
    ) -> None:
        self.kind = declaration.name
        self.source = config.name
        self.config = config
        self.declaration = declaration
        self.streams = declaration.streams
        self.zone: tzinfo = ZoneInfo(config.timezone)
        requester = declaration.requester
        self.http = HttpClient(
            config, secret, auth=requester.auth_named(config.auth), policy=policy, usage=requester.usage_header
        )

    def __repr__(self) -> str:
        return f"RestConnector(kind={self.kind!r}, source={self.source!r})"

    def check(self) -> str:
        """Send the declared check request and describe the answer in one line."""
        check = self.declaration.check
        params = {name: query_value(value) for name, value in check.params.items()}
        reply = self.http.request("GET", self._url(check.path), params=params)
        parts = [f"{self.kind} {self.source}: {reply.status} OK", self.declaration.title]
        parts += [f"{label} {dig(reply.body, path)!r}" for label, path in check.show.items()]
        parts += [f"{label} {reply.headers.get(name, 'unknown')}" for label, name in check.show_headers.items()]
        return ", ".join(parts)

    def ordered(self, entity: str) -> bool:
        stream = declared(self.kind, entity, self.streams)
        return stream.ordered and stream.filter is not None

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        """Yield pages of `entity` changed in [since, until], oldest first (a whole snapshot where
        the vendor offers no update filter)."""
        stream = declared(self.kind, entity, self.streams)
        path = self._url(stream.path)
        window = stream.params()
        if stream.filter is not None:
            window.update(self._window(stream.filter, since, until))
        size = min(self.config.page_size, stream.max_page_size or self.config.page_size)
        params: dict[str, Any] | None = stream.paginator.first(window, size)
        previous: list[str] | None = None
        while params is not None:
            reply = self.http.request("GET", path, params=params, limit=stream.rate_limit)
            rows = self._rows(stream, path, reply)
            records = [record for row in rows for record in self._records(stream, path, row, until)]
            ids = [record.external_id for record in records]
            if ids and ids == previous:
                log.warning("%s: GET %s answered the same page again; the list ends here", self.source, path)
                return
            if records:
                yield sorted(records, key=lambda record: record.updated_at)
            previous = ids
            params = stream.paginator.next(params, reply, len(rows))

    def _url(self, path: str) -> str:
        return self.declaration.requester.path_prefix + path

    def _window(self, spec: Filter, since: datetime | None, until: datetime) -> dict[str, str]:
        """The window's parameters: two bounds, or one JSON filter expression (Frappe)."""
        upper = bound(until, spec.format, self.zone, up=True)
        lower = bound(since, spec.format, self.zone) if since is not None else None
        if spec.json_param is not None:
            conditions: list[list[Any]] = [list(c) for c in spec.json_static]
            if lower is not None:
                conditions.append([spec.field, ">=", lower])
            conditions.append([spec.field, "<=", upper])
            return {spec.json_param: query_value(conditions)}
        params = {spec.until: upper} if spec.until is not None else {}
        if lower is not None and spec.since is not None:
            params[spec.since] = lower
        return params

    def _rows(self, stream: Stream, path: str, reply: Reply) -> list[dict[str, Any]]:
        rows = dig(reply.body, stream.records)
        if rows is None and stream.records and isinstance(reply.body, dict):
            return []  # the vendor's envelopes may carry `items: null` on an empty page
        if not isinstance(rows, list):
            where = f"a list under {stream.records!r}" if stream.records else "a JSON array"
            raise self.http.platform_error(f"GET {path}", reply.status, f"expected {where}")
        return rows

    def _records(self, stream: Stream, path: str, row: Any, pulled: datetime) -> list[RawRecord]:
        if not isinstance(row, dict):
            raise self.http.platform_error(f"GET {path}", None, f"expected records as objects, got {row!r:.80}")
        if stream.split is not None:
            try:
                return SPLITS[stream.split](row)
            except ValueError as exc:
                raise self.http.platform_error(f"GET {path}", None, str(exc)) from None
        if row.get(stream.id_field) in (None, ""):
            raise self.http.platform_error(
                f"GET {path}", None, f"a record has no {stream.id_field!r}; it cannot be identified"
            )
        external_id = str(row[stream.id_field])
        if stream.detail is not None:
            row = self._detail(stream, stream.detail, path, external_id)
        for link in stream.links:
            self._fetch_links(stream, link, row, link.at.split("."))
        if stream.cursor is None:
            return [RawRecord(external_id=external_id, updated_at=pulled, payload=row)]
        text = dig(row, stream.cursor.field)
        try:
            updated_at = parse_in(text, self.zone if stream.cursor.naive == "local" else UTC)
        except (TypeError, ValueError):
            raise self.http.platform_error(
                f"GET {path}",
                None,
                f"record {external_id!r} has no valid {stream.cursor.field!r} "
                f"({text!r}); it cannot be placed in a sync window",
            ) from None
        return [RawRecord(external_id=external_id, updated_at=updated_at, payload=row)]

    def _detail(self, stream: Stream, detail: Detail, path: str, external_id: str) -> dict[str, Any]:
        """The whole record, from the declared per-record request (the list left parts out)."""
        return self._document(stream, path + detail.path, detail.records, external_id)

    def _fetch_links(self, stream: Stream, link: Link, node: Any, keys: list[str]) -> None:
        """Replace each linked document's name at `keys` (lists walked) by the document itself."""
        if isinstance(node, list):
            for item in node:
                self._fetch_links(stream, link, item, keys)
            return
        if not isinstance(node, dict):
            return
        if len(keys) > 1:
            self._fetch_links(stream, link, node.get(keys[0]), keys[1:])
        elif isinstance(node.get(keys[0]), str) and node[keys[0]]:
            node[keys[0]] = self._document(stream, self._url(link.path), link.records, node[keys[0]])

    def _document(self, stream: Stream, template: str, records: str | None, name: str) -> dict[str, Any]:
        """GET one document by name (`{id}` in `template`); the endpoint label keeps the template."""
        label = f"GET {template}"
        reply = self.http.request(
            "GET", template.replace("{id}", quote(name, safe="")), endpoint=label, limit=stream.rate_limit
        )
        document = dig(reply.body, records)
        if not isinstance(document, dict):
            where = f"an object under {records!r}" if records else "a JSON object"
            raise self.http.platform_error(label, reply.status, f"document {name!r}: expected {where}")
        return document
