"""Odoo search semantics over plain records: domains, `order` clauses and field selection.

Domains use Odoo's prefix notation: leaves `[field, operator, value]` joined by an implicit AND,
or by the operators `&`, `|` and `!` written before their operands. Relational values follow
Odoo's JSON-RPC shapes: many2one `[id, name]` (fields typed many2one) compare by id; x2many id
lists match when any id matches. `False` is SQL NULL: it equals only False and never compares
greater or smaller. A field the model has but a record does not hold reads as False.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

from simulators.formats import odoo_datetime, parse_moment

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
OPERATORS = frozenset({"&", "|", "!"})
TO_MANY = frozenset({"one2many", "many2many"})

Predicate = Callable[[dict], bool]


class OdooValueError(ValueError):
    """A request Odoo would refuse with `ValueError` (bad field, operator or order clause)."""


def check_fields(model: str, types: Mapping[str, str], names: list[str]) -> None:
    for name in names:
        if name not in types:
            raise OdooValueError(f"Invalid field '{name}' on model '{model}'")


def mentions(domain: Any, name: str) -> bool:
    """Whether a domain has a leaf on `name` (Odoo then skips its implicit `active` filter)."""
    return isinstance(domain, list) and any(isinstance(t, list | tuple) and t and t[0] == name for t in domain)


def compile_domain(model: str, types: Mapping[str, str], domain: Any) -> Predicate:
    """A predicate for a prefix-notation domain; `types` maps each field of the model to its type."""
    if not isinstance(domain, list):
        raise OdooValueError(f"Invalid domain {domain!r}: expected a list")
    stack: list[Predicate] = []
    for term in reversed(domain):
        if isinstance(term, str) and term in OPERATORS:
            need = 1 if term == "!" else 2
            if len(stack) < need:
                raise OdooValueError(f"Invalid domain {domain!r}: {term!r} lacks operands")
            stack.append(_negation(stack.pop()) if term == "!" else _junction(term, stack.pop(), stack.pop()))
            continue
        if not isinstance(term, list | tuple) or len(term) != 3:
            raise OdooValueError(f"Invalid leaf {term!r}")
        stack.append(_leaf(model, types, *term))
    return lambda record: all(test(record) for test in stack)


def _negation(inner: Predicate) -> Predicate:
    return lambda record: not inner(record)


def _junction(operator_: str, left: Predicate, right: Predicate) -> Predicate:
    if operator_ == "|":
        return lambda record: left(record) or right(record)
    return lambda record: left(record) and right(record)


def _leaf(model: str, types: Mapping[str, str], name: Any, op: Any, value: Any) -> Predicate:
    check_fields(model, types, [name])
    if op not in COMPARISONS and op not in ("in", "not in"):
        raise OdooValueError(f"Invalid operator {op!r} in leaf {[name, op, value]!r}")
    kind = types[name]
    if kind == "datetime" and isinstance(value, str):
        try:
            value = odoo_datetime(parse_moment(value))
        except ValueError:
            raise OdooValueError(f"Invalid datetime {value!r} for field '{name}'") from None

    def test(record: dict) -> bool:
        field = record.get(name, False)
        if kind in TO_MANY:
            wanted = set(value) if isinstance(value, list | tuple) else {value}
            overlap = bool(wanted & set(field or []))
            return overlap if op in ("=", "in") else not overlap if op in ("!=", "not in") else False
        if kind == "many2one" and isinstance(field, list):
            field = field[0]
        if op in ("in", "not in"):
            inside = field in (value if isinstance(value, list | tuple) else [value])
            return inside if op == "in" else not inside
        if op in ("=", "!="):
            return COMPARISONS[op](field, value)
        if field is False or value is False:
            return False
        try:
            return COMPARISONS[op](field, value)
        except TypeError:
            raise OdooValueError(f"Cannot compare field '{name}' ({field!r}) with {value!r}") from None

    return test


def sort_records(model: str, types: Mapping[str, str], records: list[dict], order: str | None) -> list[dict]:
    """Sort by an Odoo `order` clause such as `write_date asc, id asc` (default: id)."""
    clauses = [c.split() for c in (order or "id").split(",") if c.strip()]
    for clause in clauses:
        if len(clause) > 2 or (len(clause) == 2 and clause[1].lower() not in ("asc", "desc")):
            raise OdooValueError(f"Invalid order clause {' '.join(clause)!r} in {order!r}")
        check_fields(model, types, [clause[0]])
    result = list(records)
    for clause in reversed(clauses):
        name, descending = clause[0], len(clause) == 2 and clause[1].lower() == "desc"
        result.sort(key=functools.partial(_sort_key, name), reverse=descending)
    return result


def _sort_key(name: str, record: dict[str, Any]) -> tuple[bool, Any]:
    value = record.get(name, False)
    if isinstance(value, list):
        value = value[0] if value else False
    return (value is False, value if value is not False else 0)
