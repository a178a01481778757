"""Simulated ShipBob API: orders with their shipments, returns and inventory levels by lot;
numbered pages and a 150/min limit."""

from __future__ import annotations

import math
import re
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
ROUTE = re.compile(rf"^/{API_VERSION}/(?P<resource>order|channel|return|inventory-level/lots)(?:/(?P<id>\d+))?/?$")
UNAUTHORIZED = {"message": "Authorization has been denied for this request."}


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
        if route["resource"] == "channel":
            return Response(200, [{"id": 1, "name": "Tracehub Medical Store", "application_name": "Shopify"}])
        records, id_field, noun = {
            "order": (self.world.shipbob_orders, "id", "Order"),
            "return": (self.world.shipbob_returns, "id", "Return"),
            "inventory-level/lots": (self.world.shipbob_inventory, "inventory_id", "Inventory"),
        }[route["resource"]]
        if route["id"]:
            found = next((r for r in records if r[id_field] == int(route["id"])), None)
            return Response(200, found) if found else Response(404, {"message": f"{noun} not found."})
        try:
            return self._page(request, records, id_field)
        except ValueError as error:
            return Response(
                400, {"title": "One or more validation errors occurred.", "status": 400, "errors": error.args[0]}
            )

    def _page(self, request: Request, records: list[dict[str, Any]], id_field: str) -> Response:
        query = request.query
        page = _number(query, "Page", 1, None)
        limit = _number(query, "Limit", DEFAULT_LIMIT, MAX_LIMIT)
        low, high = (_moment(query, name) for name in ("LastUpdateStartDate", "LastUpdateEndDate"))
        order = query.get("SortOrder", "Newest")
        if order not in ("Oldest", "Newest"):
            raise ValueError({"SortOrder": ["SortOrder must be Oldest or Newest."]})
        keyed = [((moment_or_never(r["last_update_at"]), r[id_field]), r) for r in records]
        selected = sorted(
            (pair for pair in keyed if in_window(pair[0][0], low, high)),
            key=lambda pair: pair[0],
            reverse=order == "Newest",
        )
        total_pages = math.ceil(len(selected) / limit)
        headers = {"total-count": str(len(selected)), "page-number": str(page), "total-pages": str(total_pages)}
        if page < total_pages:
            headers["next-page"] = f"{request.path}?{urlencode({**query, 'Page': page + 1})}"
        return Response(200, [o for _, o in selected[(page - 1) * limit : page * limit]], headers)


def _too_many() -> dict[str, Any]:
    return {"message": f"API rate limit exceeded: {REQUESTS_PER_MINUTE} requests per minute."}


def _number(query: dict[str, str], name: str, default: int, maximum: int | None) -> int:
    text = query.get(name, str(default))
    if not text.isdigit() or int(text) < 1 or (maximum is not None and int(text) > maximum):
        bound = f" and at most {maximum}" if maximum else ""
        raise ValueError({name: [f"The value '{text}' is not valid for {name}: a positive integer{bound}."]})
    return int(text)


def _moment(query: dict[str, str], name: str) -> Any:
    if not query.get(name):
        return None
    try:
        return parse_moment(query[name])
    except ValueError:
        raise ValueError({name: [f"The value '{query[name]}' is not a valid date-time."]}) from None


def make_platform(world: World, token: str) -> ShipBob:
    return ShipBob(world, token)
