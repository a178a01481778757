"""ERPNext's DocType definitions (`erpnext/`), turned into checks of the documents a Frappe site serves.

A DocType JSON lists its fields with a `fieldtype`; Frappe adds the standard columns of every document
(`default_fields`) and of every child row (`child_table_fields`), which no DocType JSON lists (see
erpnext/SOURCE.txt). A served document is valid when every key is one of those fields and every value has
the JSON shape its fieldtype gives over REST: text for Data/Link/Select/Text..., numbers for Int/Float/
Currency/Percent, 0/1 for Check, `YYYY-MM-DD` for Date, `HH:MM:SS[.ffffff]` for Time, naive
`YYYY-MM-DD HH:MM:SS[.ffffff]` for Datetime (Frappe stores the site's local time, without an offset), and a
list of child rows for Table. `modified` and `creation` always carry microseconds, as Frappe writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "erpnext"

LAYOUT_FIELDTYPES = frozenset(
    {"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Fold", "Heading", "Image"}
)
"""Fieldtypes that only lay out the form and hold no value (frappe/model/__init__.py `display_fieldtypes`)."""

DEFAULT_FIELDS = {
    "doctype": "Data",
    "name": "Data",
    "owner": "Link",
    "creation": "Datetime",
    "modified": "Datetime",
    "modified_by": "Link",
    "docstatus": "Int",
    "idx": "Int",
}
"""frappe/model/__init__.py `default_fields`: on every document and child row."""

CHILD_TABLE_FIELDS = {"parent": "Data", "parentfield": "Data", "parenttype": "Data"}
"""frappe/model/__init__.py `child_table_fields`: on child rows only."""

_TEXT = frozenset(
    {
        "Data",
        "Link",
        "Dynamic Link",
        "Select",
        "Small Text",
        "Text",
        "Long Text",
        "Text Editor",
        "Code",
        "Read Only",
        "Attach",
        "Attach Image",
        "Password",
        "Phone",
        "Autocomplete",
        "Signature",
        "Color",
        "Barcode",
        "Markdown Editor",
        "HTML Editor",
        "JSON",
    }
)
_NUMBER = frozenset({"Float", "Currency", "Percent", "Rate", "Duration"})
_INTEGER = frozenset({"Int", "Long Int"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{1,2}:\d{2}:\d{2}(\.\d{1,6})?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")


@cache
def _doctypes() -> dict[str, dict[str, Any]]:
    """DocType name -> its JSON definition, from every file of the contract folder."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(HERE.glob("doctypes_*/*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        found[definition["name"]] = definition
    return found


def erpnext_doctypes() -> frozenset[str]:
    """The DocTypes the contract defines (Batch is not one of them: see erpnext/SOURCE.txt)."""
    return frozenset(_doctypes())


@cache
def _fields(doctype: str) -> dict[str, dict[str, Any]]:
    definitions = _doctypes()
    if doctype not in definitions:
        raise ValueError(f"DocType {doctype!r} is not in the ERPNext contract; known: {', '.join(sorted(definitions))}")
    definition = definitions[doctype]
    fields = {name: {"fieldtype": kind, "standard": True} for name, kind in DEFAULT_FIELDS.items()}
    if definition.get("istable"):
        fields.update({name: {"fieldtype": kind, "standard": True} for name, kind in CHILD_TABLE_FIELDS.items()})
    for spec in definition["fields"]:
        if spec["fieldtype"] not in LAYOUT_FIELDTYPES:
            fields[spec["fieldname"]] = dict(spec)
    return fields


def erpnext_fields(doctype: str) -> dict[str, str]:
    """Field name -> fieldtype of `doctype`, standard columns included."""
    return {name: spec["fieldtype"] for name, spec in _fields(doctype).items()}


def erpnext_table_options(doctype: str, field: str) -> str:
    """The child DocType a Table field of `doctype` holds."""
    return str(_fields(doctype)[field]["options"])


def erpnext_is_child(doctype: str) -> bool:
    """Whether `doctype` is a child table (its rows live inside a parent document)."""
    erpnext_fields(doctype)
    return bool(_doctypes()[doctype].get("istable"))


def erpnext_unknown_fields(doctype: str, names: Iterable[str]) -> list[str]:
    """The names that are no field of `doctype` (standard columns count as fields)."""
    fields = _fields(doctype)
    return [name for name in dict.fromkeys(names) if name not in fields]


def erpnext_document_errors(doctype: str, document: Mapping[str, Any]) -> list[str]:
    """Every way `document` (child rows included) breaks its DocType: unknown fields and values of the wrong shape."""
    errors: list[str] = []
    _check(doctype, document, doctype, errors)
    return errors


def _check(doctype: str, document: Mapping[str, Any], where: str, errors: list[str]) -> None:
    fields = _fields(doctype)
    for name, value in document.items():
        spec = fields.get(name)
        if spec is None:
            errors.append(f"{where}.{name}: no such field on DocType {doctype!r}")
            continue
        if name in ("modified", "creation"):
            if not (isinstance(value, str) and _STAMP.fullmatch(value)):
                errors.append(f"{where}.{name}: expected a naive 'YYYY-MM-DD HH:MM:SS.ffffff', got {value!r}")
            continue
        if name == "doctype" and value != doctype:
            errors.append(f"{where}.doctype: expected {doctype!r}, got {value!r}")
            continue
        problem = _value_problem(spec, value)
        if problem:
            errors.append(f"{where}.{name}: {problem}")
        elif spec["fieldtype"] in ("Table", "Table MultiSelect"):
            for index, row in enumerate(value):
                _check(spec["options"], row, f"{where}.{name}[{index}]", errors)


def _value_problem(spec: Mapping[str, Any], value: Any) -> str | None:
    """What is wrong with `value` for a field of this spec, or None."""
    kind = spec["fieldtype"]
    if kind in ("Table", "Table MultiSelect"):
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            return f"a {kind} field holds a list of rows, got {type(value).__name__}"
        return None
    if value is None:
        return None
    if kind == "Check":
        return None if value in (0, 1) and not isinstance(value, float) else f"a Check is 0 or 1, got {value!r}"
    if kind in _INTEGER:
        return None if type(value) is int else f"an {kind} is an integer, got {value!r}"
    if kind in _NUMBER:
        return None if type(value) in (int, float) else f"a {kind} is a number, got {value!r}"
    if not isinstance(value, str):
        return f"a {kind} is a string, got {type(value).__name__}"
    if kind == "Select" and not spec.get("standard"):
        options = str(spec.get("options") or "").split("\n")
        if value and value not in options:
            return f"{value!r} is not one of the Select options {[o for o in options if o]}"
    patterns = {"Date": _DATE, "Time": _TIME, "Datetime": _DATETIME}
    if kind in patterns and value and not patterns[kind].fullmatch(value):
        return f"a {kind} is written {'YYYY-MM-DD' if kind == 'Date' else 'naive, local'}; got {value!r}"
    if kind not in _TEXT and kind not in patterns:
        return f"fieldtype {kind} is not one this validator knows"
    return None
