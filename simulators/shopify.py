"""Simulated Shopify Admin REST API: orders and products with page_info cursors and a leaky-bucket limit.

Pagination is keyset based: the opaque `page_info` holds the filters, the sort and the key of
the page's edge record, so a record changed while a client pages is seen again later rather
than skipped (as on Shopify).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import urlencode

from simulators.formats import SHOP_TZ, parse_moment
from simulators.paging import in_window, moment_or_never
from simulators.ratelimits import LeakyBucket
from simulators.server import Request, Response
from simulators.shopify_fulfillment import Fulfilments, Rejected
from simulators.world import World

BUCKET_SIZE = 40
LEAK_PER_SECOND = 2.0
MAX_LIMIT = 250
FILTERS = ("status", "updated_at_min", "updated_at_max", "created_at_min", "created_at_max", "order")
ORDER_FIELDS = ("id", "created_at", "updated_at")
STATUSES = ("open", "closed", "cancelled", "any")
ROUTE = re.compile(
    r"^/admin/api/(?P<version>\d{4}-\d{2})/(?P<resource>orders\.json|orders/count\.json"
    r"|orders/(?P<id>\d+)\.json|products\.json|shop\.json)$"
)
FULFILMENT_ROUTE = re.compile(
    r"^/admin/api/(?P<version>\d{4}-\d{2})/(?:orders/(?P<order>\d+)/(?P<list>fulfillment_orders|fulfillments)"
    r"(?:/(?P<one>\d+))?\.json|fulfillments\.json|fulfillments/(?P<tracked>\d+)/update_tracking\.json)$"
)
PRODUCT_STATUSES = ("active", "archived", "draft")
THROTTLED = {
    "errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
}
UNAUTHORIZED = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


class BadRequest(Exception):
    """A parameter the API would refuse with 400; the message is the `errors` body."""

    def __init__(self, errors: Any) -> None:
        super().__init__(str(errors))
        self.errors = errors


class Shopify:
    """One shop: the world's Shopify orders behind one Admin API access token."""

    def __init__(self, world: World, token: str) -> None:
        self.world = world
        self.token = token
        self.bucket = LeakyBucket(BUCKET_SIZE, LEAK_PER_SECOND)
        self.fulfilments = Fulfilments(world)

    def describe(self, request: Request) -> str | None:
        return None

    def fault(self, kind: str, retry_after: str) -> Response:
        if kind == "429":
            return Response(
                429, THROTTLED, {"Retry-After": retry_after, **self._calls(BUCKET_SIZE)}, retry_after=float(retry_after)
            )
        if kind == "503":
            return Response(503, {"errors": "Service Unavailable"}, self._calls(0))
        return Response(500, {"errors": "Internal Server Error"}, self._calls(0))

    def handle(self, request: Request) -> Response:
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return Response(401, UNAUTHORIZED)
        admitted, used = self.bucket.admit(request.received)
        if not admitted:
            return Response(429, THROTTLED, {"Retry-After": "2.0", **self._calls(used)}, retry_after=2.0)
        fulfilment = FULFILMENT_ROUTE.match(request.path)
        if fulfilment is not None:
            try:
                status, body = self._fulfilment(fulfilment, request)
            except Rejected as error:
                status, body = error.status, {"errors": error.errors}
            return Response(status, body, self._calls(used))
        route = ROUTE.match(request.path)
        if request.method != "GET" or route is None:
            return Response(404, {"errors": "Not Found"}, self._calls(used))
        try:
            status, body, headers = self._route(route, request)
        except BadRequest as error:
            status, body, headers = 400, {"errors": error.errors}, {}
        return Response(status, body, {**headers, **self._calls(used)})

    def _fulfilment(self, route: re.Match[str], request: Request) -> tuple[int, Any]:
        """Fulfilment orders and fulfilments (see shopify_fulfillment.py); 201 for a new fulfilment."""
        state = self.fulfilments
        if route["order"] and request.method == "GET":
            order_id = int(route["order"])
            if route["list"] == "fulfillment_orders" and not route["one"]:
                return 200, state.list_fulfillment_orders(order_id)
            if route["list"] == "fulfillments":
                if route["one"]:
                    return 200, state.get_fulfillment(order_id, int(route["one"]))
                return 200, state.list_fulfillments(order_id)
        elif request.method == "POST" and route["tracked"]:
            return 200, state.update_tracking(int(route["tracked"]), request.body)
        elif request.method == "POST" and not route["order"]:
            return 201, state.create(request.body)
        return 404, {"errors": "Not Found"}

    @staticmethod
    def _calls(used: int) -> dict[str, str]:
        return {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{BUCKET_SIZE}"}

    def _route(self, route: re.Match[str], request: Request) -> tuple[int, Any, dict[str, str]]:
        resource = route["resource"]
        if resource == "shop.json":
            return (
                200,
                {
                    "shop": {
                        "id": 58010,
                        "name": "Tracehub Medical Store",
                        "currency": "CNY",
                        "iana_timezone": "Asia/Shanghai",
                        "country_code": "CN",
                    }
                },
                {},
            )
        if route["id"]:
            order = next((o for o in self.world.shopify_orders if o["id"] == int(route["id"])), None)
            if order is None:
                return 404, {"errors": "Not Found"}, {}
            return 200, {"order": self.fulfilments.order(order)}, {}
        if resource == "orders/count.json":
            return 200, {"count": len(self._select(_filters(request.query)))}, {}
        return self._page(request, "products" if resource == "products.json" else "orders")

    def _page(self, request: Request, resource: str) -> tuple[int, Any, dict[str, str]]:
        query = request.query
        limit = _limit(query.get("limit", "50"))
        if "page_info" in query:
            extra = sorted(set(query) - {"page_info", "limit"})
            if extra:
                raise BadRequest({"page_info": f"page_info cannot be combined with other parameters: {extra}"})
            state = _decode(query["page_info"])
        else:
            filters = _filters(query) if resource == "orders" else _product_filters(query)
            state = {"filters": filters, "edge": None, "dir": "next"}
        field, direction = state["filters"]["order"]
        descending = direction == "desc"
        selected = self._select(state["filters"]) if resource == "orders" else self._products(state["filters"])
        items = sorted(((_key(o, field), o) for o in selected), key=lambda pair: pair[0], reverse=descending)
        start, end = _window([key for key, _ in items], state, descending, limit)
        page = items[start:end]
        links = []
        base = f"http://{request.headers.get('Host', '127.0.0.1')}{request.path}"
        if page and start > 0:
            links.append(
                f"<{base}?{urlencode({'limit': limit, 'page_info': _encode(state, page[0][0], 'prev')})}>;"
                ' rel="previous"'
            )
        if page and end < len(items):
            links.append(
                f'<{base}?{urlencode({"limit": limit, "page_info": _encode(state, page[-1][0], "next")})}>; rel="next"'
            )
        return 200, {resource: [record for _, record in page]}, {"Link": ", ".join(links)} if links else {}

    def _products(self, filters: dict[str, Any]) -> list[dict]:
        """Products (with their variants) in the window; Shopify lists them by id, with no sort option."""
        bounds = [parse_moment(filters[n]) if filters.get(n) else None for n in ("updated_at_min", "updated_at_max")]
        status = filters.get("status")
        return [
            product
            for product in self.world.shopify_products
            if (status is None or product["status"] == status)
            and in_window(moment_or_never(product["updated_at"]), *bounds)
        ]

    def _select(self, filters: dict[str, Any]) -> list[dict]:
        bounds = {
            name: parse_moment(filters[name]) if filters.get(name) else None
            for name in ("updated_at_min", "updated_at_max", "created_at_min", "created_at_max")
        }
        status = filters["status"]
        selected = []
        for order in map(self.fulfilments.order, self.world.shopify_orders):
            cancelled = order["cancelled_at"] is not None
            if status == "closed" or (status == "open" and cancelled) or (status == "cancelled" and not cancelled):
                continue
            if not in_window(moment_or_never(order["updated_at"]), bounds["updated_at_min"], bounds["updated_at_max"]):
                continue
            if (bounds["created_at_min"] or bounds["created_at_max"]) and not in_window(
                moment_or_never(order["created_at"]), bounds["created_at_min"], bounds["created_at_max"]
            ):
                continue
            selected.append(order)
        return selected


def _window(keys: list[tuple[float, int]], state: dict[str, Any], descending: bool, limit: int) -> tuple[int, int]:
    """Slice of the sorted keys that is the requested page: after the edge, or before it."""
    if not state["edge"]:
        return 0, min(limit, len(keys))
    edge = tuple(state["edge"])
    if state["dir"] == "next":
        start = sum(1 for k in keys if (k >= edge if descending else k <= edge))
        return start, min(start + limit, len(keys))
    end = sum(1 for k in keys if (k > edge if descending else k < edge))
    return max(0, end - limit), end


def _key(order: dict, field: str) -> tuple[float, int]:
    value = order["id"] if field == "id" else moment_or_never(order[field]).timestamp()
    return (float(value), order["id"])


def _limit(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise BadRequest({"limit": f"must be an integer between 1 and {MAX_LIMIT}, got {text!r}"})
    return int(text)


def _filters(query: dict[str, str]) -> dict[str, Any]:
    """Validated filter state of a first-page request (kept inside page_info afterwards)."""
    status = query.get("status", "open")
    if status not in STATUSES:
        raise BadRequest({"status": f"must be one of {', '.join(STATUSES)}"})
    filters: dict[str, Any] = {"status": status}
    for name in FILTERS[1:5]:
        if query.get(name):
            try:
                parse_moment(query[name], naive_tz=SHOP_TZ)
            except ValueError:
                raise BadRequest({name: f"is not an ISO 8601 date-time: {query[name]!r}"}) from None
            filters[name] = _with_offset(query[name])
    order = query.get("order", "id asc").split()
    if len(order) == 1:
        order.append("asc")
    if len(order) != 2 or order[0] not in ORDER_FIELDS or order[1] not in ("asc", "desc"):
        raise BadRequest({"order": f"must be one of {', '.join(ORDER_FIELDS)} followed by asc or desc"})
    filters["order"] = order
    return filters


def _product_filters(query: dict[str, str]) -> dict[str, Any]:
    """Filters of a first products page: status, the update window; always in id order."""
    filters: dict[str, Any] = {"order": ["id", "asc"]}
    if query.get("status"):
        if query["status"] not in PRODUCT_STATUSES:
            raise BadRequest({"status": f"must be one of {', '.join(PRODUCT_STATUSES)}"})
        filters["status"] = query["status"]
    for name in ("updated_at_min", "updated_at_max"):
        if query.get(name):
            try:
                filters[name] = _with_offset(query[name])
            except ValueError:
                raise BadRequest({name: f"is not an ISO 8601 date-time: {query[name]!r}"}) from None
    return filters


def _with_offset(text: str) -> str:
    """A filter time made explicit: naive times are the shop's local time, as on Shopify."""
    return parse_moment(text, naive_tz=SHOP_TZ).isoformat()


def _encode(state: dict[str, Any], edge: tuple[float, int], direction: str) -> str:
    raw = json.dumps({"filters": state["filters"], "edge": list(edge), "dir": direction}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(page_info: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(page_info + "=" * (-len(page_info) % 4)))
        if set(state) != {"filters", "edge", "dir"} or state["dir"] not in ("next", "prev"):
            raise ValueError(page_info)
        return state
    except (ValueError, binascii.Error, TypeError):
        raise BadRequest({"page_info": "Invalid value."}) from None


def make_platform(world: World, token: str) -> Shopify:
    return Shopify(world, token)
