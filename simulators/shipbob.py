"""Simulated ShipBob API 2026-01: orders with their shipments, returns and inventory levels by lot.

Every body follows ShipBob's OpenAPI document (simulators/contracts/shipbob): orders are a bare
JSON array paged by `Page`/`Limit` with no paging headers (a client stops at a short page),
filtered on the order's last update (`LastUpdateStartDate`/`LastUpdateEndDate`), which the
contract does not expose as a field: here it is the latest of the order's creation and its
shipments' `last_update_at`. Returns and inventory lots are cursor envelopes (`items` plus
`first`/`prev`/`next`/`last` URLs); neither carries an update time nor offers an update filter.
150 requests per minute, answered with 429 and `x-retry-after` beyond.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from simulators.formats import parse_moment
from simulators.paging import in_window, moment_or_never
from simulators.ratelimits import SlidingWindow
from simulators.server import Request, Response
from simulators.world import World

API_VERSION = "2026-01"
MAX_LIMIT = 250
DEFAULT_LIMIT = 50
REQUESTS_PER_MINUTE = 150
ROUTE = re.compile(
    rf"^/{API_VERSION}/(?:(?P<list>order|return|inventory-level/lots|channel)"
    r"|order/(?P<order>\d+)(?P<shipments>/shipment)?|shipment/(?P<shipment>\d+)|return/(?P<return>\d+))/?$"
)
UNAUTHORIZED = {"message": "Authorization has been denied for this request."}


def order_updated(order: dict[str, Any]) -> datetime:
    """When an order last changed, as ShipBob's LastUpdate filters see it (not a field it serves)."""
    moments = [moment_or_never(order.get("created_date"))]
    shipments = order.get("shipments")
    if isinstance(shipments, list):
        moments += [moment_or_never(s.get("last_update_at")) for s in shipments if isinstance(s, dict)]
    return max(moments)


def return_updated(record: dict[str, Any]) -> datetime:
    """When a return last changed: its latest status time (the contract has no update field)."""
    moments = [moment_or_never(record.get("insert_date"))]
    moments += [moment_or_never(h.get("timestamp")) for h in record.get("status_history") or []]
    return max(moments)


class BadRequest(ValueError):
    """A parameter ShipBob refuses with 400; `errors` is the ProblemDetails-style body."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


class ShipBob:
    """One ShipBob account: the world's ShipBob orders behind one bearer token."""

    def __init__(self, world: World, token: str) -> None:
        self.world = world
        self.token = token
        self.window = SlidingWindow(REQUESTS_PER_MINUTE, 60.0)

    def describe(self, request: Request) -> str | None:
        return None

    def fault(self, kind: str, retry_after: str) -> Response:
        if kind == "429":
            return Response(429, _too_many(), {"x-retry-after": retry_after}, retry_after=float(retry_after))
        if kind == "503":
            return Response(503, {"message": "The service is unavailable."})
        return Response(500, {"message": "An error has occurred."})

    def handle(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return Response(401, UNAUTHORIZED)
        admitted, wait = self.window.admit(request.received)
        if not admitted:
            return Response(429, _too_many(), {"x-retry-after": str(wait)}, retry_after=float(wait))
        route = ROUTE.match(request.path)
        if request.method != "GET" or route is None:
            return Response(404, {"message": f"No HTTP resource was found that matches {request.path}."})
        try:
            return self._route(route, request)
        except BadRequest as error:
            return Response(
                400, {"title": "One or more validation errors occurred.", "status": 400, "errors": error.errors}
            )

    def _route(self, route: re.Match[str], request: Request) -> Response:
        if route["order"]:
            order = next((o for o in self.world.shipbob_orders if o["id"] == int(route["order"])), None)
            if order is None:
                return Response(404, {"message": "Order not found."})
            return Response(200, order["shipments"] if route["shipments"] else order)
        if route["shipment"]:
            wanted = int(route["shipment"])
            found = next((s for o in self.world.shipbob_orders for s in o["shipments"] if s["id"] == wanted), None)
            return Response(200, found) if found else Response(404, {"message": "Shipment not found."})
        if route["return"]:
            record = next((r for r in self.world.shipbob_returns if r["id"] == int(route["return"])), None)
            return Response(200, record) if record else Response(404, {"title": "Not Found", "status": 404})
        return {
            "order": self._orders,
            "return": self._returns,
            "inventory-level/lots": self._lots,
            "channel": self._channels,
        }[route["list"]](request)

    def _orders(self, request: Request) -> Response:
        """A bare array; the contract declares no paging headers, so none are sent."""
        query = request.query
        page = _number(query, "Page", 1, None)
        limit = _number(query, "Limit", DEFAULT_LIMIT, MAX_LIMIT)
        updated = _window(query, "LastUpdateStartDate", "LastUpdateEndDate")
        inserted = _window(query, "StartDate", "EndDate")
        newest_first = _descending(query, "Newest", ("Oldest", "Newest"))
        references = set(filter(None, query.get("ReferenceIds", "").split(",")))
        keyed = [
            ((order_updated(o), o["id"]), o)
            for o in self.world.shipbob_orders
            if updated(order_updated(o))
            and inserted(moment_or_never(o["created_date"]))
            and (not references or o["reference_id"] in references)
        ]
        selected = sorted(keyed, key=lambda pair: pair[0], reverse=newest_first)
        return Response(200, [o for _, o in selected[(page - 1) * limit : page * limit]])

    def _returns(self, request: Request) -> Response:
        """Page-numbered `Cursor` envelope with the paging headers the contract declares."""
        query = request.query
        page = _number(query, "Cursor", 1, None)
        limit = _number(query, "Limit", DEFAULT_LIMIT, MAX_LIMIT)
        inserted = _window(query, "StartDate", "EndDate")
        completed = _window(query, "CompletedStartDate", "CompletedEndDate")
        newest_first = _descending(query, "Desc", ("Asc", "Desc"))
        keyed = [
            ((moment_or_never(r["insert_date"]), r["id"]), r)
            for r in self.world.shipbob_returns
            if inserted(moment_or_never(r["insert_date"]))
            and (completed(moment_or_never(r.get("completed_date"))) or not _any(query, "CompletedStartDate"))
        ]
        selected = [r for _, r in sorted(keyed, key=lambda pair: pair[0], reverse=newest_first)]
        pages = max(1, math.ceil(len(selected) / limit))
        body = _envelope(request, "Cursor", page, pages, selected[(page - 1) * limit : page * limit])
        headers = {
            "Page-Number": str(page),
            "Total-Pages": str(pages),
            "Total-Count": str(len(selected)),
            "Page-Size": str(limit),
        }
        return Response(200, body, headers)

    def _lots(self, request: Request) -> Response:
        """Cursor envelope sized by `PageSize`; its `next` URL carries the cursor."""
        query = request.query
        size = _number(query, "PageSize", DEFAULT_LIMIT, MAX_LIMIT)
        page = _number(query, "Cursor", 1, None)
        items = sorted(self.world.shipbob_inventory, key=lambda item: item["inventory_id"])
        pages = max(1, math.ceil(len(items) / size))
        return Response(200, _envelope(request, "Cursor", page, pages, items[(page - 1) * size : page * size]))

    def _channels(self, request: Request) -> Response:
        channel = {"id": 1, "name": "Tracehub Medical Store", "application_name": "Shopify", "scopes": []}
        return Response(200, {"items": [channel], "next": None, "prev": None})


def _envelope(request: Request, cursor: str, page: int, pages: int, items: list[dict[str, Any]]) -> dict[str, Any]:
    """`items` and the URLs of the first, previous, next and last pages (null where there is none)."""
    base = f"http://{request.headers.get('Host', '127.0.0.1')}{request.path}"

    def url(number: int) -> str:
        return f"{base}?{urlencode({**request.query, cursor: number})}"

    return {
        "items": items,
        "first": url(1) if page > 1 else None,
        "prev": url(page - 1) if page > 1 else None,
        "next": url(page + 1) if page < pages else None,
        "last": url(pages) if page < pages else None,
    }


def _descending(query: dict[str, str], default: str, allowed: tuple[str, str]) -> bool:
    """The `SortOrder` asked for (ascending, descending names as the endpoint spells them): newest first?"""
    order = query.get("SortOrder", default)
    if order not in allowed:
        raise BadRequest({"SortOrder": [f"SortOrder must be {allowed[0]} or {allowed[1]}."]})
    return order == allowed[1]


def _too_many() -> dict[str, Any]:
    return {"message": f"API rate limit exceeded: {REQUESTS_PER_MINUTE} requests per minute."}


def _number(query: dict[str, str], name: str, default: int, maximum: int | None) -> int:
    text = query.get(name, str(default))
    if not text.isdigit() or int(text) < 1 or (maximum is not None and int(text) > maximum):
        bound = f" and at most {maximum}" if maximum else ""
        raise BadRequest({name: [f"The value '{text}' is not valid for {name}: a positive integer{bound}."]})
    return int(text)


def _any(query: dict[str, str], name: str) -> bool:
    return bool(query.get(name))


def _moment(query: dict[str, str], name: str) -> datetime | None:
    if not query.get(name):
        return None
    try:
        return parse_moment(query[name])
    except ValueError:
        raise BadRequest({name: [f"The value '{query[name]}' is not a valid date-time."]}) from None


def _window(query: dict[str, str], low: str, high: str) -> Callable[[datetime], bool]:
    bounds = (_moment(query, low), _moment(query, high))
    return lambda moment: in_window(moment, *bounds)


def make_platform(world: World, token: str) -> ShipBob:
    return ShipBob(world, token)
