"""Write a mapping plan out as one Python function that maps a clean payload in a single pass.

The interpreter (`interpret.py`) walks the plan through a closure and a context dict per field
and row, about 350 calls for one ShipBob shipment; most of that is bookkeeping a clean payload
never needs, since raw paths only matter in failures. The generated function reads the payload
with inline dict lookups, nested loops for `each` and `explode`, and direct calls of the
prepared transforms and expanders. It builds no path strings and names no problem: wherever the
interpreter would record a failure it raises, and the engine then runs the interpreter on that
payload, so failures are found and worded in one place.

Spec text reaches the generated source only as `repr` of the path keys (plain str and int
literals); everything else (transforms, expanders, constants) is passed in by name. The source
is kept on `Mapping.code` and registered with `linecache`, so tracebacks and profiles show it.
"""

from __future__ import annotations

import hashlib
import linecache
from collections.abc import Callable
from typing import Any

from mappings.paths import CURRENT, ROOT, Path, Step, select
from mappings.plan import ConstRead, Each, Expansion, Fields, FirstOf, IndexRead, Iteration, PathRead, Plan, Value

Build = Callable[[dict[str, Any]], list[dict[str, Any]]]
"""payload -> the field values of each record; raises where the interpreter would name a failure."""


class Bail(Exception):
    """The payload has a problem (or a shape this pass does not read): the interpreter takes it."""


class _Unsupported(Exception):
    """A plan feature the straight-line pass does not cover (an `each` over `a[*].b[*]`)."""


def _absent(value: Any) -> None:
    """A path step met null or Odoo's false: the value is missing. Any other non-container: bail."""
    if value is None or value is False:
        return None
    raise Bail


def _nowhere(index: int) -> str:
    """An expander's argument path: only failures need it, and those are the interpreter's."""
    return ""


def _not_mapped(payload: dict[str, Any]) -> list[dict[str, Any]]:
    raise Bail


def generate(plan: Plan, name: str) -> tuple[Build, str]:
    """The function for `plan` and its source; a plan it cannot write maps every payload by interpreter."""
    writer = _Writer()
    try:
        source = writer.function(plan)
    except _Unsupported:
        return _not_mapped, ""
    filename = f"<mapping {name} {hashlib.sha256(source.encode()).hexdigest()[:12]}>"  # one entry per distinct code
    namespace: dict[str, Any] = {"Bail": Bail, "_absent": _absent, "_nowhere": _nowhere, "_select": select}
    namespace.update(writer.names)
    exec(compile(source, filename, "exec"), namespace)  # our own generated code: see the module docstring
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    build: Build = namespace["build"]
    return build, source


class _Writer:
    """Emits the lines of `build(payload)`; `names` holds the objects the code refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}
        self._count = 0

    def function(self, plan: Plan) -> str:
        scope = {ROOT: "payload", CURRENT: "payload"}
        self._emit(0, "def build(payload):")
        if plan.explode is None:
            self._emit(1, "values = {}")
            self._fields(plan.fields, "values", scope, None, 1)
            self._emit(1, "return [values]")
        else:
            self._emit(1, "records = []")
            self._rows(plan.explode, plan.fields, "records", scope, 1)
            self._emit(1, "return records")
        return "\n".join(self.lines) + "\n"

    def _emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def _var(self, stem: str) -> str:
        self._count += 1
        return f"{stem}{self._count}"

    def _name(self, stem: str, value: Any) -> str:
        name = self._var(f"_{stem}")
        self.names[name] = value
        return name

    def _rows(self, iteration: Iteration, fields: Fields, into: str, scope: dict[str, str], depth: int) -> None:
        """Nested loops over the iteration's bindings; each row's values appended to `into`."""
        number = self._var("n")
        self._emit(depth, f"{number} = -1")
        scope = dict(scope)
        for binding, step in iteration.steps:
            element = self._var("e")
            if isinstance(step, Expansion):
                args = [self._get(arg, scope, depth) for arg in step.args]
                expander = self._name("expand", step.expander)
                self._emit(depth, f"for {element}, _ in {expander}([{', '.join(args)}], _nowhere):")
            else:
                items = self._list(step, scope, depth)
                self._emit(depth, f"for {element} in {items}:")
                self._emit(depth + 1, f"if {element} is None or {element} is False:")
                self._emit(depth + 2, "continue")
            depth += 1
            scope[binding] = scope[CURRENT] = element
        self._emit(depth, f"{number} += 1")
        values = self._var("values")
        self._emit(depth, f"{values} = {{}}")
        self._fields(fields, values, scope, number, depth)
        self._emit(depth, f"{into}.append({values})")

    def _fields(self, fields: Fields, into: str, scope: dict[str, str], number: str | None, depth: int) -> None:
        for field, node in fields:
            key = repr(field)
            if isinstance(node, Each):
                if node.required and node.iteration.collection is not None:
                    present = self._get(node.iteration.collection, scope, depth)
                    self._emit(depth, f"if {present} is None:")
                    self._emit(depth + 1, "raise Bail")
                rows = self._var("rows")
                self._emit(depth, f"{rows} = []")
                self._rows(node.iteration, node.fields, rows, scope, depth)
                self._emit(depth, f"{into}[{key}] = {rows}")
                continue
            value = self._value(node, scope, number, depth)
            if node.required:
                self._emit(depth, f"if {value} is None:")
                self._emit(depth + 1, "raise Bail")
                self._emit(depth, f"{into}[{key}] = {value}")
            else:
                self._emit(depth, f"if {value} is not None:")
                self._emit(depth + 1, f"{into}[{key}] = {value}")

    def _value(self, node: Value, scope: dict[str, str], number: str | None, depth: int) -> str:
        """Read and transform one value into a fresh variable; None there means missing."""
        value = self._var("v")
        read = node.read
        if isinstance(read, PathRead):
            self._emit(depth, f"{value} = {self._get(read.path, scope, depth)}")
        elif isinstance(read, ConstRead):
            self._emit(depth, f"{value} = {self._name('const', read.value)}")
        elif isinstance(read, IndexRead):
            self._emit(depth, f"{value} = {number} + {read.start}" if number else "raise Bail")
        elif isinstance(read, FirstOf):
            self._emit(depth, f"{value} = None")
            inner = depth
            for option in read.options:  # the next alternative only while none gave a value
                if inner > depth:
                    self._emit(inner - 1, f"if {value} is None:")
                self._emit(inner, f"{value} = {self._value(option, scope, number, inner)}")
                inner += 1
        else:
            self._emit(depth, f"{value} = [{', '.join(self._get(path, scope, depth) for path in read.paths)}]")
        for transform, sees_none in node.transforms:
            call = f"{value} = {self._name('transform', transform)}({value})"
            if sees_none:
                self._emit(depth, call)
            else:
                self._emit(depth, f"if {value} is not None:")
                self._emit(depth + 1, call)
        return value

    def _get(self, path: Path, scope: dict[str, str], depth: int) -> str:
        """Walk the path's steps into a fresh variable (None: missing), as `Path.get` does."""
        value = self._var("p")
        self._emit(depth, f"{value} = {scope[path.binding]}")
        self._walk(value, path.steps, path.false_is_null, depth)
        return value

    def _walk(self, value: str, steps: tuple[Step, ...], false_is_null: bool, depth: int) -> None:
        for position, step in enumerate(steps):
            if step.kind == "all":  # a list of what the rest of the path reads in each element
                items, item = self._var("a"), self._var("i")
                self._emit(depth, f"if isinstance({value}, list):")
                self._emit(depth + 1, f"{items} = []")
                self._emit(depth + 1, f"for {item} in {value}:")
                self._walk(item, steps[position + 1 :], false_is_null, depth + 2)
                self._emit(depth + 2, f"{items}.append({item})")
                self._emit(depth + 1, f"{value} = {items}")
                self._emit(depth, "else:")
                self._emit(depth + 1, f"{value} = _absent({value})")
                return
            if step.kind == "key":
                read = f"{value}.get({step.arg!r}) if isinstance({value}, dict)"
            elif step.kind == "index":
                read = f"({value}[{step.arg!r}] if {step.arg!r} < len({value}) else None) if isinstance({value}, list)"
            else:
                key, wanted = step.arg
                read = f"_select({value}, {key!r}, {wanted!r}) if isinstance({value}, list)"
            self._emit(depth, f"{value} = {read} else _absent({value})")
        if false_is_null:
            self._emit(depth, f"if {value} is False:")
            self._emit(depth + 1, f"{value} = None")

    def _list(self, path: Path, scope: dict[str, str], depth: int) -> str:
        """The elements an `each` path (`line_items[*]`, `product.inventory_items[*]`) walks."""
        if not path.steps or path.steps[-1].kind != "all" or any(step.kind != "key" for step in path.steps[:-1]):
            raise _Unsupported(path.source)
        items = self._get(Path(path.source, path.binding, path.steps[:-1], False), scope, depth)
        self._emit(depth, f"if {items} is None or {items} is False:")
        self._emit(depth + 1, f"{items} = ()")
        self._emit(depth, f"elif not isinstance({items}, list):")
        self._emit(depth + 1, "raise Bail")
        return items
