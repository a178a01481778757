"""The vendors' published contracts, and validators that prove a served response follows them.

The folders next to this module hold verbatim copies of what ShipBob, Odoo and Shopify publish (provenance in each
`SOURCE.txt`). The simulated platforms and the tests check their bodies here, so a simulator cannot drift into inventing
a field, a type or an endpoint the real platform does not have: a connector tested against such a simulator would pass
in CI and fail against the vendor.

- ShipBob: `shipbob/openapi-2026-01.json`, an OpenAPI 3.0.0 document, validated with jsonschema (Draft 2020-12)
  after a conversion that keeps the spec's strictness (closed objects, enums, integers, date-times).
- Odoo 17.0: `odoo/odoo17_fields.json`, the standard fields per model, completed with `_inherits` delegation and the
  ORM's magic columns, which the file leaves out.
- Shopify Admin REST 2025-10: `shopify/rest_2025-10_attributes.json`, the attribute names of each resource, and
  `shopify/fulfillment_requests.json`, what a fulfilment request may carry.
- WooCommerce REST v3: `woocommerce/v3_orders_products_schema.json`, the property and parameter tables of the docs,
  turned into JSON Schema (closed objects, the documented types, options as enums, dates as `YYYY-MM-DDTHH:MM:SS`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from jsonschema.exceptions import ValidationError

__all__ = [
    "ODOO_FIELDS",
    "SHIPBOB_SPEC",
    "SHOPIFY_ATTRIBUTES",
    "WOOCOMMERCE_SCHEMA",
    "odoo_fields",
    "odoo_models",
    "odoo_unknown_fields",
    "shipbob_operation",
    "shipbob_response_errors",
    "shopify_attributes",
    "shopify_line_item_keys",
    "shopify_request_errors",
    "shopify_unknown_attributes",
    "woocommerce_parameter_errors",
    "woocommerce_parameters",
    "woocommerce_response_errors",
    "woocommerce_write_errors",
]

HERE = Path(__file__).parent
SHIPBOB_SPEC = HERE / "shipbob" / "openapi-2026-01.json"
ODOO_FIELDS = HERE / "odoo" / "odoo17_fields.json"
SHOPIFY_ATTRIBUTES = HERE / "shopify" / "rest_2025-10_attributes.json"
SHOPIFY_REQUESTS = HERE / "shopify" / "fulfillment_requests.json"
WOOCOMMERCE_SCHEMA = HERE / "woocommerce" / "v3_orders_products_schema.json"


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


# -- ShipBob: OpenAPI 3.0 -> JSON Schema ---------------------------------------------------------------------------

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
_OPENAPI_ONLY = frozenset({"nullable", "discriminator", "example", "examples", "xml", "externalDocs", "writeOnly"})
"""OpenAPI keywords with no JSON Schema meaning (nullable is applied, the rest are documentation)."""
_COMPOSITIONS = ("$ref", "anyOf", "oneOf", "allOf", "not")


@cache
def _shipbob_spec() -> dict[str, Any]:
    return _load(SHIPBOB_SPEC)


@cache
def _shipbob_routes() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(regex, template) per path template, most literal characters first, so that `/inventory-level/lots`
    wins over `/inventory-level/{inventoryId}` and `/shipment/{id}:getLineItems` over `/shipment/{id}`."""
    routes = []
    for template in _shipbob_spec()["paths"]:
        parts = re.split(r"(\{[^}/]+\})", template)
        # A parameter is one path segment and never holds ':' (which starts a custom method such as ':cancel').
        pattern = "".join("[^/:]+" if part.startswith("{") else re.escape(part) for part in parts)
        literal = sum(len(part) for part in parts if not part.startswith("{"))
        routes.append((literal, re.compile(pattern), template))
    routes.sort(key=lambda route: -route[0])
    return tuple((regex, template) for _, regex, template in routes)


def shipbob_operation(method: str, path: str) -> str | None:
    """The spec's path template for a concrete request (query string and host ignored), or None.

    Only templates that declare `method` count: a simulator route the spec does not document has no contract.
    """
    method = method.lower()
    concrete = urlsplit(path).path
    paths = _shipbob_spec()["paths"]
    for regex, template in _shipbob_routes():
        if method in paths[template] and regex.fullmatch(concrete):
            return template
    return None


def _is_date_time(value: object) -> bool:
    """ISO 8601 date and time, as `datetime.fromisoformat` reads it once a trailing Z is made `+00:00`.

    Other formats in the spec (int32, uuid, uri, email, ...) are not enforced. A bare date is not a date-time.
    """
    if not isinstance(value, str):
        return True
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return len(text) > len("2026-01-01")


@cache
def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    return checker


def _component(ref: str) -> Mapping[str, Any]:
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        raise ValueError(f"unsupported $ref {ref!r}: only {prefix}... is used by the ShipBob spec")
    schema: Mapping[str, Any] = _shipbob_spec()["components"]["schemas"][ref.removeprefix(prefix)]
    return schema


def _flatten_all_of(schema: Mapping[str, Any], seen: frozenset[str] = frozenset()) -> Mapping[str, Any]:
    """One object schema from an `allOf` of object schemas.

    The spec expresses inheritance as `allOf: [{$ref: Base}]` next to the subtype's own properties, and closes every
    part with `additionalProperties: false`. Applied literally, each part would reject the other parts' properties and
    no body could be valid; merged, the subtype is closed over the union of properties, which is what the spec means.
    """
    if "allOf" not in schema:
        return schema
    members = []
    for member in schema["allOf"]:
        if "$ref" in member:
            ref = member["$ref"]
            if ref in seen:
                raise ValueError(f"allOf cycle through {ref}")
            member = _flatten_all_of(_component(ref), seen | {ref})
        else:
            member = _flatten_all_of(member, seen)
        members.append(member)
    if not all("properties" in m or m.get("type") == "object" for m in members):
        return schema  # not an inheritance pattern: left to JSON Schema's own allOf
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in [*members, schema]:
        properties.update(part.get("properties", {}))
        required += [name for name in part.get("required", []) if name not in required]
    merged["type"] = "object"
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    if not isinstance(schema.get("additionalProperties"), Mapping) and any(
        part.get("additionalProperties") is False for part in [*members, schema]
    ):
        merged["additionalProperties"] = False
    return merged


def _to_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """One OpenAPI 3.0 schema object as Draft 2020-12 JSON Schema; `$ref`s stay references (resolved lazily)."""
    if "$ref" in schema:
        # OpenAPI 3.0 ignores a $ref's siblings; here they are only `additionalProperties: false` and descriptions,
        # and in 2020-12 they would apply (a closed object with no properties, rejecting every key).
        out: dict[str, Any] = {"$ref": schema["$ref"]}
        return _nullable(out) if schema.get("nullable") is True else out
    schema = _flatten_all_of(schema)
    out = {}
    for key, value in schema.items():
        if key in _OPENAPI_ONLY:
            continue
        if key == "properties":
            out[key] = {name: _to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "not"):
            out[key] = _to_json_schema(value)
        elif key == "additionalProperties":
            if isinstance(value, Mapping):
                out[key] = _to_json_schema(value)
            elif value is False and "properties" in schema:
                out[key] = False  # a closed object: an invented field must fail
            # otherwise dropped: the spec sets it on scalars, arrays and property-less "any object" schemas too
        elif key in ("allOf", "anyOf"):
            out[key] = [_to_json_schema(sub) for sub in value]
        elif key == "oneOf":
            # The spec's oneOf alternatives overlap by construction (Orders.InternalShipmentViewModel is
            # Orders.ShipmentViewModel plus an optional store_order_id), so "exactly one" would reject every valid
            # shipment. "At least one" keeps each alternative closed and still rejects invented fields.
            out["oneOf" if "anyOf" in schema else "anyOf"] = [_to_json_schema(sub) for sub in value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = schema.get("minimum" if key == "exclusiveMinimum" else "maximum")
            if value and bound is not None:
                out[key] = bound
        else:
            out[key] = value
    if "required" in out and out.get("additionalProperties") is False:
        out["required"] = _declared_required(out["required"], out.get("properties", {}))
    if out.get("exclusiveMinimum") is not None and out.get("minimum") == out["exclusiveMinimum"]:
        del out["minimum"]
    if out.get("exclusiveMaximum") is not None and out.get("maximum") == out["exclusiveMaximum"]:
        del out["maximum"]
    return _nullable(out) if schema.get("nullable") is True else out


def _declared_required(required: list[str], properties: Mapping[str, Any]) -> list[str]:
    """`required` names as the closed object spells its properties.

    The spec sometimes lists a required name in another case than the property it declares
    (Orders.RetailerProgramDataViewModel requires `purchaseOrderNumber` but declares `purchase_order_number`).
    Next to `additionalProperties: false` that makes the object unsatisfiable, so every order carrying
    retailer_program_data would fail. A name is matched to the property with the same letters (case and underscores
    ignored) and kept required under that spelling; a name matching no property is dropped.
    """

    def letters(name: str) -> str:
        return name.replace("_", "").lower()

    spelled = {letters(name): name for name in properties}
    out: list[str] = []
    for name in required:
        actual = name if name in properties else spelled.get(letters(name))
        if actual is not None and actual not in out:
            out.append(actual)
    return out


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    """`nullable: true` in JSON Schema terms: null is one more accepted type (and enum value)."""
    if any(key in out for key in _COMPOSITIONS):
        return {"anyOf": [{"type": "null"}, out]}
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


@cache
def _shipbob_components() -> dict[str, Any]:
    """Every component schema converted once; operation validators refer to this one dict."""
    schemas = _shipbob_spec()["components"]["schemas"]
    return {"schemas": {name: _to_json_schema(schema) for name, schema in schemas.items()}}


def _declared_response(method: str, template: str, status: int) -> tuple[str, Mapping[str, Any]]:
    responses: Mapping[str, Any] = _shipbob_spec()["paths"][template][method]["responses"]
    key = str(status) if str(status) in responses else "default"
    if key not in responses:
        raise ValueError(
            f"{method.upper()} {template}: ShipBob's spec declares no {status} response "
            f"(declared: {', '.join(sorted(responses))})"
        )
    return key, responses[key]


@cache
def _response_validator(method: str, template: str, status_key: str) -> jsonschema.Draft202012Validator | None:
    """The validator for one operation's JSON response, or None when that response declares no JSON body."""
    response = _shipbob_spec()["paths"][template][method]["responses"][status_key]
    media = (response.get("content") or {}).get("application/json")
    if media is None or "schema" not in media:
        return None
    # `#/components/schemas/...` refs resolve inside this document, against the shared converted components.
    schema = {**_to_json_schema(media["schema"]), "components": _shipbob_components()}
    return jsonschema.Draft202012Validator(schema, format_checker=_format_checker())


def shipbob_response_errors(method: str, path: str, status: int, body: Any) -> list[str]:
    """Every way `body` breaks ShipBob's contract for this request and status; [] when it follows it.

    Raises ValueError when the spec has no such operation or status, so that a simulator cannot serve an
    undocumented endpoint or status unnoticed.
    """
    template = shipbob_operation(method, path)
    if template is None:
        raise ValueError(f"{method.upper()} {path}: no operation of ShipBob's OpenAPI 2026-01 spec matches")
    key, _ = _declared_response(method.lower(), template, status)
    validator = _response_validator(method.lower(), template, key)
    if validator is None:
        return [] if body is None else [f"$: {method.upper()} {template} {status} declares no application/json body"]
    return _messages(validator.iter_errors(body))


def _json_path(error: ValidationError) -> str:
    return "$" + "".join(f".{part}" for part in error.absolute_path)


def _branch_rank(error: ValidationError, leaves: list[ValidationError]) -> tuple[bool, int, int]:
    """Best alternative of an anyOf first: one the value's type fits, then the fewest and deepest problems."""
    misfit = any(leaf.validator == "type" and leaf.absolute_path == error.absolute_path for leaf in leaves)
    problems = sum(len(_unexpected(leaf)) or 1 for leaf in leaves)
    return misfit, problems, -max((len(leaf.absolute_path) for leaf in leaves), default=0)


def _unexpected(error: ValidationError) -> list[str]:
    """The keys an `additionalProperties: false` error is about ([] for any other error)."""
    if error.validator != "additionalProperties" or error.validator_value is not False:
        return []
    known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
    return [key for key in error.instance if key not in known]


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The concrete failures under an error: for anyOf/oneOf, those of the alternative that came closest."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branch = sub.relative_schema_path[0] if sub.relative_schema_path else None
        branches.setdefault(branch, []).extend(_leaves(sub))
    yield from min(branches.values(), key=lambda leaves: _branch_rank(error, leaves))


def _messages(errors: Iterable[ValidationError]) -> list[str]:
    """One line per problem, `<json path>: <what is wrong>`; an unexpected key is named in the path."""
    out: list[str] = []
    for error in errors:
        for leaf in _leaves(error):
            where = _json_path(leaf)
            unexpected = _unexpected(leaf)
            if unexpected:
                out += [f"{where}.{key}: additional property not allowed" for key in unexpected]
            else:
                text = leaf.message if len(leaf.message) <= 200 else leaf.message[:200] + "..."
                out.append(f"{where}: {text}")
    return sorted(dict.fromkeys(out))


# -- Odoo 17.0 -------------------------------------------------------------------------------------------------------

_ODOO_MAGIC: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "string": "ID"},
    "display_name": {"type": "char", "string": "Display Name", "computed": True, "store": False},
    "create_date": {"type": "datetime", "string": "Created on"},
    "create_uid": {"type": "many2one", "relation": "res.users", "string": "Created by"},
    "write_date": {"type": "datetime", "string": "Last Updated on"},
    "write_uid": {"type": "many2one", "relation": "res.users", "string": "Last Updated by"},
}
"""The ORM's automatic columns, present on every model; odoo17_fields.json leaves them out (see odoo/README.md)."""

_ODOO_TYPES = {"Image": "binary", "PropertiesDefinition": "properties_definition"}
"""Field classes whose `type` is not their lower-cased name (odoo/fields.py: Image extends Binary)."""


@cache
def _odoo() -> dict[str, Any]:
    models: dict[str, Any] = _load(ODOO_FIELDS)["models"]
    return models


def odoo_models() -> frozenset[str]:
    """The 14 models the Odoo 17.0 contract covers."""
    return frozenset(_odoo())


@cache
def _odoo_fields(model: str) -> dict[str, dict[str, Any]]:
    models = _odoo()
    if model not in models:
        raise ValueError(f"Odoo model {model!r} is not in the 17.0 contract; known: {', '.join(sorted(models))}")
    entry = models[model]
    fields: dict[str, dict[str, Any]] = {}
    for name, spec in entry["fields"].items():
        field_class = spec["type"]
        fields[name] = {**spec, "type": _ODOO_TYPES.get(field_class, field_class.lower()), "field_class": field_class}
    # `_inherits` delegation: every parent field the model does not redefine reads and writes through the link field.
    for parent, link in entry.get("_inherits", {}).items():
        for name, spec in _odoo_fields(parent).items():
            if name not in fields and name not in _ODOO_MAGIC:
                fields[name] = {**spec, "delegated_from": parent, "delegated_via": link}
    for name, spec in _ODOO_MAGIC.items():
        fields.setdefault(
            name,
            {"required": False, "readonly": True, "computed": False, "store": True, **spec, "magic": True},
        )
    return fields


def odoo_fields(model: str) -> dict[str, dict[str, Any]]:
    """The standard fields of `model`: its own, those delegated through `_inherits`, and the magic columns.

    Types are Odoo's lower-case type names ("many2one", "datetime", "char", ...). A fresh copy on every call.
    """
    return {name: dict(spec) for name, spec in _odoo_fields(model).items()}


def odoo_unknown_fields(model: str, names: Iterable[str], custom: Iterable[str] = ()) -> list[str]:
    """The names that are neither standard fields of `model` nor the customer's declared custom fields.

    Custom fields must start with "x_" (Odoo rejects other manual field names), so any other declared name is a
    ValueError rather than a way to smuggle an invented field past the check.
    """
    declared = set(custom)
    bad = sorted(name for name in declared if not name.startswith("x_"))
    if bad:
        raise ValueError(f"Odoo custom fields must start with 'x_': {', '.join(bad)}")
    standard = _odoo_fields(model)
    return [name for name in dict.fromkeys(names) if name not in standard and name not in declared]


# -- Shopify Admin REST 2025-10 --------------------------------------------------------------------------------------


@cache
def _shopify() -> dict[str, frozenset[str]]:
    data = _load(SHOPIFY_ATTRIBUTES)
    return {resource: frozenset(attributes) for resource, attributes in data.items() if not resource.startswith("_")}


def shopify_attributes(resource: str) -> frozenset[str]:
    """The attribute names of one REST resource ("Order", "Product", "Variant", ...)."""
    resources = _shopify()
    if resource not in resources:
        raise ValueError(f"Shopify resource {resource!r} is not in the 2025-10 contract; known: {sorted(resources)}")
    return resources[resource]


def shopify_unknown_attributes(resource: str, body: Mapping[str, Any]) -> list[str]:
    """Top-level keys of one resource object that the resource does not have.

    Nested hashes (line_items, shipping_address, ...) are untyped in the source and are not checked.
    """
    known = shopify_attributes(resource)
    return [key for key in body if key not in known]


@cache
def _shopify_requests() -> dict[str, Any]:
    return _load(SHOPIFY_REQUESTS)


def shopify_request_errors(operation: str, body: Any) -> list[str]:
    """Every way a request body breaks `operation` ("Fulfillment.post", "Fulfillment.update_tracking"); [] if none.

    Served attributes the request may not set (read-only: Shopify assigns them) and keys the resource lacks are both
    errors, as are a missing root or required key and line items or tracking info of the wrong shape.
    """
    contract = _shopify_requests()
    spec = contract[operation]
    root = spec["root"]
    if not isinstance(body, Mapping) or not isinstance(body.get(root), Mapping):
        return [f"$.{root}: required object missing"]
    inner = body[root]
    served = _shopify()[operation.split(".")[0]]
    errors = [f"$.{root}.{key}: required" for key in spec["required"] if key not in inner]
    for key in inner:
        if key in spec["writable"]:
            continue
        errors.append(f"$.{root}.{key}: {'read-only' if key in served else 'not an attribute of the request'}")
    tracking = inner.get("tracking_info")
    if tracking is not None:
        keys = contract["tracking_info"]["keys"]
        if not isinstance(tracking, Mapping):
            errors.append(f"$.{root}.tracking_info: must be an object")
        else:
            errors += [f"$.{root}.tracking_info.{k}: unknown key" for k in tracking if k not in keys]
            errors += [
                f"$.{root}.tracking_info.{k}: must be a string"
                for k, v in tracking.items()
                if k in keys and v is not None and not isinstance(v, str)
            ]
    for n, group in enumerate(inner.get("line_items_by_fulfillment_order") or []):
        where = f"$.{root}.line_items_by_fulfillment_order[{n}]"
        allowed = contract["line_items_by_fulfillment_order[]"]["keys"]
        if not isinstance(group, Mapping) or not isinstance(group.get("fulfillment_order_id"), int):
            errors.append(f"{where}.fulfillment_order_id: required integer")
            continue
        errors += [f"{where}.{k}: unknown key" for k in group if k not in allowed]
        for m, line in enumerate(group.get("fulfillment_order_line_items") or []):
            if not isinstance(line, Mapping) or set(line) != {"id", "quantity"}:
                errors.append(f"{where}.fulfillment_order_line_items[{m}]: must be exactly {{id, quantity}}")
            elif not all(isinstance(line[k], int) and not isinstance(line[k], bool) for k in ("id", "quantity")):
                errors.append(f"{where}.fulfillment_order_line_items[{m}]: id and quantity must be integers")
    return errors


def shopify_line_item_keys(resource: str) -> frozenset[str]:
    """The keys of a line item of `resource` where the contract names them ("FulfillmentOrder")."""
    return frozenset(_shopify_requests()[f"{resource}.line_items[]"]["keys"])


# -- WooCommerce REST v3 ---------------------------------------------------------------------------------------------

_WOO_RESOURCES = {
    "orders": ("Order properties", "List all orders"),
    "products": ("Product properties", "List all products"),
}
"""Resource -> (its property table, its list endpoint's parameter table)."""
_WOO_LINK = re.compile(r"See \[([^\]]+)\]")
_WOO_DATE_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
"""`_introduction.md` line 44: dates are `YYYY-MM-DDTHH:MM:SS`, with no offset (the `*_gmt` twin is the GMT one)."""
_WOO_SCALARS = {"integer": "integer", "string": "string", "boolean": "boolean", "number": "number"}


@cache
def _woocommerce() -> dict[str, Any]:
    return _load(WOOCOMMERCE_SCHEMA)


def _woo_property(tables: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """One documented property as JSON Schema. Every property may be null: the docs say blank fields are
    "generally included as `null` or empty string instead of being omitted" (`_introduction.md` line 47)."""
    kind = spec["type"]
    link = _WOO_LINK.search(spec["description"])
    out: dict[str, Any]
    if kind == "date-time":
        out = {"type": "string", "pattern": _WOO_DATE_TIME}
    elif kind in ("object", "array") and link and link[1] in tables:
        nested = _woo_object(tables, link[1])
        out = nested if kind == "object" else {"type": "array", "items": nested}
    elif kind in ("object", "array"):
        out = {"type": kind}
    else:
        out = {"type": _WOO_SCALARS[kind]}
    if spec.get("options"):  # lifted from the whole description: `currency`'s 161 run to ZMW past the cut
        out["enum"] = list(spec["options"])
    return _nullable(out)


def _woo_object(tables: Mapping[str, Any], table: str) -> dict[str, Any]:
    """A property table as a closed object: a key the docs do not list is an invented field."""
    properties = {name: _woo_property(tables, spec) for name, spec in tables[table].items()}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _woo_known(resource: str) -> None:
    if resource not in _WOO_RESOURCES:
        raise ValueError(f"WooCommerce resource {resource!r} is not in the contract; known: {list(_WOO_RESOURCES)}")


@cache
def _woo_validators(resource: str) -> tuple[jsonschema.Draft202012Validator, jsonschema.Draft202012Validator]:
    """(one resource object, a list of them) as the docs' tables describe the resource."""
    _woo_known(resource)
    item = _woo_object(_woocommerce()[resource]["properties"], _WOO_RESOURCES[resource][0])
    return jsonschema.Draft202012Validator(item), jsonschema.Draft202012Validator({"type": "array", "items": item})


def woocommerce_response_errors(resource: str, body: Any) -> list[str]:
    """Every way a `/wc/v3/orders` or `/wc/v3/products` body (one object or a list) breaks the documented tables."""
    one, many = _woo_validators(resource)
    return _messages((many if isinstance(body, list) else one).iter_errors(body))


def woocommerce_parameters(resource: str) -> dict[str, dict[str, Any]]:
    """The documented query parameters of the list endpoint ("List all orders" / "List all products")."""
    _woo_known(resource)
    params: dict[str, dict[str, Any]] = _woocommerce()[resource]["parameters"][_WOO_RESOURCES[resource][1]]
    return {name: dict(spec) for name, spec in params.items()}


def woocommerce_parameter_errors(resource: str, query: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """`name: problem` for each query parameter the list endpoint does not document or whose value breaks its type.

    `extra` names parameters the transport itself reads (the `consumer_key`/`consumer_secret` of WooCommerce's
    query-string authentication): they are no resource parameter.
    An `array` parameter takes a comma-separated list, as WordPress reads it; each element meets the options.
    """
    params = woocommerce_parameters(resource)
    allowed = set(extra)
    out: list[str] = []
    for name, value in query.items():
        if name in allowed:
            continue
        spec = params.get(name)
        if spec is None:
            out.append(f"{name}: not a parameter of GET /{resource}")
            continue
        kind = spec["type"]
        values = [part.strip() for part in value.split(",")] if kind == "array" else [value]
        for one in values:
            if kind == "integer" and not re.fullmatch(r"-?\d+", one):
                out.append(f"{name}: {one!r} is not of type integer")
            elif kind == "boolean" and one.lower() not in ("true", "false", "1", "0"):
                out.append(f"{name}: {one!r} is not of type boolean")
            elif spec.get("options") and one not in spec["options"]:
                out.append(f"{name}: {one!r} is not one of {', '.join(spec['options'])}")
    return out


def woocommerce_write_errors(resource: str, body: Any) -> list[str]:
    """`path: problem` for each key of an update body (`PUT /<resource>/<id>`) the property tables do not let a
    client write: undocumented, or labelled read-only. Meta entries may carry only their writable `key` and `value`."""
    _woo_known(resource)
    if not isinstance(body, Mapping):
        return ["$: must be an object"]
    tables = _woocommerce()[resource]["properties"]
    table = tables[_WOO_RESOURCES[resource][0]]
    out = []
    for key in body:
        spec = table.get(key)
        if spec is None:
            out.append(f"$.{key}: not a property of {resource}")
        elif spec.get("readonly"):
            out.append(f"$.{key}: read-only")
    meta_table = tables.get(f"{_WOO_RESOURCES[resource][0].split()[0]} - Meta data properties", {})
    for n, entry in enumerate(body.get("meta_data") or []):
        if not isinstance(entry, Mapping) or "key" not in entry:
            out.append(f"$.meta_data[{n}]: must be an object with a key")
            continue
        for key, value in entry.items():
            spec = meta_table.get(key)
            if spec is None or spec.get("readonly"):
                out.append(f"$.meta_data[{n}].{key}: {'read-only' if spec else 'not a meta data property'}")
            elif not isinstance(value, str):
                out.append(f"$.meta_data[{n}].{key}: must be a string")
    return out
