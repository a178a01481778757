"""Compile a declarative mapping spec into a function raw payload -> canonical records.

Specs are compiled once (paths parsed, transforms built, required-ness read from the canonical
model), so mapping a payload is a walk over prepared closures. Mapping never raises: every
problem becomes a `RuleFailure` with rule ``mapping`` naming the raw payload path, and a
payload with any failure yields no records, so the pipeline quarantines it whole.
See README.md in this folder for the spec format.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from data_dictionary.failures import RuleFailure
from data_dictionary.models import ENTITY_MODELS, Record
from mappings.paths import CURRENT, ROOT, Context, Path, PathError, compile_path
from mappings.transforms import EXPANDERS, NONE_AWARE, TRANSFORMS, MappingError, Transform

RULE = "mapping"
_VALUE_LIMIT = 200
_CALLER_FIELDS = frozenset({"source"})

Failures = list[RuleFailure]
FieldFn = Callable[[Context, Failures], Any]
_MISSING = object()


@dataclass(slots=True)
class MapResult:
    """Canonical records of one raw payload, or the failures that stopped it (never both)."""

    records: list[Record] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def truncate(value: Any) -> Any:
    """Keep the offending value readable and JSON-friendly in the quarantine."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 3] + "..."


def _failure(field_path: str, value: Any, message: str) -> RuleFailure:
    return RuleFailure(rule=RULE, field=field_path, value=truncate(value), message=message)


class Mapping:
    """One compiled spec: `map(payload, source)` gives a `MapResult`."""

    def __init__(self, spec: dict[str, Any], name: str = "<spec>") -> None:
        self.name = name
        self.entity: str = spec["entity"]
        if self.entity not in ENTITY_MODELS:
            raise ValueError(f"{name}: unknown entity {self.entity!r}")
        self.model = ENTITY_MODELS[self.entity]
        self._false_is_null = bool(spec.get("false_is_null", False))
        explode = spec.get("explode")
        self._explode = _Iteration(explode, frozenset(), self._false_is_null) if explode else None
        bindings = self._explode.names if self._explode else frozenset()
        self._build = self._compile_fields(spec["fields"], self.model, bindings, name, top=True)

    @classmethod
    def from_file(cls, path: FilePath) -> Mapping:
        with path.open(encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle), name=path.name)

    def map(self, payload: dict[str, Any], source: str) -> MapResult:
        """Map one raw payload; never raises."""
        try:
            return self._map(payload, source)
        except Exception as exc:  # a spec bug must still quarantine the record, not stop the run
            return MapResult(failures=[_failure("", None, f"mapping {self.name} failed: {exc!r}")])

    def _map(self, payload: dict[str, Any], source: str) -> MapResult:
        if not isinstance(payload, dict):
            return MapResult(failures=[_failure("", payload, "expected the payload to be an object")])
        failures: Failures = []
        root: Context = {ROOT: (payload, ""), CURRENT: (payload, "")}
        contexts = [root] if self._explode is None else self._explode.contexts(root, failures)
        built = [self._build(ctx, failures) for ctx in contexts]
        if failures:
            return MapResult(failures=_unique(failures))
        records: list[Record] = []
        for values in built:
            values["source"] = source
            try:
                records.append(self.model.model_validate(values))
            except ValidationError as exc:
                failures.extend(_validation_failures(exc))
        if failures:
            return MapResult(failures=failures)
        return MapResult(records=records)

    def _compile_fields(
        self,
        specs: dict[str, Any],
        model: type[BaseModel],
        bindings: frozenset[str],
        where: str,
        top: bool = False,
    ) -> Callable[[Context, Failures], dict[str, Any]]:
        model_fields = model.model_fields
        unknown = set(specs) - set(model_fields)
        if unknown:
            raise ValueError(f"{where}: {model.__name__} has no fields {sorted(unknown)}")
        not_mapped = {
            name
            for name, info in model_fields.items()
            if info.is_required() and name not in specs and not (top and name in _CALLER_FIELDS)
        }
        if not_mapped:
            raise ValueError(f"{where}: required {model.__name__} fields not mapped: {sorted(not_mapped)}")
        compiled: list[tuple[str, FieldFn]] = []
        for name, spec in specs.items():
            info = model_fields[name]
            label = f"{where}.{name}"
            if isinstance(spec, dict) and "each" in spec:
                compiled.append((name, self._compile_each(spec, info.annotation, bindings, label)))
            else:
                required = spec.get("required", info.is_required()) if isinstance(spec, dict) else info.is_required()
                compiled.append((name, self._compile_value(spec, bindings, required, label)))

        def build(ctx: Context, failures: Failures) -> dict[str, Any]:
            values: dict[str, Any] = {}
            for name, fn in compiled:
                value = fn(ctx, failures)
                if value is not _MISSING:
                    values[name] = value
            return values

        return build

    def _compile_each(self, spec: dict[str, Any], annotation: Any, bindings: frozenset[str], where: str) -> FieldFn:
        item_model = _list_item_model(annotation, where)
        iteration = _Iteration(spec["each"], bindings, self._false_is_null)
        build = self._compile_fields(spec["fields"], item_model, bindings | iteration.names, where)

        def each(ctx: Context, failures: Failures) -> Any:
            return [build(row, failures) for row in iteration.contexts(ctx, failures)]

        return each

    def _compile_value(self, spec: Any, bindings: frozenset[str], required: bool, where: str) -> FieldFn:
        read, describe = self._compile_reader(spec, bindings, where)
        # A transform sees None only if it gives None a meaning (default, if_present, false_none).
        transforms = _compile_transforms(spec.get("transforms", []) if isinstance(spec, dict) else [], where)

        def missing(ctx: Context, failures: Failures, raw: Any) -> Any:
            if required:
                failures.append(_failure(describe(ctx), raw, "a value is required here"))
            return _MISSING

        def plain(ctx: Context, failures: Failures) -> Any:
            try:
                value = read(ctx)
            except PathError as exc:
                failures.append(_failure(exc.path, exc.value, exc.message))
                return _MISSING
            return missing(ctx, failures, value) if value is None else value

        def chained(ctx: Context, failures: Failures) -> Any:
            try:
                raw = value = read(ctx)
            except PathError as exc:
                failures.append(_failure(exc.path, exc.value, exc.message))
                return _MISSING
            try:
                for transform, sees_none in transforms:
                    if value is not None or sees_none:
                        value = transform(value)
            except MappingError as exc:
                failures.append(_failure(exc.field or describe(ctx), raw, exc.message))
                return _MISSING
            return missing(ctx, failures, raw) if value is None else value

        # The plain variant skips the transform loop: most fields are a bare path.
        return chained if transforms else plain

    def _compile_reader(
        self, spec: Any, bindings: frozenset[str], where: str
    ) -> tuple[Callable[[Context], Any], Callable[[Context], str]]:
        """How a value field reads its raw input, and how to name that input in a failure."""
        if isinstance(spec, str):
            spec = {"path": spec}
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: a field is a path or a mapping, got {spec!r}")
        if "path" in spec:
            path = compile_path(spec["path"], bindings, self._false_is_null)
            return path.get, path.describe
        if "paths" in spec:
            paths = [compile_path(text, bindings, self._false_is_null) for text in spec["paths"]]
            return (
                lambda ctx: [path.get(ctx) for path in paths],
                lambda ctx: ", ".join(path.describe(ctx) for path in paths),
            )
        if "const" in spec:
            constant = spec["const"]
            return (lambda ctx: constant), (lambda ctx: where)
        if "index" in spec:
            start = int(spec["index"])
            return (lambda ctx: ctx["#"][0] + start), (lambda ctx: where)
        if "first_of" in spec:
            return self._compile_first_of(spec["first_of"], bindings, where)
        raise ValueError(f"{where}: a field needs one of path, paths, const, index, first_of, each")

    def _compile_first_of(
        self, options: list[Any], bindings: frozenset[str], where: str
    ) -> tuple[Callable[[Context], Any], Callable[[Context], str]]:
        """Alternatives tried in order; the first that gives a value wins (fallback paths)."""
        compiled = [self._compile_value(option, bindings, False, where) for option in options]
        readers = [self._compile_reader(option, bindings, where) for option in options]

        def read(ctx: Context) -> Any:
            failures: Failures = []
            for fn in compiled:
                value = fn(ctx, failures)
                if failures:  # a present but bad value is a failure, not a reason to fall back
                    raise PathError(failures[0].message, failures[0].field, failures[0].value)
                if value is not _MISSING:
                    return value
            return None

        def describe(ctx: Context) -> str:
            return " or ".join(describe_one(ctx) for _, describe_one in readers)

        return read, describe


class _Iteration:
    """An `each` (or `explode`) block: named bindings iterated as nested loops, in order.

    Each binding is a path with `[*]` over the payload, or ``{expand: name, args: [paths]}``
    calling an expander from `transforms.EXPANDERS`. The last binding is also the current
    element, so plain paths in the block's fields read from it. ``#`` holds the row number.
    """

    def __init__(self, spec: Any, bindings: frozenset[str], false_is_null: bool) -> None:
        if isinstance(spec, str):
            spec = {CURRENT: spec}
        steps: list[tuple[str, Any]] = []
        known = set(bindings)
        for name, source in spec.items():
            if isinstance(source, dict):
                if source.get("expand") not in EXPANDERS:
                    raise ValueError(f"unknown expander {source.get('expand')!r}; known: {sorted(EXPANDERS)}")
                expander = EXPANDERS[source["expand"]]
                arg_paths = [compile_path(arg, frozenset(known), false_is_null) for arg in source["args"]]
                steps.append((name, (expander, arg_paths)))
            else:
                steps.append((name, compile_path(source, frozenset(known), false_is_null)))
            known.add(name)
        self._steps = steps
        self.names = frozenset(name for name, _ in steps if name != CURRENT)

    def contexts(self, ctx: Context, failures: Failures) -> list[Context]:
        """One context per row, in document order; a shape problem is a failure and no rows."""
        rows = [ctx]
        try:
            for name, step in self._steps:
                expanded: list[Context] = []
                for row in rows:
                    for element in self._elements(step, row):
                        inner = dict(row)
                        inner[name] = element
                        inner[CURRENT] = element
                        expanded.append(inner)
                rows = expanded
        except (PathError, MappingError) as exc:
            path = exc.path if isinstance(exc, PathError) else exc.field or ""
            failures.append(_failure(path, exc.value, exc.message))
            return []
        for number, row in enumerate(rows):
            row["#"] = (number, "")
        return rows

    @staticmethod
    def _elements(step: Any, row: Context) -> Any:
        if isinstance(step, Path):
            return step.iterate(row)
        expander, arg_paths = step
        return expander([path.get(row) for path in arg_paths], lambda index: arg_paths[index].describe(row))


def _split_transform(spec: Any, where: str) -> tuple[str, tuple[Any, ...]]:
    """`decimal` -> ("decimal", ()); `{lookup: {...}}` -> ("lookup", ({...},))."""
    args: tuple[Any, ...]
    if isinstance(spec, str):
        name, args = spec, ()
    elif isinstance(spec, dict) and len(spec) == 1:
        name, arg = next(iter(spec.items()))
        args = (arg,)
    else:
        raise ValueError(f"{where}: a transform is a name or {{name: argument}}, got {spec!r}")
    if name not in TRANSFORMS:
        raise ValueError(f"{where}: unknown transform {name!r}")
    return name, args


def _compile_transforms(specs: list[Any], where: str) -> list[tuple[Transform, bool]]:
    """`[decimal, {lookup: {...}}]` -> (prepared function, whether it is called with None)."""
    prepared = (_split_transform(spec, where) for spec in specs)
    return [(TRANSFORMS[name](*args), name in NONE_AWARE) for name, args in prepared]


def _list_item_model(annotation: Any, where: str) -> type[BaseModel]:
    """`tuple[OrderLine, ...]` -> OrderLine."""
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    raise ValueError(f"{where}: `each` needs a field holding a list of models, not {annotation!r}")


def _unique(failures: Failures) -> Failures:
    """One failure per (field, message): several canonical fields may read the same raw value."""
    seen: set[tuple[str, str]] = set()
    unique: Failures = []
    for failure in failures:
        key = (failure.field, failure.message)
        if key not in seen:
            seen.add(key)
            unique.append(failure)
    return unique


def _validation_failures(exc: ValidationError) -> Failures:
    """Pydantic's errors as failures on canonical paths like `lines[0].qty`."""
    failures: Failures = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        failures.append(_failure(path, error.get("input"), error["msg"]))
    return failures
