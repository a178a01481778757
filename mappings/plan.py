"""A compiled spec as plain data: what each canonical field reads, transforms and requires.

The engine turns a spec (with one source's options applied) into this plan once; two readers
use it. `interpret` walks it for a payload and names every problem with its raw path, the
reference for what a spec means; `codegen` writes it out as one straight-line function for
payloads that map cleanly, the common case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mappings.paths import CURRENT, Path, compile_path
from mappings.transforms import EXPANDERS, Expander, Transform


@dataclass(frozen=True, slots=True)
class PathRead:
    """`{path: ...}`: one raw value."""

    path: Path


@dataclass(frozen=True, slots=True)
class PathsRead:
    """`{paths: [...]}`: a list of raw values, for a transform that combines them."""

    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class ConstRead:
    value: Any


@dataclass(frozen=True, slots=True)
class IndexRead:
    """`{index: start}`: the row number within the record, counted from `start`."""

    start: int


@dataclass(frozen=True, slots=True)
class FirstOf:
    """Alternatives tried in order; the first that gives a value wins (fallback paths)."""

    options: tuple[Value, ...]


Read = PathRead | PathsRead | ConstRead | IndexRead | FirstOf


@dataclass(frozen=True, slots=True)
class Value:
    """A value field: its reader, its transforms (each with whether it is called with None)."""

    read: Read
    transforms: tuple[tuple[Transform, bool], ...]
    required: bool
    where: str
    """The spec's name for the field (`shipbob_shipment.yaml.lines.qty`), for readers without a path."""


@dataclass(frozen=True, slots=True)
class Expansion:
    """`{expand: name, args: [paths]}`: one raw element made into several rows."""

    expander: Expander
    args: tuple[Path, ...]


class Iteration:
    """An `each` (or `explode`) block: named bindings iterated as nested loops, in order.

    Each binding is a path with `[*]` over the payload, or ``{expand: name, args: [paths]}``
    calling an expander from `transforms.EXPANDERS`. The last binding is also the current
    element, so plain paths in the block's fields read from it.
    """

    def __init__(self, spec: Any, bindings: frozenset[str], false_is_null: bool) -> None:
        if isinstance(spec, str):
            spec = {CURRENT: spec}
        steps: list[tuple[str, Path | Expansion]] = []
        known = set(bindings)
        for name, source in spec.items():
            if isinstance(source, dict):
                if source.get("expand") not in EXPANDERS:
                    raise ValueError(f"unknown expander {source.get('expand')!r}; known: {sorted(EXPANDERS)}")
                args = tuple(compile_path(arg, frozenset(known), false_is_null) for arg in source["args"])
                steps.append((name, Expansion(EXPANDERS[source["expand"]], args)))
            else:
                steps.append((name, compile_path(source, frozenset(known), false_is_null)))
            known.add(name)
        self.steps = tuple(steps)
        self.names = frozenset(name for name, _ in steps if name != CURRENT)
        first = steps[0][1] if steps else None
        self.collection: Path | None = None
        """The list the first binding walks (`line_items` of `line_items[*]`, or an expander's first
        argument), for `required` blocks."""
        if isinstance(first, Path) and first.steps and first.steps[-1].kind == "all":
            self.collection = Path(first.source, first.binding, first.steps[:-1], false_is_null)
        elif isinstance(first, Expansion) and first.args:
            self.collection = first.args[0]


@dataclass(frozen=True, slots=True)
class Each:
    """A list field: one item per row of its iteration; `required`: the list must be there."""

    iteration: Iteration
    fields: Fields
    required: bool


Fields = tuple[tuple[str, Value | Each], ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """A whole spec: the record fields, once per element of `explode` if it has one."""

    explode: Iteration | None
    fields: Fields
