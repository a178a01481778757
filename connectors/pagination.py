"""The ways our platforms page through results, each a small declarative strategy.

A paginator turns the first request's parameters into the next request's, given the
answer and how many records it held; `None` means there is no next page. Each is a dataclass
that pydantic validates straight from a platform declaration (`type: page_number`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import parse_qsl, urlsplit

from pydantic import ConfigDict, Field
from requests.utils import parse_header_links

from connectors.reply import Reply

Params = dict[str, Any]
FORBID = ConfigDict(extra="forbid")


class Paginator(Protocol):
    def first(self, params: Mapping[str, Any], page_size: int) -> Params:
        """Parameters of the first page."""

    def next(self, params: Params, reply: Reply, count: int) -> Params | None:
        """Parameters of the page after the one `params` fetched, or None after the last."""


@dataclass(frozen=True, slots=True)
class LinkHeaderCursor:
    """Shopify: the `Link` header's rel="next" URL carries an opaque `page_info` cursor.

    Only the `keep` parameters are taken from that URL and sent to our own base URL, so
    the credential never follows a link to another host.
    """

    __pydantic_config__ = FORBID
    limit_param: str = "limit"
    keep: tuple[str, ...] = ("limit", "page_info")
    type: Literal["link_header"] = "link_header"

    def first(self, params: Mapping[str, Any], page_size: int) -> Params:
        return {**params, self.limit_param: page_size}

    def next(self, params: Params, reply: Reply, count: int) -> Params | None:
        for link in parse_header_links(reply.headers.get("Link", "")):
            if link.get("rel") == "next":
                query = dict(parse_qsl(urlsplit(link["url"]).query))
                return {name: query[name] for name in self.keep if name in query}
        return None


@dataclass(frozen=True, slots=True)
class PageNumber:
    """Numbered pages, from 1; a short page is the last one (ShipBob orders, WooCommerce).

    Where the vendor's contract promises a total-pages header (WooCommerce `X-WP-TotalPages`),
    `total_pages_header` names it and the page it numbers as last ends the list too.
    """

    __pydantic_config__ = FORBID
    page_param: str = "page"
    limit_param: str = "per_page"
    total_pages_header: str | None = None
    type: Literal["page_number"] = "page_number"

    def first(self, params: Mapping[str, Any], page_size: int) -> Params:
        return {**params, self.page_param: 1, self.limit_param: page_size}

    def next(self, params: Params, reply: Reply, count: int) -> Params | None:
        if count < params[self.limit_param]:
            return None
        if self.total_pages_header is not None:
            total = reply.headers.get(self.total_pages_header, "")
            if total.strip().isdigit() and params[self.page_param] >= int(total):
                return None
        return {**params, self.page_param: params[self.page_param] + 1}


@dataclass(frozen=True, slots=True)
class CursorEnvelope:
    """ShipBob returns and inventory lots: the body is `{items, next, ...}`, `next` the URL of the next page.

    Only the query of `next` is taken and sent to our own base URL and path, so the credential
    never follows a link to another host; a null or missing `next` ends the list.
    """

    __pydantic_config__ = FORBID
    size_param: str
    next_key: str = "next"
    type: Literal["cursor_envelope"] = "cursor_envelope"

    def first(self, params: Mapping[str, Any], page_size: int) -> Params:
        return {**params, self.size_param: page_size}

    def next(self, params: Params, reply: Reply, count: int) -> Params | None:
        link = reply.body.get(self.next_key) if isinstance(reply.body, dict) else None
        if not link or count == 0:
            return None
        return dict(parse_qsl(urlsplit(str(link)).query, keep_blank_values=True))


@dataclass(frozen=True, slots=True)
class OffsetLimit:
    """Skip `offset` records; a short page is the last one (Odoo, Frappe `limit_start`/`limit_page_length`)."""

    __pydantic_config__ = FORBID
    offset_param: str = "offset"
    limit_param: str = "limit"
    type: Literal["offset"] = "offset"

    def first(self, params: Mapping[str, Any], page_size: int) -> Params:
        return {**params, self.offset_param: 0, self.limit_param: page_size}

    def next(self, params: Params, reply: Reply, count: int) -> Params | None:
        limit = params[self.limit_param]
        if count < limit:
            return None
        return {**params, self.offset_param: params[self.offset_param] + limit}


AnyPaginator = Annotated[LinkHeaderCursor | PageNumber | CursorEnvelope | OffsetLimit, Field(discriminator="type")]
"""Any paginator a declaration can name, told apart by its `type`."""
