"""Simulated Odoo 17 external API over JSON-RPC (`POST /jsonrpc`): login and execute_kw reads.

Like Odoo, every application error (bad password, unknown model or field) comes back as an
HTTP 200 whose body holds `error` instead of `result`; clients must look inside the body.
Models and fields are those of a standard Odoo 17 with Inventory, MRP and Invoicing
(simulators/contracts/odoo), plus the custom fields the world's database declares: a request
for any other field fails exactly as Odoo fails it. Searches skip archived records (`active`
false) unless the context says `active_test: False` or the domain names `active`.
"""

from __future__ import annotations

import json
from typing import Any

from simulators.contracts import odoo_fields, odoo_models
from simulators.odoo_domain import OdooValueError, check_fields, compile_domain, mentions, sort_records
from simulators.server import Request, Response
from simulators.world import World

DATABASE = "tracehub"
LOGIN = "admin"
UID = 2
SERVER_VERSION = "17.0"
READ_METHODS = ("search_read", "read", "search_count", "search", "fields_get")


class RpcError(Exception):
    """An Odoo server-side exception, sent back as the JSON-RPC `error` member."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


class Odoo:
    """One Odoo database holding the world's ERP records; `password` is the admin's password."""

    def __init__(self, world: World, password: str) -> None:
        self.world = world
        self.password = password
        self.by_id = {model: {r["id"]: r for r in records} for model, records in world.odoo.items()}
        custom = world.odoo_custom_fields
        self.types = {
            model: {
                **{name: str(spec["type"]).lower() for name, spec in odoo_fields(model).items()},
                **dict.fromkeys(custom.get(model, ()), "char"),
            }
            for model in world.odoo
        }

    def describe(self, request: Request) -> str | None:
        params = _params(request.body)
        if params is None:
            return None
        label = f"{params.get('service')}.{params.get('method')}"
        args = params.get("args") or []
        if params.get("method") == "execute_kw" and len(args) >= 5:
            label += f" {args[3]}.{args[4]}"
        return label

    def fault(self, kind: str, retry_after: str) -> Response:
        if kind == "429":
            return Response(
                429,
                "<h1>429 Too Many Requests</h1>",
                {"Retry-After": retry_after},
                retry_after=float(retry_after),
                content_type="text/html",
            )
        if kind == "odoo_error":
            return Response(
                200,
                _error(
                    None, "psycopg2.errors.SerializationFailure", "could not serialize access due to concurrent update"
                ),
            )
        status = 503 if kind == "503" else 500
        return Response(status, f"<h1>{status} Server Error</h1>", content_type="text/html")

    def handle(self, request: Request) -> Response:
        if request.path != "/jsonrpc":
            return Response(404, "<h1>Not Found</h1>", content_type="text/html")
        if request.method != "POST":
            return Response(405, "<h1>Method Not Allowed</h1>", content_type="text/html")
        try:
            call = json.loads(request.body or b"null")
        except ValueError:
            call = None
        if not isinstance(call, dict) or not isinstance(call.get("params"), dict):
            return Response(200, _error(None, "werkzeug.exceptions.BadRequest", "Invalid JSON-RPC request body"))
        try:
            result = self._dispatch(call["params"])
        except RpcError as error:
            return Response(200, _error(call.get("id"), error.name, error.message))
        except OdooValueError as error:
            return Response(200, _error(call.get("id"), "builtins.ValueError", str(error)))
        return Response(200, {"jsonrpc": "2.0", "id": call.get("id"), "result": result})

    def _dispatch(self, params: dict[str, Any]) -> Any:
        service, method, args = params.get("service"), params.get("method"), list(params.get("args") or [])
        if service == "common" and method == "version":
            return {"server_version": SERVER_VERSION, "server_serie": SERVER_VERSION, "protocol_version": 1}
        if service == "common" and method in ("login", "authenticate"):
            if len(args) < 3:
                raise RpcError("builtins.TypeError", f"{method}() missing required arguments: db, login, password")
            self._database(args[0])
            return UID if args[1] == LOGIN and args[2] == self.password else False
        if service == "object" and method == "execute_kw":
            if len(args) < 5:
                raise RpcError("builtins.TypeError", "execute_kw() needs db, uid, password, model, method")
            db, uid, password, model, name = args[:5]
            self._database(db)
            if uid != UID or password != self.password:
                raise RpcError("odoo.exceptions.AccessDenied", "Access Denied")
            positional = args[5] if len(args) > 5 else []
            keywords = args[6] if len(args) > 6 else {}
            return self._execute(model, name, list(positional or []), dict(keywords or {}))
        raise RpcError("builtins.Exception", f"Unsupported call {service}.{method}")

    @staticmethod
    def _database(name: Any) -> None:
        """Odoo opens a database's registry by connecting to it (odoo/modules/registry.py `Registry.init`):
        for a name PostgreSQL does not know, psycopg2's OperationalError carries libpq's words (14+)."""
        if name != DATABASE:
            raise RpcError(
                "psycopg2.OperationalError",
                f'connection to server at "localhost" (127.0.0.1), port 5432 failed: '
                f'FATAL:  database "{name}" does not exist\n',
            )

    def _execute(self, model: str, method: str, args: list, kwargs: dict[str, Any]) -> Any:
        if model not in self.world.odoo or model not in odoo_models():
            # odoo/service/model.py execute_cr: raise UserError(_("Object %s doesn't exist", obj))
            raise RpcError("odoo.exceptions.UserError", f"Object {model} doesn't exist")
        if method not in READ_METHODS:
            raise RpcError("builtins.AttributeError", f"The method '{method}' does not exist on the model '{model}'")
        records = self.world.odoo[model]
        types = self.types[model]
        if method == "fields_get":
            return {name: {"string": name, "type": kind} for name, kind in sorted(types.items())}
        if method == "read":
            ids = _argument(args, kwargs, 0, "ids", [])
            fields = self._fields(model, _argument(args, kwargs, 1, "fields", None))
            ids = [ids] if isinstance(ids, int) else list(ids)
            missing = [i for i in ids if i not in self.by_id[model]]
            if missing:
                raise RpcError(
                    "odoo.exceptions.MissingError",
                    "Record does not exist or has been deleted.\n"
                    f"(Record: {model}({', '.join(map(str, missing))},), User: {UID})",
                )
            return [self._project(model, self.by_id[model][i], fields) for i in ids]
        domain = _argument(args, kwargs, 0, "domain", [])
        match = compile_domain(model, types, domain)
        context = kwargs.get("context") or {}
        hide_archived = "active" in types and context.get("active_test", True) and not mentions(domain, "active")
        selected = [r for r in records if match(r) and not (hide_archived and r.get("active") is False)]
        if method == "search_count":
            return len(selected)
        positions = {"search_read": (2, 3, 4), "search": (1, 2, 3)}[method]
        offset = _argument(args, kwargs, positions[0], "offset", 0) or 0
        limit = _argument(args, kwargs, positions[1], "limit", None) or None
        ordered = sort_records(model, types, selected, _argument(args, kwargs, positions[2], "order", None))
        page = ordered[offset : offset + limit if limit else None]
        if method == "search":
            return [record["id"] for record in page]
        fields = self._fields(model, _argument(args, kwargs, 1, "fields", None))
        return [self._project(model, record, fields) for record in page]

    def _fields(self, model: str, requested: Any) -> list[str] | None:
        if not requested:
            return None
        check_fields(model, self.types[model], list(requested))
        return list(requested)

    @staticmethod
    def _project(model: str, record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
        """The record as Odoo answers it: requested fields only, False for a field with no value."""
        if fields is None:
            return dict(record)
        values = {"id": record["id"]}
        for name in fields:
            values[name] = _display_name(model, record) if name == "display_name" else record.get(name, False)
        return values


def _params(body: bytes) -> dict[str, Any] | None:
    try:
        call = json.loads(body or b"null")
    except ValueError:
        return None
    return call.get("params") if isinstance(call, dict) and isinstance(call.get("params"), dict) else None


def _argument(args: list, kwargs: dict[str, Any], index: int, name: str, default: Any) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def _display_name(model: str, record: dict[str, Any]) -> str:
    if model == "product.product" and record.get("default_code"):
        return f"[{record['default_code']}] {record['name']}"
    return str(record.get("name") or f"{model},{record['id']}")


def _error(call_id: Any, name: str, message: str) -> dict[str, Any]:
    """Odoo's JSON-RPC error body (HTTP 200); `data` as odoo/http.py `serialize_exception` builds it."""
    debug = f'Traceback (most recent call last):\n  File "odoo/http.py", line 1, in dispatch\n{name}: {message}\n'
    return {
        "jsonrpc": "2.0",
        "id": call_id,
        "error": {
            "code": 200,
            "message": "Odoo Server Error",
            "data": {"name": name, "debug": debug, "message": message, "arguments": [message], "context": {}},
        },
    }


def make_platform(world: World, password: str) -> Odoo:
    return Odoo(world, password)
