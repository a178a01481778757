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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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


def tally(payloads: Iterable[dict[str, Any]]) -> dict[str, tuple[str, int]]:
    """Per path, how many payloads had it, and its type (as `shape` gives it) in the last payload that typed it.

    One walk of the batch into one table: a shape kept per payload until the batch was tallied
    cost a dict of some sixty paths for each of thousands of payloads, and a second loop.
    """
    seen: dict[str, list[Any]] = {}
    for index, payload in enumerate(payloads):
        _note(seen, index, ROOT, payload, 1)
        _note_fields(seen, index, "", payload, DEPTH)
    return {path: (kind, count) for path, (kind, count, _, _) in seen.items()}


_KINDS: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _note_fields(seen: dict[str, list[Any]], index: int, prefix: str, node: dict[str, Any], depth: int) -> None:
    for key, value in node.items():
        _note(seen, index, f"{prefix}.{key}" if prefix else str(key), value, depth)


def _note(seen: dict[str, list[Any]], index: int, path: str, value: Any, depth: int) -> None:
    """Count payload `index` at `path` once, take its first non-null type there, then look `depth - 1` levels inside.

    `seen[path]` is [type, payloads counted, the last payload counted, the last payload that set the type].
    """
    kind = _KINDS.get(type(value)) or json_type(value)
    entry = seen.get(path)
    if entry is None:
        seen[path] = [kind, 1, index, index if kind != "null" else -1]
    else:
        if entry[2] != index:
            entry[1] += 1
            entry[2] = index
        if kind != "null" and entry[3] != index:
            entry[0] = kind
            entry[3] = index
    if depth <= 1:
        return
    if kind == "object":
        _note_fields(seen, index, path, value, depth - 1)
    elif kind == "array":
        inner = f"{path}[*]"
        for item in value:
            _note(seen, index, inner, item, depth - 1)


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
