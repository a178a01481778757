"""The one place a raw payload becomes loadable or quarantined: map, resolve SKUs, validate.

Syncs, steward replays and the `tracehub map` dry run all go through `check_payloads`, so they
cannot disagree about a record (docs/architecture.md, rules 3 and 4). Mappings and GX load on first
use, not when a DAG file is parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from connectors.config import ConfigError, SourceConfig
from data_dictionary.failures import RuleFailure
from data_dictionary.identity import Items, resolve
from data_dictionary.models import Record
from pipeline import drops
from trace_store.batch import Quarantined

if TYPE_CHECKING:
    from mappings import Mapping, MappingOptions


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
    The one place a raw payload becomes loadable or quarantined: syncs, steward replays and the
    `tracehub map` dry run all go through it, so they cannot disagree.
    """
    from quality_checks import validate

    results = []
    for payload, updated_at in payloads:
        mapped = mapping.map(payload, source_name, updated_at)
        records = resolve(mapped.records, items) if items else list(mapped.records)
        results.append(Checked(records, list(mapped.failures)))
    records = [record for result in results if not result.failures for record in result.records]
    owner = [i for i, result in enumerate(results) if not result.failures for _ in result.records]
    for index, failures in validate(entity, records).items():
        results[owner[index]].failures.extend(failures)
    for (payload, _), result in zip(payloads, results, strict=True):
        result.failures = drops.locate(payload, result.failures)
    return results


def to_quarantine(
    external_id: str, content_hash: str, payload: dict[str, Any], records: list[Record], failures: list[RuleFailure]
) -> Quarantined:
    """A quarantine entry: the raw payload, what it mapped to (if anything) and every failed rule."""
    mapped = [r.model_dump(mode="json") for r in records] or None
    return Quarantined(external_id, content_hash, payload, mapped, failures)
