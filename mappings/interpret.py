"""Walk a mapping plan over one payload, naming every problem with its concrete raw path.

This is what a spec means: `codegen` writes the same walk as straight-line code for payloads
that map cleanly, and the engine comes here for any payload that does not, so every failure is
found and worded in one place. A failure never stops the walk: all of a payload's problems are
reported together.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from data_dictionary.failures import RuleFailure
from mappings.paths import CURRENT, ROOT, Context, Path, PathError
from mappings.plan import ConstRead, Each, Expansion, Fields, FirstOf, IndexRead, Iteration, PathRead, Plan, Read, Value
from mappings.transforms import MappingError

RULE = "mapping"
_VALUE_LIMIT = 200

Failures = list[RuleFailure]
FieldFn = Callable[[Context, Failures], Any]
Reader = tuple[Callable[[Context], Any], Callable[[Context], str]]
"""How a value field reads its raw input, and how to name that input in a failure."""
_MISSING = object()


def truncate(value: Any) -> Any:
    """Keep the offending value readable and JSON-friendly in the quarantine."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 3] + "..."


def failure(field_path: str, value: Any, message: str) -> RuleFailure:
    return RuleFailure(rule=RULE, field=field_path, value=truncate(value), message=message)


class Interpreter:
    """`interpreter(payload)` -> (the field values of each record, the failures found)."""

    def __init__(self, plan: Plan) -> None:
        self._explode = plan.explode
        self._build = _fields(plan.fields)

    def __call__(self, payload: dict[str, Any]) -> tuple[list[dict[str, Any]], Failures]:
        failures: Failures = []
        root: Context = {ROOT: (payload, ""), CURRENT: (payload, "")}
        rows = [root] if self._explode is None else contexts(self._explode, root, failures)
        return [self._build(row, failures) for row in rows], failures


def _fields(fields: Fields) -> Callable[[Context, Failures], dict[str, Any]]:
    compiled = [(name, _each(node) if isinstance(node, Each) else _value(node)) for name, node in fields]

    def build(ctx: Context, failures: Failures) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, fn in compiled:
            value = fn(ctx, failures)
            if value is not _MISSING:
                values[name] = value
        return values

    return build


def _each(node: Each) -> FieldFn:
    iteration = node.iteration
    build = _fields(node.fields)
    collection = iteration.collection if node.required else None

    def each(ctx: Context, failures: Failures) -> Any:
        if collection is not None:
            try:
                present = collection.get(ctx) is not None
            except PathError as exc:
                failures.append(failure(exc.path, exc.value, exc.message))
                return []
            if not present:
                failures.append(failure(collection.describe(ctx), None, "this list is required here"))
                return []
        return [build(row, failures) for row in contexts(iteration, ctx, failures)]

    return each


def _value(node: Value) -> FieldFn:
    read, describe = _reader(node.read, node.where)
    # A transform sees None only if it gives None a meaning (default, if_present, false_none).
    transforms, required = node.transforms, node.required

    def missing(ctx: Context, failures: Failures, raw: Any) -> Any:
        if required:
            failures.append(failure(describe(ctx), raw, "a value is required here"))
        return _MISSING

    def value(ctx: Context, failures: Failures) -> Any:
        try:
            raw = value = read(ctx)
        except PathError as exc:
            failures.append(failure(exc.path, exc.value, exc.message))
            return _MISSING
        try:
            for transform, sees_none in transforms:
                if value is not None or sees_none:
                    value = transform(value)
        except MappingError as exc:
            failures.append(failure(exc.field or describe(ctx), raw, exc.message))
            return _MISSING
        return missing(ctx, failures, raw) if value is None else value

    return value


def _reader(read: Read, where: str) -> Reader:
    if isinstance(read, PathRead):
        return read.path.get, read.path.describe
    if isinstance(read, ConstRead):
        constant = read.value
        return (lambda ctx: constant), (lambda ctx: where)
    if isinstance(read, IndexRead):
        start = read.start
        return (lambda ctx: ctx["#"][0] + start), (lambda ctx: where)
    if isinstance(read, FirstOf):
        return _first_of(read)
    paths = read.paths
    return (
        lambda ctx: [path.get(ctx) for path in paths],
        lambda ctx: ", ".join(path.describe(ctx) for path in paths),
    )


def _first_of(read: FirstOf) -> Reader:
    """The first alternative that gives a value; a present but bad value is a failure, not a fallback."""
    compiled = [_value(option) for option in read.options]
    describers = [_reader(option.read, option.where)[1] for option in read.options]

    def first(ctx: Context) -> Any:
        failures: Failures = []
        for fn in compiled:
            value = fn(ctx, failures)
            if failures:
                raise PathError(failures[0].message, failures[0].field, failures[0].value)
            if value is not _MISSING:
                return value
        return None

    def describe(ctx: Context) -> str:
        return " or ".join(describe_one(ctx) for describe_one in describers)

    return first, describe


def contexts(iteration: Iteration, ctx: Context, failures: Failures) -> list[Context]:
    """One context per row, in document order, ``#`` holding the row number; a shape problem is
    a failure and no rows."""
    rows = [ctx]
    try:
        for name, step in iteration.steps:
            expanded: list[Context] = []
            for row in rows:
                for element in _elements(step, row):
                    inner = dict(row)
                    inner[name] = element
                    inner[CURRENT] = element
                    expanded.append(inner)
            rows = expanded
    except (PathError, MappingError) as exc:
        path = exc.path if isinstance(exc, PathError) else exc.field or ""
        failures.append(failure(path, exc.value, exc.message))
        return []
    for number, row in enumerate(rows):
        row["#"] = (number, "")
    return rows


def _elements(step: Path | Expansion, row: Context) -> Any:
    if isinstance(step, Path):
        return step.iterate(row)
    args = step.args
    return step.expander([path.get(row) for path in args], lambda index: args[index].describe(row))
