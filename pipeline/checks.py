"""The one place a raw payload becomes loadable or quarantined: map, resolve SKUs, validate.

Syncs, steward replays and the `tracehub map` dry run all go through `start_checks` (which
`check_payloads` waits for), so they cannot disagree about a record (docs/architecture.md, rules
3 and 4). Mappings and GX load on first use, not when a DAG file is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.config import ConfigError, SourceConfig
from data_dictionary.failures import RuleFailure
from data_dictionary.identity import Items
from data_dictionary.jsonable import to_jsonable
from data_dictionary.models import Record
from pipeline import drops
from trace_store.batch import Quarantined

if TYPE_CHECKING:
    from mappings import Mapping, MappingOptions
    from quality_checks.validation import PendingValidation


def mapping_options(source: SourceConfig, entity: str) -> MappingOptions:
    """How `source` reads `entity`: its time zone and its field map for that entity."""
    from mappings import MappingOptions

    return MappingOptions.of(source.timezone, source.field_map.get(entity))


def mapping_for(source: SourceConfig, entity: str) -> Mapping:
    """The compiled mapping `source` uses for `entity`; a field map that does not fit the spec is a config error."""
    from mappings import get_mapping

    try:
        return get_mapping(source.kind, entity, mapping_options(source, entity))
    except ValueError as exc:
        raise ConfigError(f"source {source.name!r}, entity {entity!r}: {exc}") from None


@dataclass(slots=True)
class Checked:
    """One payload after mapping and validation: its records, and every rule it broke (empty: it loads)."""

    records: list[Record]
    failures: list[RuleFailure]
    corrected: bool = False
    """The records carry a steward's corrections of this very version."""


@dataclass(slots=True)
class PendingChecks:
    """Payloads mapped, their records sent to GX; `results()` waits for the verdict."""

    payloads: Sequence[tuple[dict[str, Any], datetime | None]]
    mapped: list[Checked]
    owner: list[int]
    """For each record sent to GX, the index of the payload it was mapped from."""
    validation: PendingValidation

    def results(self) -> list[Checked]:
        """One result per payload: its records, and every rule it broke (mapping's and GX's)."""
        for index, failures in self.validation.failures().items():
            self.mapped[self.owner[index]].failures.extend(failures)
        for (payload, _), result in zip(self.payloads, self.mapped, strict=True):
            result.failures = drops.locate(payload, result.failures)
        return self.mapped


def start_checks(
    mapping: Mapping,
    source_name: str,
    entity: str,
    payloads: Sequence[tuple[dict[str, Any], datetime | None]],
    items: Items | None = None,
) -> PendingChecks:
    """Map every payload and resolve SKUs to devices, then send all records to GX in one run.

    Returns once GX has the records: the caller may work on while they are validated.
    """
    from quality_checks.validation import start_validation

    results = []
    for payload, updated_at in payloads:
        mapped = mapping.map(payload, source_name, updated_at, items)
        results.append(Checked(mapped.records, mapped.failures))
    records = [record for result in results if not result.failures for record in result.records]
    owner = [i for i, result in enumerate(results) if not result.failures for _ in result.records]
    return PendingChecks(payloads, results, owner, start_validation(entity, records))


def check_payloads(
    mapping: Mapping,
    source_name: str,
    entity: str,
    payloads: Sequence[tuple[dict[str, Any], datetime | None]],
    items: Items | None = None,
) -> list[Checked]:
    """Map every payload, resolve SKUs to devices, then validate all records in one GX run.

    `payloads` pairs each raw payload with the time its connector placed it at (None: the
    payload's own timestamps only); `items` is the device master by SKU. One result per payload.
    The one place a raw payload becomes loadable or quarantined: syncs (through `start_checks`),
    steward replays and the `tracehub map` dry run all go through it, so they cannot disagree.
    """
    return start_checks(mapping, source_name, entity, payloads, items).results()


def to_quarantine(
    external_id: str, content_hash: str, payload: dict[str, Any], records: list[Record], failures: list[RuleFailure]
) -> Quarantined:
    """A quarantine entry: the raw payload, what it mapped to (if anything) and every failed rule."""
    mapped = [r.model_dump(mode="json") for r in records] or None
    return Quarantined(external_id, content_hash, payload, mapped, failures)


@dataclass(frozen=True, slots=True)
class Correction:
    """A steward's new value for one field of one mapped record: `record_no` counts from 1, `field`
    is a path as rule failures name it (`currency`, `lines[0].qty`)."""

    record_no: int
    field: str
    value: Any


_PATH = re.compile(r"^(?:(?P<list>[a-z_]+)\[(?P<index>\d+)\]\.)?(?P<name>[a-z_]+)$")


def field_value(records: Sequence[Record], record_no: int, path: str) -> Any:
    """The current value at `path` of record `record_no` (from 1), as JSON; LookupError when there is none."""
    parent, name = _locate(records[record_no - 1].model_dump(), path) if 1 <= record_no <= len(records) else ({}, "")
    if name not in parent:
        raise LookupError(f"record {record_no} has no field {path!r}")
    return to_jsonable(parent[name])


def correct_records(entity: str, records: Sequence[Record], corrections: Sequence[Correction]) -> Checked:
    """`records` with the corrections applied, re-validated with the entity's GX suite.

    The one way a correction is checked, whether a steward makes it or a sync meets the corrected
    version again. A value of the wrong type is rule `correction_type`; an empty text clears the field.
    """
    from pydantic import ValidationError

    from quality_checks import validate

    docs = [record.model_dump() for record in records]
    failures = []
    for c in corrections:
        parent, name = _locate(docs[c.record_no - 1], c.field) if 1 <= c.record_no <= len(docs) else ({}, "")
        if name not in parent:
            failures.append(_failure("correction_field", c.field, None, f"record {c.record_no} has no field {c.field}"))
            continue
        parent[name] = None if c.value == "" else c.value
    rebuilt: list[Record] = []
    for record, doc in zip(records, docs, strict=True):
        try:
            rebuilt.append(type(record).model_validate(doc))
        except ValidationError as exc:
            for error in exc.errors():
                path = re.sub(r"\.(\d+)\.", r"[\1].", ".".join(str(p) for p in error["loc"]))
                failures.append(_failure("correction_type", path, error.get("input"), error["msg"]))
    if failures:
        return Checked(list(records), failures)
    found = validate(entity, rebuilt)
    return Checked(rebuilt, [f for index in sorted(found) for f in found[index]])


def _locate(doc: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The dict holding the field at `path`, and the field's name ({} when the path leads nowhere)."""
    match = _PATH.match(path)
    if match is None:
        return {}, ""
    if match["list"] is None:
        return doc, match["name"]
    items = doc.get(match["list"])
    index = int(match["index"])
    if not isinstance(items, list | tuple) or index >= len(items) or not isinstance(items[index], dict):
        return {}, ""
    return items[index], match["name"]


def _failure(rule: str, field: str, value: Any, message: str) -> RuleFailure:
    return RuleFailure(rule=rule, field=field, value=to_jsonable(value), message=message)
