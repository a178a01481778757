"""Compile a declarative mapping spec into a function raw payload -> canonical records.

Specs are compiled once (paths parsed, transforms built, required-ness read from the canonical
model) into a `plan`; `codegen` writes the plan out as one function that maps a clean payload
in a single pass, and `interpret` walks it for any payload that function cannot map, naming each
problem. Mapping never raises: every problem becomes a `RuleFailure` with rule ``mapping``
naming the raw payload path, and a payload with any failure yields no records, so the pipeline
quarantines it whole. See README.md in this folder for the spec format.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ValidationError

from data_dictionary.failures import RuleFailure
from data_dictionary.identity import Items, resolver
from data_dictionary.models import ENTITY_MODELS, Record
from mappings.codegen import generate
from mappings.interpret import Interpreter, failure
from mappings.paths import compile_path
from mappings.plan import ConstRead, Each, Fields, FirstOf, IndexRead, Iteration, PathRead, PathsRead, Plan, Read, Value
from mappings.transforms import NONE_AWARE, TRANSFORMS, ZONE_AWARE, Transform

_CALLER_FIELDS = frozenset({"source", "source_updated_at"})
_READERS = frozenset({"path", "paths", "const", "index", "first_of"})

Failures = list[RuleFailure]


@dataclass(frozen=True, slots=True)
class MappingOptions:
    """What one source changes in a spec: its time zone and its field map.

    `fields` maps a canonical field (`registration_no`, or `lines.lot` inside a list field) to
    the platform path that fills it for this source: a customer's custom field (Odoo Studio's
    `x_studio_*`) or another join field than the vendor's default. Hashable, so compiled
    mappings can be cached per source configuration.
    """

    timezone: str = "UTC"
    fields: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, timezone: str = "UTC", fields: typing.Mapping[str, str] | None = None) -> MappingOptions:
        return cls(timezone, tuple(sorted((fields or {}).items())))

    def as_dict(self) -> dict[str, Any]:
        """JSON form, kept with quarantined records so a replay maps them as their source does."""
        return {"timezone": self.timezone, "fields": dict(self.fields)}

    @classmethod
    def from_dict(cls, data: typing.Mapping[str, Any] | None) -> MappingOptions:
        data = data or {}
        return cls.of(data.get("timezone") or "UTC", data.get("fields"))


DEFAULT_OPTIONS = MappingOptions()


@dataclass(slots=True)
class MapResult:
    """Canonical records of one raw payload, or the failures that stopped it (never both)."""

    records: list[Record] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


class Mapping:
    """One compiled spec: `map(payload, source)` gives a `MapResult`.

    Compiled for one `MappingOptions`: fields the source maps elsewhere read from there, and
    fields marked `custom` (no standard platform field holds them) are filled only when the
    source's field map names where they live.
    """

    def __init__(self, spec: dict[str, Any], name: str = "<spec>", options: MappingOptions = DEFAULT_OPTIONS) -> None:
        self.name = name
        self.entity: str = spec["entity"]
        if self.entity not in ENTITY_MODELS:
            raise ValueError(f"{name}: unknown entity {self.entity!r}")
        self.model = ENTITY_MODELS[self.entity]
        self._resolve = resolver(self.model)
        self.options = options
        try:
            self._zone = ZoneInfo(options.timezone)
        except (ValueError, KeyError):
            raise ValueError(f"{name}: unknown time zone {options.timezone!r}") from None
        self._overrides = dict(options.fields)
        self._false_is_null = bool(spec.get("false_is_null", False))
        explode = spec.get("explode")
        iteration = Iteration(explode, frozenset(), self._false_is_null) if explode else None
        bindings = iteration.names if iteration else frozenset()
        fields = self._compile_fields(spec["fields"], self.model, bindings, name, top=True)
        if self._overrides:
            raise ValueError(
                f"{name}: the field map names {sorted(self._overrides)}, which {self.model.__name__} does not have"
            )
        self.plan = Plan(iteration, fields)
        self._interpret = Interpreter(self.plan)
        self._build, self.code = generate(self.plan, name)

    @classmethod
    def from_file(cls, path: FilePath, options: MappingOptions = DEFAULT_OPTIONS) -> Mapping:
        with path.open(encoding="utf-8") as handle:
            return cls(yaml.safe_load(handle), name=path.name, options=options)

    def map(
        self, payload: dict[str, Any], source: str, updated_at: datetime | None = None, items: Items | None = None
    ) -> MapResult:
        """Map one raw payload; never raises.

        `source` names the configured source; `updated_at` is when the platform changed the
        record as the connector placed it in time, which fills `source_updated_at` where the
        spec reads no timestamp of its own (vendors whose records carry none). `items`, the
        device master by SKU, gives lines that name only a SKU their GTIN and tracking.
        """
        try:
            return self._map(payload, source, updated_at, items)
        except Exception as exc:  # a spec bug must still quarantine the record, not stop the run
            return MapResult(failures=[failure("", None, f"mapping {self.name} failed: {exc!r}")])

    def _map(self, payload: dict[str, Any], source: str, updated_at: datetime | None, items: Items | None) -> MapResult:
        if not isinstance(payload, dict):
            return MapResult(failures=[failure("", payload, "expected the payload to be an object")])
        try:
            built = self._build(payload)
        except Exception:  # anything the straight-line pass could not map: the interpreter says what
            built, failures = self._interpret(payload)
            if failures:
                return MapResult(failures=_unique(failures))
        records: list[Record] = []
        failures = []
        for values in built:
            values["source"] = source
            if updated_at is not None:
                values.setdefault("source_updated_at", updated_at)
            if items:
                self._resolve(values, items)
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
        prefix: str = "",
    ) -> Fields:
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
        compiled: list[tuple[str, Value | Each]] = []
        for name, spec in specs.items():
            info = model_fields[name]
            label = f"{where}.{name}"
            if isinstance(spec, dict) and "each" in spec:
                iteration = (spec, info.annotation, bindings, label, f"{prefix}{name}.")
                compiled.append((name, self._compile_each(*iteration)))
                continue
            spec = self._for_source(spec, f"{prefix}{name}", label)
            if spec is None:
                continue
            required = spec.get("required", info.is_required()) if isinstance(spec, dict) else info.is_required()
            required = required and not (top and name in _CALLER_FIELDS)  # the caller may still fill it
            compiled.append((name, self._compile_value(spec, bindings, required, label)))
        return tuple(compiled)

    def _for_source(self, spec: Any, canonical: str, where: str) -> Any:
        """The field's spec as this source reads it: its field map's path, or the spec; None: not mapped.

        A mapped field reads the configured path with the transforms under `custom` (when the
        spec declares them), else with the spec's own transforms; a `first_of` field whose `custom`
        says `after: N` still tries its first N alternatives (a standard field) before the mapped path.
        A `custom`-only field (no standard platform field holds it) is left out unless the source maps it.
        """
        custom = spec.get("custom") if isinstance(spec, dict) else None
        path = self._overrides.pop(canonical, None)
        if path is None:
            if isinstance(spec, dict) and "custom" in spec and not set(spec) & _READERS:
                return None
            return spec
        if not isinstance(path, str) or not path.strip():
            raise ValueError(f"{where}: the field map must give a platform path, got {path!r}")
        if isinstance(custom, dict) and "transforms" in custom:
            transforms = custom["transforms"]
        else:
            transforms = spec.get("transforms", []) if isinstance(spec, dict) else []
        mapped = {"path": path, "transforms": transforms}
        keep = custom.get("after", 0) if isinstance(custom, dict) and "first_of" in spec else 0
        return {"first_of": [*spec["first_of"][:keep], mapped]} if keep else mapped

    def _compile_each(
        self, spec: dict[str, Any], annotation: Any, bindings: frozenset[str], where: str, prefix: str
    ) -> Each:
        item_model = _list_item_model(annotation, where)
        iteration = Iteration(self._moved_args(spec, prefix), bindings, self._false_is_null)
        fields = self._compile_fields(spec["fields"], item_model, bindings | iteration.names, where, prefix=prefix)
        return Each(iteration, fields, bool(spec.get("required")))

    def _moved_args(self, spec: dict[str, Any], prefix: str) -> Any:
        """The `each` bindings with expander arguments the source's field map moves.

        An expander lists, in `fields`, the canonical field each argument feeds (`serial`, `lot`): a
        field map entry for that field (`lines.serial`) then moves the argument too, so a source with
        its own meta keys gets its serials expanded from there. A field that reads the expander's row
        (`serial: unit.serial`) keeps reading it: the map moved what the row is made from.
        """
        each = spec["each"]
        if not isinstance(each, dict):
            return each
        moved: dict[str, Any] = {}
        for name, source in each.items():
            if isinstance(source, dict) and "fields" in source:
                args = list(source["args"])
                for index, canonical in enumerate(source["fields"]):
                    path = self._overrides.get(f"{prefix}{canonical}") if canonical else None
                    if path is None:
                        continue
                    args[index] = path
                    field_spec = spec["fields"].get(canonical)
                    reads = field_spec.get("path") if isinstance(field_spec, dict) else field_spec
                    if isinstance(reads, str) and reads.startswith(f"{name}."):
                        self._overrides.pop(f"{prefix}{canonical}")
                source = {key: value for key, value in source.items() if key != "fields"} | {"args": args}
            moved[name] = source
        return moved

    def _compile_value(self, spec: Any, bindings: frozenset[str], required: bool, where: str) -> Value:
        specs = spec.get("transforms", []) if isinstance(spec, dict) else []
        transforms = _compile_transforms(specs, where, self._zone)
        return Value(self._compile_reader(spec, bindings, where), transforms, required, where)

    def _compile_reader(self, spec: Any, bindings: frozenset[str], where: str) -> Read:
        if isinstance(spec, str):
            spec = {"path": spec}
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: a field is a path or a mapping, got {spec!r}")
        if "path" in spec:
            return PathRead(compile_path(spec["path"], bindings, self._false_is_null))
        if "paths" in spec:
            return PathsRead(tuple(compile_path(text, bindings, self._false_is_null) for text in spec["paths"]))
        if "const" in spec:
            return ConstRead(spec["const"])
        if "index" in spec:
            return IndexRead(int(spec["index"]))
        if "first_of" in spec:
            return FirstOf(tuple(self._compile_value(option, bindings, False, where) for option in spec["first_of"]))
        raise ValueError(f"{where}: a field needs one of path, paths, const, index, first_of, each")


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


def _compile_transforms(specs: list[Any], where: str, zone: ZoneInfo) -> tuple[tuple[Transform, bool], ...]:
    """`[decimal, {lookup: {...}}]` -> (prepared function, whether it is called with None).

    Transforms in `ZONE_AWARE` also get the source's time zone.
    """
    prepared = (_split_transform(spec, where) for spec in specs)
    return tuple(
        (TRANSFORMS[name](*args, zone=zone) if name in ZONE_AWARE else TRANSFORMS[name](*args), name in NONE_AWARE)
        for name, args in prepared
    )


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
    for found in failures:
        key = (found.field, found.message)
        if key not in seen:
            seen.add(key)
            unique.append(found)
    return unique


def _validation_failures(exc: ValidationError) -> Failures:
    """Pydantic's errors as failures on canonical paths like `lines[0].qty`."""
    failures: Failures = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        failures.append(failure(path, error.get("input"), error["msg"]))
    return failures
