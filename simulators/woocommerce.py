"""Simulated WooCommerce REST API v3: `GET /wp-json/wc/v3/orders` and `/products` of the world's store.

Follows contracts/woocommerce: page-numbered pages (`page`, `per_page` up to 100, `offset`) with
`X-WP-Total`, `X-WP-TotalPages` and a `Link` header; `modified_after`/`modified_before` (and
`after`/`before`) read in the site's time zone unless `dates_are_gmt` is true; `orderby`/`order`;
`status`, `include`/`exclude`, and on products `sku`. A query parameter the list endpoint does not
document, or a value its type or options refuse, is a 400 `rest_invalid_param`, and every body is
checked against the documented property tables before it is sent: a simulator bug is a 500, never
an invented field. Other documented filters (`search`, `category`, ...) are accepted and not applied.

Authentication is the consumer key and secret, as HTTP Basic or as the `consumer_key` and
`consumer_secret` query parameters; errors have WordPress's body `{"code", "message", "data": {"status"}}`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from simulators.contracts import woocommerce_parameter_errors, woocommerce_response_errors, woocommerce_write_errors
from simulators.formats import SHOP_TZ
from simulators.server import Request, Response
from simulators.woocommerce_store import MetaKeys, Store, gmt_time, render_store, site_time
from simulators.world import World

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
AUTH_PARAMS = ("consumer_key", "consumer_secret")
ROUTE = re.compile(r"^/wp-json/wc/v3/(?P<resource>orders|products)/?$")
ORDER_ROUTE = re.compile(r"^/wp-json/wc/v3/orders/(?P<id>\d+)/?$")
DATE_FILTERS = {
    "after": "date_created",
    "before": "date_created",
    "modified_after": "date_modified",
    "modified_before": "date_modified",
}
"""Date filter -> the record's date it limits (its `_gmt` twin is compared)."""
HIDDEN_BY_ANY = frozenset({"trash"})


def error(status: int, code: str, message: str, **data: Any) -> Response:
    """WordPress's REST error body."""
    return Response(status, {"code": code, "message": message, "data": {"status": status, **data}})


class BadParam(Exception):
    """A parameter WordPress refuses: 400 rest_invalid_param naming it."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


class WooCommerce:
    """One store: the world's WooCommerce orders and products behind one consumer key and secret."""

    def __init__(self, world: World, token: str, keys: MetaKeys | None = None) -> None:
        self.store: Store = render_store(world, keys)
        self.consumer_key = f"ck_{token}"
        self.consumer_secret = f"cs_{token}"
        self.lock = threading.Lock()
        self.meta_ids = 900_000_000

    def describe(self, request: Request) -> str | None:
        return None

    def fault(self, kind: str, retry_after: str) -> Response:
        if kind == "429":
            response = error(429, "too_many_requests", "Too many requests.")
            response.headers["Retry-After"] = retry_after
            response.retry_after = float(retry_after)
            return response
        if kind == "503":
            return error(503, "service_unavailable", "Service Unavailable")
        return error(500, "internal_server_error", "There has been a critical error on this website.")

    def handle(self, request: Request) -> Response:
        one = ORDER_ROUTE.match(request.path)
        if one is not None and request.method in ("GET", "PUT"):
            return self._authenticate(request) or self._order(request, int(one["id"]))
        route = ROUTE.match(request.path)
        if request.method != "GET" or route is None:
            return error(404, "rest_no_route", "No route was found matching the URL and request method.")
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        resource = route["resource"]
        try:
            status, body, headers = self._list(request, resource)
        except BadParam as bad:
            names = ", ".join(bad.problems)
            return error(400, "rest_invalid_param", f"Invalid parameter(s): {names}", params=bad.problems)
        if status == 200:
            breaches = woocommerce_response_errors(resource, body)
            if breaches:
                message = f"{resource} body breaks the v3 contract: {breaches[:3]}"
                return error(500, "simulator_contract_breach", message)
        return Response(status, body, headers)

    def _order(self, request: Request, order_id: int) -> Response:
        """Retrieve one order, or update it: writable properties only; meta entries set by key, as WooCommerce does."""
        with self.lock:
            order = next((o for o in self.store.orders if o["id"] == order_id), None)
            if order is None:
                return error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
            if request.method == "PUT":
                try:
                    body = json.loads(request.body or b"null")
                except ValueError:
                    return error(400, "rest_invalid_json", "Invalid JSON body passed.")
                problems = woocommerce_write_errors("orders", body)
                if problems:
                    return error(400, "rest_invalid_param", f"Invalid parameter(s): {problems[0]}", params=problems)
                _update(order, body, self.next_meta_id)
            breaches = woocommerce_response_errors("orders", order)
            if breaches:
                return error(500, "simulator_contract_breach", f"order body breaks the v3 contract: {breaches[:3]}")
            return Response(200, json.loads(json.dumps(order)))

    def next_meta_id(self) -> int:
        self.meta_ids += 1
        return self.meta_ids

    def _authenticate(self, request: Request) -> Response | None:
        query = request.query
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                key, _, secret = base64.b64decode(header[6:], validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                key = secret = ""
        elif "consumer_key" in query:
            key, secret = query["consumer_key"], query.get("consumer_secret", "")
        else:
            return error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        if key != self.consumer_key:
            return error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if secret != self.consumer_secret:
            return error(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        return None

    def _list(self, request: Request, resource: str) -> tuple[int, Any, dict[str, str]]:
        query = request.query
        problems = woocommerce_parameter_errors(resource, query, AUTH_PARAMS)
        if problems:
            raise BadParam({line.split(":", 1)[0]: line for line in problems})
        per_page = _bounded(query, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        page = _bounded(query, "page", 1, 1, None)
        offset = _bounded(query, "offset", 0, 0, None) if "offset" in query else None
        records = self.store.orders if resource == "orders" else self.store.products
        selected = [record for record in records if all(keep(record) for keep in _filters(resource, query))]
        selected.sort(key=_sort_key(query.get("orderby", "date"), query), reverse=query.get("order", "desc") == "desc")
        total = len(selected)
        pages = math.ceil(total / per_page)
        if page > max(pages, 1):
            return 400, _page_error(), {}
        start = offset if offset is not None else (page - 1) * per_page
        body = selected[start : start + per_page]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        link = _link(request, page, pages)
        if link:
            headers["Link"] = link
        return 200, body, headers


def _page_error() -> dict[str, Any]:
    return {
        "code": "rest_post_invalid_page_number",
        "message": "The page number requested is larger than the number of pages available.",
        "data": {"status": 400},
    }


def _bounded(query: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    value = int(query.get(name, default))
    if value < low or (high is not None and value > high):
        limits = f"between {low} (inclusive) and {high} (inclusive)" if high else f"greater than or equal to {low}"
        raise BadParam({name: f"{name} must be {limits}."})
    return value


def _moment(name: str, text: str, gmt: bool) -> datetime:
    """A filter date: naive text is site time, or GMT with `dates_are_gmt`; the contract's date form too."""
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+") if re.search(r"T[\d:.]+ \d", text) else text)
    except ValueError:
        raise BadParam({name: f"Invalid date: {text!r}."}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC if gmt else SHOP_TZ)
    return moment.astimezone(UTC)


def _filters(resource: str, query: dict[str, str]) -> list[Callable[[dict[str, Any]], bool]]:
    gmt = query.get("dates_are_gmt", "false").lower() in ("true", "1")
    keeps: list[Callable[[dict[str, Any]], bool]] = []
    for name, column in DATE_FILTERS.items():
        if query.get(name):
            bound = _moment(name, query[name], gmt)
            keeps.append(_date_keep(column, bound, after=name.endswith("after")))
    status = query.get("status", "any")
    if resource == "orders":
        wanted = {part.strip() for part in status.split(",")}
        keeps.append(lambda r: r["status"] in wanted or ("any" in wanted and r["status"] not in HIDDEN_BY_ANY))
    elif status != "any":
        keeps.append(lambda r: r["status"] == status)
    if query.get("include"):
        include = set(_ids(query, "include"))
        keeps.append(lambda r: r["id"] in include)
    if query.get("exclude"):
        exclude = set(_ids(query, "exclude"))
        keeps.append(lambda r: r["id"] not in exclude)
    if resource == "products" and query.get("sku"):
        skus = {part.strip() for part in query["sku"].split(",")}
        keeps.append(lambda r: r["sku"] in skus)
    return keeps


def _ids(query: dict[str, str], name: str) -> list[int]:
    """An id list parameter (`include=4301,4302`); the contract types it `array` of ids."""
    parts = [part.strip() for part in query[name].split(",")]
    if not all(part.isdigit() for part in parts):
        raise BadParam({name: f"{name}[] is not of type integer."})
    return [int(part) for part in parts]


def _date_keep(column: str, bound: datetime, after: bool) -> Callable[[dict[str, Any]], bool]:
    """Strictly after or before `bound`, as WP_Query's date_query compares (GMT column)."""

    def keep(record: dict[str, Any]) -> bool:
        moment = datetime.fromisoformat(record[f"{column}_gmt"]).replace(tzinfo=UTC)
        return moment > bound if after else moment < bound

    return keep


def _sort_key(orderby: str, query: dict[str, str]) -> Callable[[dict[str, Any]], tuple[Any, int]]:
    if orderby == "date":
        return lambda r: (r["date_created_gmt"], r["id"])
    if orderby in ("title", "slug"):
        field = "name" if orderby == "title" else "slug"
        return lambda r: (str(r.get(field) or ""), r["id"])  # orders have neither: id order
    if orderby == "include" and query.get("include"):
        position = {number: index for index, number in enumerate(_ids(query, "include"))}
        return lambda r: (position.get(r["id"], len(position)), r["id"])
    if orderby == "price":
        return lambda r: (float(r.get("price") or 0), r["id"])
    return lambda r: (r["id"], r["id"])


def _link(request: Request, page: int, pages: int) -> str:
    """RFC 5988 links to the neighbouring pages, with the query as sent (WordPress keeps it)."""
    base = f"http://{request.headers.get('Host', '127.0.0.1')}{request.path}"
    query = {k: v for k, v in request.query.items() if k != "page"}

    def url(number: int) -> str:
        return f"{base}?{urlencode({**query, 'page': number})}"

    links = []
    if page > 1:
        links += [f'<{url(page - 1)}>; rel="prev"', f'<{url(1)}>; rel="first"']
    if page < pages:
        links += [f'<{url(page + 1)}>; rel="next"', f'<{url(pages)}>; rel="last"']
    return ", ".join(links)


def make_platform(world: World, token: str) -> WooCommerce:
    return WooCommerce(world, token)


def _update(order: dict[str, Any], body: dict[str, Any], new_id: Callable[[], int]) -> None:
    """Apply an update: meta entries replace the value of the same key or are added; the order is modified now."""
    for entry in body.get("meta_data") or []:
        held = next((m for m in order["meta_data"] if m["key"] == entry["key"]), None)
        if held is None:
            order["meta_data"].append({"id": new_id(), "key": entry["key"], "value": entry.get("value", "")})
        else:
            held["value"] = entry.get("value", "")
    for key, value in body.items():
        if key != "meta_data":
            order[key] = value
    now = datetime.now(UTC)
    order["date_modified_gmt"], order["date_modified"] = gmt_time(now), site_time(now)
