"""Raw payload paths (`customer.default_address.company`, `line_items[*]`, `$.recipient.name`).

A path is compiled once into a list of steps. Reading a value on the hot path walks the steps
without building any strings; the concrete path of a failure (`line_items[3].quantity`) is put
together only when something went wrong, from the binding's prefix and the step's text.

A path starts at the current element, at the payload root (`$.`), or at an element bound by
name in an `each` block (`product.gtin`). `[key=value]` picks the first object of a list whose
`key` is `value`: WooCommerce's `meta_data[key=_lot_number].value`. Missing keys, ``null`` and Odoo's ``false`` on the
way read as missing (None); a value of the wrong shape (a string where an object or a list is
expected) is a `PathError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROOT = "$"
CURRENT = "@"
_SEGMENT = re.compile(r"^([^.\[\]]+)?((?:\[(?:\*|\d+|[^\[\]=]+=[^\[\]]*)\])*)$")
_INDEX = re.compile(r"\[(\*|\d+|[^\[\]=]+=[^\[\]]*)\]")

Context = dict[str, tuple[Any, str]]
"""Binding name -> (element, its concrete raw path). Holds ROOT, CURRENT, the names bound by
`each` blocks and, inside a block, "#" -> (row number, "")."""


class PathError(ValueError):
    """The payload has the wrong shape at a point of a path."""

    def __init__(self, message: str, path: str, value: Any) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.value = value


def join(prefix: str, text: str) -> str:
    """Concrete path of `text` (".key" or "[n]") below `prefix`."""
    if not prefix:
        return text.lstrip(".")
    return prefix + text


@dataclass(frozen=True, slots=True)
class Step:
    kind: str  # "key", "index", "all" or "select"
    arg: Any
    text: str  # ".key", "[3]", "[*]" or "[key=value]"


@dataclass(frozen=True, slots=True)
class Path:
    """A compiled path: where it starts and the steps from there."""

    source: str
    binding: str
    steps: tuple[Step, ...]
    false_is_null: bool
    get: Callable[[Context], Any] = field(init=False, repr=False, compare=False)
    iterate: Callable[[Context], list[tuple[Any, str]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys_only = all(step.kind == "key" for step in self.steps)
        object.__setattr__(self, "get", self._key_getter() if keys_only else self._get)
        list_at_end = bool(self.steps) and self.steps[-1].kind == "all"
        simple_list = list_at_end and all(step.kind == "key" for step in self.steps[:-1])
        object.__setattr__(self, "iterate", self._list_iterator() if simple_list else self._iterate)

    def _key_getter(self) -> Callable[[Context], Any]:
        """Plain `a.b.c` paths, the common case, read by tight closures over dict lookups."""
        binding, false_is_null = self.binding, self.false_is_null
        keys = tuple(step.arg for step in self.steps)

        if len(keys) == 1:
            (key,) = keys

            def get_one(ctx: Context) -> Any:
                obj = ctx[binding][0]
                if isinstance(obj, dict):
                    value = obj.get(key)
                    return None if value is False and false_is_null else value
                if obj is None or obj is False:
                    return None
                raise self._shape_error("expected an object", ctx, 0, obj)

            return get_one

        def get(ctx: Context) -> Any:
            obj = ctx[binding][0]
            for position, key in enumerate(keys):
                if not isinstance(obj, dict):
                    if obj is None or obj is False:
                        return None
                    raise self._shape_error("expected an object", ctx, position, obj)
                obj = obj.get(key)
            return None if obj is False and false_is_null else obj

        return get

    def text_after(self, prefix: str, upto: int | None = None) -> str:
        steps = self.steps if upto is None else self.steps[:upto]
        return join(prefix, "".join(step.text for step in steps))

    def describe(self, ctx: Context) -> str:
        """The concrete raw path this path reads in `ctx`, for failure messages."""
        return self.text_after(ctx[self.binding][1])

    def _get(self, ctx: Context) -> Any:
        """The value at the path; a list of values if the path has `[*]`."""
        obj = ctx[self.binding][0]
        return self._walk(obj, 0, ctx)

    def _walk(self, obj: Any, start: int, ctx: Context) -> Any:
        steps = self.steps
        for position in range(start, len(steps)):
            if obj is None or obj is False:
                return None
            step = steps[position]
            if step.kind == "key":
                if not isinstance(obj, dict):
                    raise self._shape_error("expected an object", ctx, position, obj)
                obj = obj.get(step.arg)
            elif step.kind == "index":
                if not isinstance(obj, list):
                    raise self._shape_error("expected a list", ctx, position, obj)
                obj = obj[step.arg] if step.arg < len(obj) else None
            elif step.kind == "select":
                if not isinstance(obj, list):
                    raise self._shape_error("expected a list", ctx, position, obj)
                obj = select(obj, *step.arg)
            else:
                if not isinstance(obj, list):
                    raise self._shape_error("expected a list", ctx, position, obj)
                return [self._walk(item, position + 1, ctx) for item in obj]
        if obj is False and self.false_is_null:
            return None
        return obj

    def _list_iterator(self) -> Callable[[Context], list[tuple[Any, str]]]:
        """`a.b[*]`, the usual `each` path: one list read by keys, elements numbered in place."""
        keys = Path(self.source, self.binding, self.steps[:-1], False)
        text = "".join(step.text for step in self.steps[:-1])

        def iterate(ctx: Context) -> list[tuple[Any, str]]:
            items = keys.get(ctx)
            if items is None or items is False:
                return []
            base = join(ctx[self.binding][1], text)
            if not isinstance(items, list):
                raise PathError("expected a list", base, items)
            return [(item, f"{base}[{n}]") for n, item in enumerate(items) if item is not None and item is not False]

        return iterate

    def _iterate(self, ctx: Context) -> list[tuple[Any, str]]:
        """Every element the path reaches, each with its concrete path (for `each` blocks)."""
        obj, prefix = ctx[self.binding]
        found: list[tuple[Any, str]] = []
        self._collect(obj, prefix, 0, found)
        return found

    def _collect(self, obj: Any, prefix: str, start: int, found: list[tuple[Any, str]]) -> None:
        steps = self.steps
        for position in range(start, len(steps)):
            if obj is None or obj is False:
                return
            step = steps[position]
            if step.kind == "key":
                if not isinstance(obj, dict):
                    raise PathError("expected an object", prefix, obj)
                obj = obj.get(step.arg)
                prefix = join(prefix, step.text)
            elif not isinstance(obj, list):
                raise PathError("expected a list", prefix, obj)
            elif step.kind == "index":
                obj = obj[step.arg] if step.arg < len(obj) else None
                prefix += step.text
            elif step.kind == "select":
                obj = select(obj, *step.arg)
                prefix += step.text
            else:
                for index, item in enumerate(obj):
                    self._collect(item, f"{prefix}[{index}]", position + 1, found)
                return
        if obj is not None and obj is not False:
            found.append((obj, prefix))

    def _shape_error(self, message: str, ctx: Context, position: int, value: Any) -> PathError:
        # Wildcards in front of `position` make the concrete indices unknown here; `[*]` stays.
        return PathError(message, self.text_after(ctx[self.binding][1], position), value)


def select(items: list[Any], key: str, wanted: str) -> Any:
    """The first object of `items` whose `key` is `wanted` (compared as text), or None."""
    for item in items:
        if isinstance(item, dict) and str(item.get(key)) == wanted:
            return item
    return None


def compile_path(source: str, bindings: frozenset[str], false_is_null: bool) -> Path:
    """Parse a path written in a spec; `bindings` are the names bound by enclosing `each` blocks."""
    text = source.strip()
    if text == ROOT or text.startswith(ROOT + "."):
        binding, text = ROOT, text[2:]
    else:
        head = re.split(r"[.\[]", text, maxsplit=1)[0]
        if head in bindings:
            binding, text = head, text[len(head) :].lstrip(".")
        else:
            binding = CURRENT
    steps: list[Step] = []
    for segment in text.split(".") if text else []:
        match = _SEGMENT.match(segment)
        if not match or not (match.group(1) or match.group(2)):
            raise ValueError(f"bad path {source!r} at {segment!r}")
        if match.group(1):
            steps.append(Step("key", match.group(1), "." + match.group(1)))
        for index in _INDEX.findall(match.group(2)):
            if index == "*":
                steps.append(Step("all", None, "[*]"))
            elif "=" in index:
                key, _, wanted = index.partition("=")
                steps.append(Step("select", (key.strip(), wanted.strip()), f"[{index}]"))
            else:
                steps.append(Step("index", int(index), f"[{index}]"))
    return Path(source, binding, tuple(steps), false_is_null)
