"""Odoo JSON-RPC: master data, lots, production orders and invoices by `write_date`.

Odoo is the odd platform: one POST endpoint, credentials in every call's arguments,
errors inside HTTP 200 bodies, and relations as bare ids. Each entity therefore declares
its model, fields, fixed domain and the relations to expand; expansion reads each related
model once per page (never once per record) so one raw record carries everything its
mapping needs.

Only fields of a standard Odoo 17 (Inventory, MRP, Invoicing) are requested; a customer's
custom fields (`x_studio_*`) are added only where the source's `field_map` names them. Searches
pass `active_test: False`: archived products and partners still matter to history.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.base import RawRecord
from connectors.config import ConfigError, Secret, SourceConfig
from connectors.entities import declared
from connectors.http import HttpClient, RetryPolicy, Transient
from connectors.pagination import OffsetLimit
from connectors.reply import Reply
from connectors.timefmt import odoo_datetime, parse_utc

ENDPOINT = "/jsonrpc"

FINAL_ERRORS = frozenset(
    {
        "AccessError",
        "MissingError",
        "UserError",
        "ValidationError",
        "RedirectWarning",
        "BadRequest",
        "ValueError",
        "TypeError",
        "KeyError",
        "AttributeError",
        "IndexError",
    }
)
"""Odoo exception names (last dotted part) that mean the request itself is wrong: never retried.
AccessDenied means bad credentials; any other name (a database hiccup, a worker restart)
is taken as transient, unless its message says the configuration is wrong (below)."""

UNKNOWN_DATABASE = re.compile(r'database "(?P<database>[^"]*)" does not exist')
"""PostgreSQL's words, which Odoo passes on as `psycopg2.OperationalError` when the registry of a
database that does not exist is opened (odoo/modules/registry.py `Registry.init` connects first).
Other OperationalErrors (the database server restarting, too many connections) stay transient."""
UNKNOWN_MODEL = re.compile(r"Object (?P<model>[\w.]+) doesn't exist")
"""`UserError` from odoo/service/model.py `execute_cr`: the database lacks the app that defines the model."""
UNKNOWN_FIELD = re.compile(r"Invalid field '(?P<field>[^']+)' on (?:model )?'(?P<model>[^']+)'")
"""`ValueError` from `_determine_fields_to_fetch` when a requested field does not exist on the model."""


@dataclass(frozen=True, slots=True)
class Expand:
    """Replace relation `field` with the `model` records it points to (their `fields` plus id).

    A many2one `[id, name]` becomes the related dict; a one2many/many2many id list (`to_many`)
    becomes a list of dicts in id order.
    """

    field: str
    model: str
    fields: tuple[str, ...]
    to_many: bool = False
    expand: tuple[Expand, ...] = ()


@dataclass(frozen=True, slots=True)
class OdooEntity:
    """A canonical entity as an Odoo model, its fields, a fixed domain and relations to expand."""

    model: str
    fields: tuple[str, ...]
    domain: tuple[tuple[str, str, Any], ...] = ()
    expand: tuple[Expand, ...] = ()


PRODUCT_CODES = ("barcode", "default_code")

ENTITIES: dict[str, OdooEntity] = {
    "device": OdooEntity(
        model="product.product",
        fields=("id", "default_code", "barcode", "name", "tracking", "uom_id", "list_price", "active", "write_date"),
    ),
    "party": OdooEntity(
        model="res.partner",
        fields=(
            "id",
            "name",
            "ref",
            "is_company",
            "customer_rank",
            "supplier_rank",
            "state_id",
            "email",
            "phone",
            "active",
            "write_date",
        ),
        domain=(("is_company", "=", True),),
    ),
    "lot": OdooEntity(
        model="stock.lot",
        fields=("id", "name", "product_id", "expiration_date", "write_date"),
        expand=(Expand("product_id", "product.product", (*PRODUCT_CODES, "name")),),
    ),
    "batch_record": OdooEntity(
        model="mrp.production",
        fields=(
            "id",
            "name",
            "product_id",
            "lot_producing_id",
            "product_qty",
            "qty_produced",
            "date_finished",
            "state",
            "move_raw_ids",
            "write_date",
        ),
        domain=(("state", "=", "done"),),
        expand=(
            Expand("product_id", "product.product", PRODUCT_CODES),
            Expand("lot_producing_id", "stock.lot", ("name",)),
            Expand(
                "move_raw_ids",
                "stock.move",
                ("quantity",),
                to_many=True,
                expand=(
                    Expand("product_id", "product.product", PRODUCT_CODES),
                    Expand(
                        "move_line_ids",
                        "stock.move.line",
                        ("quantity", "lot_name"),
                        to_many=True,
                        expand=(Expand("lot_id", "stock.lot", ("name",)),),
                    ),
                ),
            ),
        ),
    ),
    "invoice": OdooEntity(
        model="account.move",
        fields=(
            "id",
            "name",
            "move_type",
            "invoice_origin",
            "partner_id",
            "invoice_date",
            "currency_id",
            "amount_untaxed",
            "amount_tax",
            "amount_total",
            "state",
            "invoice_line_ids",
            "write_date",
        ),
        domain=(("move_type", "=", "out_invoice"), ("state", "=", "posted")),
        expand=(
            Expand(
                "invoice_line_ids",
                "account.move.line",
                ("name", "display_type", "quantity", "price_unit", "price_subtotal"),
                to_many=True,
                expand=(Expand("product_id", "product.product", PRODUCT_CODES),),
            ),
        ),
    ),
    "scrap": OdooEntity(
        model="stock.scrap",
        fields=(
            "id",
            "name",
            "product_id",
            "lot_id",
            "scrap_qty",
            "location_id",
            "origin",
            "date_done",
            "state",
            "write_date",
        ),
        domain=(("state", "=", "done"),),
        expand=(
            Expand("product_id", "product.product", PRODUCT_CODES),
            Expand("lot_id", "stock.lot", ("name",)),
        ),
    ),
}
"""Standard Odoo 17 fields only (see simulators/contracts/odoo); custom ones come from `field_map`."""

ALL_RECORDS = {"active_test": False}
"""Search context: archived records are part of history and must sync too."""


class OdooConnector:
    """One Odoo database, logged in as `login` with a password or API key as the credential."""

    kind = "odoo"

    def __init__(self, config: SourceConfig, secret: Secret, *, policy: RetryPolicy | None = None) -> None:
        secret = secret.model_copy(
            update={
                "database": secret.database or config.database,
                "login": secret.login or config.login,
            }
        )
        if not secret.database or not secret.login:
            raise ConfigError(
                f"source {config.name!r}: Odoo needs 'database' and 'login' in its config "
                "(or the Airflow connection's schema and login)"
            )
        self.source = config.name
        self.config = config
        self.http = HttpClient(config, secret, auth=None, policy=policy)
        self._secret = secret
        self._uid: int | None = None
        self._request_ids = itertools.count(1)
        self._paginator = OffsetLimit()

    def __repr__(self) -> str:
        return f"OdooConnector(source={self.source!r})"

    def check(self) -> str:
        """Log in: proves database, login and password in one call."""
        uid = self._login()
        secret = self._secret
        return f"odoo {self.source}: logged in to database {secret.database!r} as {secret.login!r} (uid {uid})"

    def ordered(self, entity: str) -> bool:
        """Always: every search is ordered by `write_date, id`."""
        declared(self.kind, entity, ENTITIES)
        return True

    def pull(self, entity: str, since: datetime | None, until: datetime) -> Iterator[list[RawRecord]]:
        """Yield pages of `entity` with since <= write_date <= until, oldest first."""
        spec = declared(self.kind, entity, ENTITIES)
        domain: list[Any] = list(spec.domain)
        if since is not None:
            domain.append(("write_date", ">=", odoo_datetime(since)))
        domain.append(("write_date", "<=", odoo_datetime(until, up=True)))
        fields = list(dict.fromkeys((*spec.fields, *self.config.custom_fields(entity))))
        base = {"fields": fields, "order": "write_date asc, id asc", "context": ALL_RECORDS}
        params: dict[str, Any] | None = self._paginator.first(base, self.config.page_size)
        while params is not None:
            reply = self._execute(spec.model, "search_read", [domain], params)
            rows = self._result_list(reply, f"{spec.model}.search_read")
            if rows:
                self._expand(rows, spec.expand)
                yield [self._record(spec.model, row) for row in rows]
            params = self._paginator.next(params, reply, len(rows))

    def _login(self) -> int:
        if self._uid is None:
            secret = self._secret
            args = [secret.database, secret.login, secret.token]
            uid = self._call("common", "login", args, "common.login").body["result"]
            if not uid:
                raise self.http.auth_error(f"Odoo refused login {secret.login!r} on database {secret.database!r}")
            self._uid = uid
        return self._uid

    def _execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Reply:
        uid = self._login()
        secret = self._secret
        return self._call(
            "object",
            "execute_kw",
            [secret.database, uid, secret.token, model, method, args, kwargs],
            f"{model}.{method}",
        )

    def _call(self, service: str, method: str, args: list[Any], label: str) -> Reply:
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(self._request_ids),
            "params": {"service": service, "method": method, "args": args},
        }
        return self.http.request(
            "POST",
            ENDPOINT,
            json_body=payload,
            endpoint=label,
            check=lambda body: self._check_body(body, label),
        )

    def _check_body(self, body: Any, label: str) -> None:
        """Raise for the JSON-RPC error an HTTP 200 may carry, retrying only transient ones."""
        if not isinstance(body, dict) or ("result" not in body and "error" not in body):
            raise self.http.platform_error(label, 200, "the answer is not a JSON-RPC response")
        error = body.get("error")
        if error is None:
            return
        data = error.get("data") or {}
        name = str(data.get("name") or "")
        message = str(data.get("message") or error.get("message") or "unknown error")
        kind = name.rsplit(".", 1)[-1]
        if kind == "AccessDenied":
            raise self.http.auth_error(f"Odoo {label}: {message}")
        misconfigured = self._config_error(kind, self.http.scrub(message))
        if misconfigured is not None:
            raise misconfigured
        if kind in FINAL_ERRORS:
            raise self.http.platform_error(label, 200, f"{name}: {message}")
        raise Transient(f"Odoo {name or error.get('message', 'error')}: {self.http.scrub(message)}")

    def _config_error(self, kind: str, message: str) -> ConfigError | None:
        """The Odoo error as the configuration mistake it reveals, naming the setting to fix; else None."""
        source, said = self.source, f"(Odoo: {message.strip()})"
        database = UNKNOWN_DATABASE.search(message)
        if kind == "OperationalError" and database and database["database"] == self._secret.database:
            origin = "the sources file" if self.config.database else f"the schema of {self.config.credential_origin()}"
            return ConfigError(
                f"source {source!r} field database: Odoo has no database {self._secret.database!r} (from {origin}) "
                f"{said}; set the name of an existing database"
            )
        model = UNKNOWN_MODEL.search(message)
        if model:
            return ConfigError(
                f"source {source!r} field entities: this Odoo has no model {model['model']!r}"
                f"{self._needed_by(model['model'])} {said}; install the Odoo app that provides it, "
                "or remove the entities that need it from the source"
            )
        field = UNKNOWN_FIELD.search(message)
        if not field:
            return None
        name, on = field["field"], field["model"]
        mapped = [e for e in self.config.entities if ENTITIES[e].model == on and name in self.config.custom_fields(e)]
        if mapped:
            return ConfigError(
                f"source {source!r} field field_map.{mapped[0]}: Odoo model {on!r} has no field {name!r} {said}; "
                "correct or remove it in the source's field_map"
            )
        return ConfigError(
            f"source {source!r} field entities: Odoo model {on!r} has no field {name!r}{self._needed_by(on, name)} "
            f"{said}; install the Odoo module that adds it, or remove the entities that need it from the source"
        )

    def _needed_by(self, model: str, field: str | None = None) -> str:
        """`, needed by entities [...]`: the source's entities whose pull reads `model` (and `field`), if any."""
        names = [
            entity
            for entity in self.config.entities
            if any(m == model and (field is None or field in f) for m, f in _reads(ENTITIES[entity]))
        ]
        return f", needed by entities {names}" if names else ""

    def _result_list(self, reply: Reply, label: str) -> list[dict[str, Any]]:
        result = reply.body["result"]
        if not isinstance(result, list):
            raise self.http.platform_error(label, reply.status, "expected a list of records in 'result'")
        return result

    def _expand(self, rows: Sequence[dict[str, Any]], relations: Sequence[Expand]) -> None:
        """Replace relation ids in `rows` with related dicts, one `read` per relation per page."""
        for rel in relations:
            ids = sorted({i for row in rows for i in _relation_ids(row.get(rel.field), rel.to_many)})
            related: dict[int, dict[str, Any]] = {}
            if ids:
                fields = list(dict.fromkeys((*rel.fields, *(child.field for child in rel.expand))))
                found = self._result_list(
                    self._execute(rel.model, "read", [ids], {"fields": fields, "context": ALL_RECORDS}),
                    f"{rel.model}.read",
                )
                self._expand(found, rel.expand)
                related = {record["id"]: record for record in found}
            for row in rows:
                value = row.get(rel.field)
                if rel.to_many and isinstance(value, list):
                    row[rel.field] = [related.get(i, {"id": i}) for i in sorted(value)]
                elif not rel.to_many and isinstance(value, list) and value:
                    row[rel.field] = related.get(value[0], {"id": value[0], "display_name": value[-1]})

    def _record(self, model: str, row: dict[str, Any]) -> RawRecord:
        try:
            updated_at = parse_utc(row["write_date"])
        except (KeyError, TypeError, ValueError):
            raise self.http.platform_error(
                f"{model}.search_read", 200, f"record {row.get('id')!r} has no valid write_date"
            ) from None
        return RawRecord(external_id=str(row["id"]), updated_at=updated_at, payload=row)


def _reads(spec: OdooEntity) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every (model, fields) an entity's pull reads: its own model, then each relation it expands."""
    yield spec.model, spec.fields
    pending = list(spec.expand)
    while pending:
        rel = pending.pop()
        yield rel.model, (*rel.fields, *(child.field for child in rel.expand))
        pending.extend(rel.expand)


def _relation_ids(value: Any, to_many: bool) -> list[int]:
    """Ids a relation value points to: `[id, name]` for many2one, `[id, ...]` for x2many, False if empty."""
    if not isinstance(value, list) or not value:
        return []
    return list(value) if to_many else [value[0]]
