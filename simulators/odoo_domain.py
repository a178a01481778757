"""Odoo search semantics over plain records: domains, `order` clauses and field selection.

Relational values follow Odoo's JSON-RPC shapes: many2one `[id, name]` (fields named `*_id`)
compare by id; x2many id lists (`*_ids`) match when any id matches. `False` is SQL NULL:
it equals only False and never compares greater or smaller.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
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
ODOO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


class OdooValueError(ValueError):
    """A request Odoo would refuse with `ValueError` (bad field, operator or order clause)."""


def check_fields(model: str, known: set[str], names: list[str]) -> None:
    for name in names:
        if name not in known:
            raise OdooValueError(f"Invalid field '{name}' on model '{model}'")


def compile_domain(model: str, known: set[str], domain: Any, sample: dict[str, Any] | None) -> Callable[[dict], bool]:
    """A predicate for an AND-only domain (`&` markers are accepted and change nothing)."""
    if not isinstance(domain, list):
        raise OdooValueError(f"Invalid domain {domain!r}: expected a list")
    tests = []
    for term in domain:
        if term == "&":
            continue
        if not isinstance(term, list | tuple) or len(term) != 3:
            raise OdooValueError(f"Invalid leaf {term!r}: this server supports AND-joined [field, operator, value]")
        name, op, value = term
        check_fields(model, known, [name])
        if op not in COMPARISONS and op not in ("in", "not in"):
            raise OdooValueError(f"Invalid operator {op!r} in leaf {list(term)!r}")
        if isinstance(value, str) and sample is not None and ODOO_DATETIME.match(str(sample.get(name, ""))):
            try:
                value = odoo_datetime(parse_moment(value))
            except ValueError:
                raise OdooValueError(f"Invalid datetime {value!r} for field '{name}'") from None
        tests.append(_leaf(name, op, value))
    return lambda record: all(test(record) for test in tests)


def _leaf(name: str, op: str, value: Any) -> Callable[[dict], bool]:
    def test(record: dict) -> bool:
        field = record[name]
        if name.endswith("_ids"):
            wanted = set(value) if isinstance(value, list | tuple) else {value}
            overlap = bool(wanted & set(field))
            return overlap if op in ("=", "in") else not overlap if op in ("!=", "not in") else False
        if name.endswith("_id") and isinstance(field, list):
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


def sort_records(model: str, known: set[str], records: list[dict], order: str | None) -> list[dict]:
    """Sort by an Odoo `order` clause such as `write_date asc, id asc` (default: id)."""
    clauses = [c.split() for c in (order or "id").split(",") if c.strip()]
    for clause in clauses:
        if len(clause) > 2 or (len(clause) == 2 and clause[1].lower() not in ("asc", "desc")):
            raise OdooValueError(f"Invalid order clause {' '.join(clause)!r} in {order!r}")
        check_fields(model, known, [clause[0]])
    result = list(records)
    for clause in reversed(clauses):
        name, descending = clause[0], len(clause) == 2 and clause[1].lower() == "desc"
        result.sort(key=functools.partial(_sort_key, name), reverse=descending)
    return result


def _sort_key(name: str, record: dict[str, Any]) -> tuple[bool, Any]:
    value = record[name]
    if isinstance(value, list):
        value = value[0] if value else False
    return (value is False, value if value is not False else 0)
