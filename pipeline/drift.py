"""Schema drift: a platform that adds, removes, renames or retypes a field, told apart from bad data.

Every landed payload's paths are tallied per source and entity (`payload_field`), so the store
knows which fields a platform has always sent and with which JSON type. Then:

- a field never seen before, once the source entity has a history, is an addition: the raw
  payload keeps it and the finding `schema_field_added` reports it;
- a mapping failure on a field the platform had always sent, now absent (removed or renamed) or of
  another type (retyped), is rule `schema_drift` instead of `mapping`: the record is quarantined
  like any other, the finding `schema_drift` is raised, and other records and entities go on.

A history is `HISTORY` payloads: before that, absence proves nothing. Paths name list elements
`[*]` and stop at `DEPTH` levels, which is as deep as mapping specs read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import orjson

from data_dictionary.failures import RuleFailure

ROOT = "$"
DEPTH = 4
HISTORY = 20
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True, slots=True)
class Known:
    """What the store knows of a source entity's payloads: how many, and per path its type and count."""

    payloads: int
    fields: dict[str, tuple[str, int]]

    @property
    def has_history(self) -> bool:
        return self.payloads >= HISTORY

    def always_sent(self, path: str) -> str | None:
        """The JSON type of `path` when every payload so far carried it (and there is a history), else None."""
        seen = self.fields.get(path)
        if not self.has_history or seen is None or seen[1] < self.payloads:
            return None
        return seen[0]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def shape(payload: dict[str, Any]) -> dict[str, str]:
    """Path -> JSON type of every field in `payload` down to DEPTH levels; list elements as `[*]`.

    A path that holds values of two types in one payload (a list of mixed rows) keeps the first
    non-null type; null never counts as a type, so an empty optional value is no retyping.
    """
    return {path: kind for path, (kind, _) in tally([payload]).items()}


def start_tally(texts: list[str]) -> Future[dict[str, tuple[str, int]]]:
    """`tally` of landed payloads from their stored JSON text, run in the GX worker.

    The walk is pure Python: in the sync's process it held the interpreter lock the mapping and
    the loader need, while the worker has the other core and time to spare beside GX. What
    crosses is the text each version is stored as, so the tally is of exactly what was landed.
    """
    from quality_checks.gx_run import submit

    return submit(_tally_texts, texts)


def _tally_texts(texts: list[str]) -> dict[str, tuple[str, int]]:
    return tally(_parse(text) for text in texts)


def _parse(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN or an infinity, which `json` writes and orjson does not read
        return json.loads(text)


def tally(payloads: Iterable[dict[str, Any]]) -> dict[str, tuple[str, int]]:
    """Per path, how many payloads had it, and its type (as `shape` gives it) in the last payload that typed it.

    One walk of the batch into a tree of the fields met, named as paths only at the end: a path
    string built for every field of every payload cost more than the walk itself.
    """
    root = _Field()
    for index, payload in enumerate(payloads):
        _note(root, index, payload, DEPTH + 1)
    counted: dict[str, tuple[str, int]] = {}
    _name(root, ROOT, counted)
    return counted


_KINDS: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
_LEAVES = frozenset(kind for kind, name in _KINDS.items() if name not in ("object", "array"))


class _Field:
    """One path of the tally: its type, payloads counted, the last payload counted and the last that typed it."""

    __slots__ = ("count", "fields", "items", "kind", "last", "typed")

    def __init__(self) -> None:
        self.kind = "null"
        self.count = 0
        self.last = -1
        self.typed = -1
        self.fields: dict[str, _Field] = {}
        self.items: _Field | None = None


def _note(node: _Field, index: int, value: Any, depth: int) -> None:
    """Count payload `index` at `node` once, take its first non-null type there, then look `depth - 1` levels inside."""
    kind = _KINDS.get(type(value)) or json_type(value)
    if node.last != index:
        node.count += 1
        node.last = index
    if kind != "null" and node.typed != index:
        node.kind = kind
        node.typed = index
    if depth <= 1:
        return
    if kind == "object":
        fields = node.fields
        for key, inner in value.items():
            child = fields.get(key)
            if child is None:
                child = fields[key] = _Field()
            if type(inner) in _LEAVES and child.last != index:  # most fields: counted here, not in a call
                child.count += 1
                child.last = index
                if inner is not None and child.typed != index:
                    child.kind = _KINDS[type(inner)]
                    child.typed = index
            else:
                _note(child, index, inner, depth - 1)
    elif kind == "array":
        child = node.items
        if child is None:
            child = node.items = _Field()
        for item in value:
            _note(child, index, item, depth - 1)


def _name(node: _Field, path: str, counted: dict[str, tuple[str, int]]) -> None:
    """The tree as `path -> (type, count)`; the payload itself is ROOT, its fields `a`, `a.b`, `a[*]`."""
    counted[path] = (node.kind, node.count)
    for key, child in node.fields.items():
        _name(child, f"{path}.{key}" if path != ROOT else str(key), counted)
    if node.items is not None:
        _name(node.items, f"{path}[*]", counted)


def reclassify(failures: list[RuleFailure], fields: dict[str, str], known: Known) -> list[RuleFailure]:
    """Mapping failures on fields the platform stopped sending, or now sends as another type, as `schema_drift`."""
    out = []
    for failure in failures:
        drift = _drift(failure, fields, known) if failure.rule == "mapping" else None
        out.append(failure if drift is None else failure.model_copy(update={"rule": "schema_drift", "message": drift}))
    return out


def _drift(failure: RuleFailure, fields: dict[str, str], known: Known) -> str | None:
    path = _INDEX.sub("[*]", failure.field.removeprefix("$."))
    for candidate in _prefixes(path):
        expected = known.always_sent(candidate)
        if expected is None:
            continue
        now = fields.get(candidate)
        if now is None:
            return (
                f"the platform no longer sends {candidate!r}, which all {known.payloads} payloads before carried "
                "(removed or renamed): update the mapping spec or the source's field map, then replay"
            )
        if now not in ("null", expected):
            return (
                f"the platform now sends {candidate!r} as {now}, where all {known.payloads} payloads before had "
                f"{expected} (retyped): update the mapping spec, then replay"
            )
    return None


def _prefixes(path: str) -> list[str]:
    """`a.b[*].c` -> [`a`, `a.b`, `a.b[*]`, `a.b[*].c`]: the shallowest missing part explains the rest."""
    parts = re.split(r"(?=\.)|(?=\[\*\])", path)
    out, current = [], ""
    for part in parts:
        current += part
        out.append(current.lstrip("."))
    return [p for p in out if p]
