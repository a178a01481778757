"""Pretty-printed JSON as lines that know their field path, so failed rules can be marked on them.

Paths use the notation of rule failures: `currency`, `lines[2].gtin`, `line_items[0].quantity`.
A failure marks the line of its field. In the raw payload, whose field names differ from the
canonical ones, a failure whose path is not there marks the values equal to the failing value
(only those at the same list positions, `lines[4].qty` -> `line_items[4].quantity`, if any are).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from data_dictionary.jsonable import json_scalar


@dataclass(slots=True)
class Line:
    text: str
    path: str
    leaf: bool = False
    value: Any = None
    notes: list[str] = field(default_factory=list)

    @property
    def marked(self) -> bool:
        return bool(self.notes)


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _lines(value: Any, path: str, indent: int, prefix: str, suffix: str, out: list[Line]) -> None:
    pad = "  " * indent
    if isinstance(value, dict) and value:
        out.append(Line(f"{pad}{prefix}{{", path))
        items = list(value.items())
        for i, (k, v) in enumerate(items):
            _lines(v, _child(path, str(k)), indent + 1, f"{json.dumps(str(k), ensure_ascii=False)}: ",
                   "," if i < len(items) - 1 else "", out)  # fmt: skip
        out.append(Line(f"{pad}}}{suffix}", path))
    elif isinstance(value, list) and value:
        out.append(Line(f"{pad}{prefix}[", path))
        for i, v in enumerate(value):
            _lines(v, _child(path, i), indent + 1, "", "," if i < len(value) - 1 else "", out)
        out.append(Line(f"{pad}]{suffix}", path))
    else:
        text = f"{pad}{prefix}{json.dumps(value, ensure_ascii=False, default=json_scalar)}{suffix}"
        out.append(Line(text, path, leaf=True, value=value))


def json_lines(value: Any, failures: list[dict[str, Any]], match_values: bool = False) -> list[Line]:
    """`value` pretty-printed, each line carrying the messages of the failures that point at it.

    A failure marks the first line of its field (for objects and lists, the opening line). With
    `match_values`, a failure whose field is not in `value` marks the leaves equal to its value.
    """
    out: list[Line] = []
    _lines(value, "", 0, "", "", out)
    first: dict[str, Line] = {}
    for line in out:
        first.setdefault(line.path, line)
        first.setdefault(_LEADING_INDEX.sub("", line.path), line)  # a list of mapped records: the first one's
    for f in failures:
        note = f"{f.get('rule')}: {f.get('message')}"
        target = first.get(str(f.get("field", "")))
        if target is not None:
            target.notes.append(note)
        elif match_values and f.get("value") not in (None, ""):
            wanted = str(f["value"])
            hits = [line for line in out if line.leaf and line.value is not None and str(line.value) == wanted]
            placed = [line for line in hits if _positions(line.path) == _positions(str(f.get("field", "")))]
            for line in placed or hits:
                line.notes.append(note)
    return out


_LEADING_INDEX = re.compile(r"^\[\d+\]\.?")


def _positions(path: str) -> list[str]:
    return re.findall(r"\[(\d+)\]", path)
