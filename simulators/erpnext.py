"""Simulated ERPNext / Frappe REST API: `GET /api/resource/<DocType>` lists and `/<DocType>/<name>` documents.

As frappe/api/v1.py and frappe/client.py `get_list` answer (contracts/erpnext/README.md): a list returns only
`name` unless `fields` (a JSON array, `"*"` for every column) asks for more, filters by `filters` (a JSON list of
`[doctype, field, op, value]` or `[field, op, value]`, or a JSON object `{field: value | [op, value]}`), sorts
by `order_by` (default the DocType's `sort_field sort_order`), and pages with `limit_start` /
`limit_page_length` (default 20, 0 for all); the body is `{"data": [...]}` with no count and no Link header.
A document comes whole, child tables (`items`, `barcodes`, `entries`) included. Every document served is
checked against its DocType (simulators/contracts/erpnext_doctypes.py) before it leaves.

Auth is `Authorization: token <api_key>:<api_secret>` or `Basic base64(<api_key>:<api_secret>)`
(frappe/auth.py `validate_auth_via_api_keys`); the site's key is `API_KEY`, its secret the token the server
was started with. Errors carry Frappe's body (`exc_type`, `exception`, `exc`, `_server_messages`): no
credentials 403 PermissionError, wrong ones 401 AuthenticationError, an unknown field in `fields`,
`filters` or `order_by` 417 DataError, an unknown DocType or name 404 DoesNotExistError.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote

from simulators.contracts.erpnext_doctypes import (
    erpnext_doctypes,
    erpnext_document_errors,
    erpnext_fields,
    erpnext_is_child,
)
from simulators.erpnext_world import render_erpnext, site_stamp
from simulators.server import Request, Response
from simulators.world import World

API_KEY = "tracehub-sync"
"""The API key of the site's integration user (the token the server is started with is its secret)."""
DEFAULT_PAGE = 20
ROUTE = re.compile(r"^/api/(?:v1/)?resource/(?P<doctype>[^/]+)(?:/(?P<name>.+))?$")
LOGGED_USER = re.compile(r"^/api/(?:v1/)?method/frappe\.auth\.get_logged_user$")
OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "in", "not in", "like", "not like", "between", "is")
_ORDER = re.compile(r"^\s*`?(?:tab[^`]*`\.`)?(?P<field>[A-Za-z0-9_]+)`?\s*(?P<dir>asc|desc)?\s*$", re.IGNORECASE)


class FrappeError(Exception):
    """A Frappe exception, answered with its HTTP status and Frappe's error body."""

    def __init__(self, status: int, exc_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.exc_type = exc_type
        self.message = message

    def response(self) -> Response:
        return Response(self.status, frappe_error_body(self.exc_type, self.message))


def frappe_error_body(exc_type: str, message: str) -> dict[str, Any]:
    """frappe/utils/response.py `report_error`: the exception, its traceback and the messages shown to the user."""
    exception = f"frappe.exceptions.{exc_type}: {message}"
    shown = json.dumps({"message": message, "title": "Message", "indicator": "red", "raise_exception": 1})
    return {
        "exc_type": exc_type,
        "exception": exception,
        "exc": json.dumps([f'Traceback (most recent call last):\n  File "frappe/app.py", line 1\n{exception}\n']),
        "_server_messages": json.dumps([shown]),
    }


class ERPNext:
    """One ERPNext site holding the world's documents; `secret` is the integration user's API secret."""

    def __init__(self, world: World, secret: str) -> None:
        self.secret = secret
        self.docs = render_erpnext(world)
        self.by_name = {doctype: {d["name"]: d for d in docs} for doctype, docs in self.docs.items()}
        for doctype, docs in self.docs.items():
            for doc in docs:
                errors = erpnext_document_errors(doctype, doc)
                if errors:
                    raise ValueError(f"{doctype} {doc['name']} breaks the contract: {'; '.join(errors[:3])}")

    def touch(self, doctype: str, name: str, changes: dict[str, Any], at: datetime) -> dict[str, Any]:
        """Change a document in place and stamp `modified` (its rows' too) as Frappe does on save."""
        doc = self.by_name[doctype][name]
        doc.update(changes)
        doc["modified"] = site_stamp(at)
        for value in doc.values():
            for row in value if isinstance(value, list) else ():
                row["modified"] = doc["modified"]
                row["docstatus"] = doc["docstatus"]
        errors = erpnext_document_errors(doctype, doc)
        if errors:
            raise ValueError(f"{doctype} {name} breaks the contract: {'; '.join(errors[:3])}")
        return doc

    def describe(self, request: Request) -> str | None:
        return None

    def fault(self, kind: str, retry_after: str) -> Response:
        if kind == "429":
            body = frappe_error_body("TooManyRequestsError", "You hit the rate limit because of too many requests.")
            return Response(429, body, {"Retry-After": retry_after}, retry_after=float(retry_after))
        status = 503 if kind == "503" else 500
        return Response(status, frappe_error_body("InternalServerError", "Internal Server Error"))

    def handle(self, request: Request) -> Response:
        try:
            self._authenticate(request.headers)
            if request.method != "GET":
                raise FrappeError(403, "PermissionError", "Not permitted")
            if LOGGED_USER.match(request.path):
                return Response(200, {"message": "sync@tracehub.example"})
            match = ROUTE.match(request.path)
            if not match:
                raise FrappeError(404, "PageDoesNotExistError", "Page not found")
            doctype = unquote(match["doctype"])
            self._served(doctype)
            if match["name"] is not None:
                return Response(200, {"data": self._document(doctype, unquote(match["name"]))})
            return Response(200, {"data": self._list(doctype, request.query)})
        except FrappeError as error:
            return error.response()

    def _authenticate(self, headers: dict[str, str]) -> None:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not value:
            raise FrappeError(403, "PermissionError", "Not permitted")
        kind, _, credential = value.partition(" ")
        if kind.lower() == "basic":
            try:
                credential = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                credential = ""
        elif kind.lower() != "token":
            raise FrappeError(401, "AuthenticationError", "Invalid authorization header")
        if credential != f"{API_KEY}:{self.secret}":
            raise FrappeError(401, "AuthenticationError", "Invalid API key/secret")

    def _served(self, doctype: str) -> None:
        if doctype not in erpnext_doctypes():
            raise FrappeError(404, "DoesNotExistError", f"DocType {doctype} not found")
        if erpnext_is_child(doctype):
            raise FrappeError(403, "PermissionError", f"Not permitted to read {doctype} without its parent")

    def _document(self, doctype: str, name: str) -> dict[str, Any]:
        doc = self.by_name.get(doctype, {}).get(name)
        if doc is None:
            raise FrappeError(404, "DoesNotExistError", f"{doctype} {name} not found")
        return self._checked(doctype, doc)

    @staticmethod
    def _checked(doctype: str, doc: dict[str, Any]) -> dict[str, Any]:
        errors = erpnext_document_errors(doctype, doc)
        if errors:
            raise FrappeError(500, "InternalServerError", f"served document breaks the contract: {errors[0]}")
        return doc

    def _list(self, doctype: str, query: dict[str, str]) -> list[dict[str, Any]]:
        types = erpnext_fields(doctype)
        columns = [f for f, kind in types.items() if kind not in ("Table", "Table MultiSelect")]
        fields = self._fields(doctype, types, columns, query.get("fields"))
        conditions = _filters(doctype, types, _json_param(query, "filters"))
        records = [d for d in self.docs.get(doctype, []) if all(c(d) for c in conditions)]
        for field, descending in reversed(_order(doctype, types, query.get("order_by"))):
            records.sort(key=_sort_key(types[field], field), reverse=descending)
        start = _int_param(query, "limit_start", 0)
        length = _int_param(query, "limit_page_length", _int_param(query, "limit", DEFAULT_PAGE))
        page = records[start : start + length if length else None]
        rows = [{f: doc.get(f) for f in fields} for doc in page]
        for row in rows:
            self._checked(doctype, row)
        return rows

    @staticmethod
    def _fields(doctype: str, types: dict[str, str], columns: list[str], raw: str | None) -> list[str]:
        if raw is None:
            return ["name"]
        requested = _json_param({"fields": raw}, "fields")
        if not isinstance(requested, list) or not all(isinstance(f, str) for f in requested):
            raise FrappeError(417, "DataError", "fields must be a JSON array of field names")
        names: list[str] = []
        for field in requested:
            plain = field.strip().strip("`").split("`.`")[-1].strip("`")
            if plain == "*":
                names += columns
            elif plain not in types or types[plain] in ("Table", "Table MultiSelect"):
                raise FrappeError(417, "DataError", f"Field not permitted in query: {field}")
            else:
                names.append(plain)
        return list(dict.fromkeys(names))


def _json_param(query: dict[str, str], name: str) -> Any:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise FrappeError(417, "DataError", f"{name} is not valid JSON") from None


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FrappeError(417, "ValidationError", f"{name} must be an integer") from None
    if value < 0:
        raise FrappeError(417, "ValidationError", f"{name} must not be negative")
    return value


def _order(doctype: str, types: dict[str, str], raw: str | None) -> list[tuple[str, bool]]:
    """(field, descending) pairs; default the DocType's sort field and order."""
    if not raw:
        return [("creation", True)]
    order = []
    for part in raw.split(","):
        match = _ORDER.match(part)
        if not match or match["field"] not in types:
            field = match["field"] if match else part.strip()
            raise FrappeError(417, "DataError", f"Field not permitted in query: {field}")
        order.append((match["field"], (match["dir"] or "asc").lower() == "desc"))
    return order


def _sort_key(kind: str, field: str) -> Any:
    """Sort key on one field; None sorts first, as MariaDB sorts NULL."""

    def key(doc: dict[str, Any]) -> tuple[bool, Any]:
        value = doc.get(field)
        return (False, "") if value is None else (True, _typed(kind, value))

    return key


def _typed(kind: str, value: Any) -> Any:
    """A value as the database compares it: datetimes and dates as moments, numbers as numbers."""
    if value is None:
        return None
    try:
        if kind == "Datetime":
            return datetime.fromisoformat(str(value))
        if kind == "Date":
            return date.fromisoformat(str(value)[:10])
        if kind in ("Int", "Check", "Float", "Currency", "Percent"):
            return float(value)
    except ValueError:
        raise FrappeError(417, "DataError", f"{value!r} is not a valid {kind}") from None
    return str(value)


def _filters(doctype: str, types: dict[str, str], raw: Any) -> list[Any]:
    """Conditions from Frappe's filter forms: a list of [doctype, field, op, value] / [field, op, value], or a dict."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        triples = [(f, *(v if isinstance(v, list) and len(v) == 2 else ("=", v))) for f, v in raw.items()]
    elif isinstance(raw, list):
        triples = []
        for entry in raw:
            if not isinstance(entry, list) or len(entry) not in (3, 4):
                raise FrappeError(417, "DataError", f"Invalid filter: {json.dumps(entry)}")
            if len(entry) == 4:
                if entry[0] != doctype:
                    raise FrappeError(417, "DataError", f"Invalid filter: {json.dumps(entry)}")
                entry = entry[1:]
            triples.append(tuple(entry))
    else:
        raise FrappeError(417, "DataError", "filters must be a JSON list or object")
    return [_condition(types, field, op, value) for field, op, value in triples]


def _condition(types: dict[str, str], field: Any, op: Any, value: Any) -> Any:
    if not isinstance(field, str) or field not in types or types[field] in ("Table", "Table MultiSelect"):
        raise FrappeError(417, "DataError", f"Field not permitted in query: {field}")
    op = str(op).lower()
    if op not in OPERATORS:
        raise FrappeError(417, "DataError", f"Operator must be one of {', '.join(OPERATORS)}")
    kind = types[field]
    if op == "is":
        wanted = value == "set"
        return lambda d: (d.get(field) not in (None, "")) == wanted
    if op in ("in", "not in"):
        options = value.split(",") if isinstance(value, str) else list(value or [])
        allowed = {_typed(kind, v) for v in options}
        inside = op == "in"
        return lambda d: (_typed(kind, d.get(field)) in allowed) == inside
    if op in ("like", "not like"):
        pattern = re.compile(
            "^" + re.escape(str(value)).replace("%", ".*").replace("_", ".") + "$", re.IGNORECASE | re.DOTALL
        )
        match = op == "like"
        return lambda d: bool(pattern.match(str(d.get(field) or ""))) == match
    if op == "between":
        low, high = (_typed(kind, v) for v in value)
        return lambda d: d.get(field) is not None and low <= _typed(kind, d.get(field)) <= high
    wanted = _typed(kind, value)
    compare = {
        "=": lambda a: a == wanted,
        "!=": lambda a: a != wanted,
        ">": lambda a: a is not None and a > wanted,
        ">=": lambda a: a is not None and a >= wanted,
        "<": lambda a: a is not None and a < wanted,
        "<=": lambda a: a is not None and a <= wanted,
    }[op]
    return lambda d: compare(_typed(kind, d.get(field)))


def make_platform(world: World, token: str) -> ERPNext:
    return ERPNext(world, token)
