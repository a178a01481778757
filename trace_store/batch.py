"""What the pipeline hands the loader: one batch, landed in one transaction (architecture rule 1)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import xxhash

from data_dictionary.failures import RuleFailure
from data_dictionary.jsonable import canonical_bytes, fast_bytes
from data_dictionary.models import Record


@dataclass(frozen=True, slots=True)
class LandedRaw:
    """A raw record version: its canonical JSON text (what is stored) and that text's hash."""

    external_id: str
    content_hash: str
    updated_at: datetime
    payload_json: str
    """The canonical JSON text, as hashed and stored (a string: the store's column is text, and
    one copy per version is held, not bytes beside the string made for landing)."""
    pulled_key: str | None = None
    """`pulled_key` of the payload as this sync pulled it (None: not pulled, e.g. a steward's replay)."""

    @classmethod
    def of(
        cls, external_id: str, updated_at: datetime, payload: dict[str, Any], pulled_key: str | None = None
    ) -> LandedRaw:
        """Serialize once: the same text is hashed and stored."""
        text = canonical_bytes(payload)
        return cls(external_id, hashlib.sha256(text).hexdigest(), updated_at, text.decode(), pulled_key)


def pulled_key(payload: dict[str, Any]) -> tuple[str, int]:
    """The key a pulled payload is looked up by, and the size of its text; the text is not kept.

    xxh3-128 of orjson's text of the payload with its keys in the order the platform sent them:
    no sorting and no cryptographic hash, half the cost of the canonical hash. The store keeps it
    beside the content hash of the version it came from (`raw_current.pulled_key`), so a re-sync
    of unchanged records needs nothing more. A payload whose key is not found (new, changed, or
    sent with its keys in another order) is written out canonically by `LandedRaw.of` and compared
    by content hash. The key only lets a re-sync skip work; every version landed is known by the
    SHA-256 of its canonical text.
    """
    text = fast_bytes(payload, sort_keys=False) or canonical_bytes(payload)
    return xxhash.xxh3_128_hexdigest(text), len(text)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A raw record that failed mapping or validation, with every rule it broke."""

    external_id: str
    content_hash: str
    payload: dict[str, Any]
    mapped: list[dict[str, Any]] | None
    failures: list[RuleFailure]


@dataclass(slots=True)
class LoadBatch:
    """One transaction's worth of work for one (source, entity) run.

    `records` are the canonical records mapped from the raw records that passed; one raw
    record may give several (a ShipBob order with two shipments). Counts are raw records:
    pulled == unchanged + loaded + quarantined must hold for every batch.
    """

    run_id: int
    source: str
    entity: str
    pulled: int
    unchanged: int
    landed: list[LandedRaw] = field(default_factory=list)
    """Every raw record with a new content hash, loaded or quarantined (raw landing keeps both;
    an external id listed in `quarantined` is the quarantined kind)."""
    records: list[Record] = field(default_factory=list)
    loaded: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    cursor: datetime | None = None
    """New cursor (max updated_at seen so far); None leaves the stored one."""
    record_raw_ids: list[str] = field(default_factory=list)
    """External id of the raw record each of `records` was mapped from, same order. Optional: when
    empty the store links a record to the landed raw record with its own `external_id` or id."""
    kind: str | None = None
    """Platform kind of the source (`shopify`, `odoo`, ...), kept on quarantine rows so a replay
    can pick the mapping again without the sources file."""
    mapping_options: dict[str, Any] | None = None
    """The source's time zone and field map the records were mapped with, kept on quarantine rows
    for the same reason."""
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Payload path -> (JSON type, how many landed payloads had it), `$` counting them all; added to
    the store's `payload_field` tally in the same transaction."""
    fields_are_additions: bool = False
    """Whether a path first seen in this batch is an addition (the source entity has a history)."""
    rekeyed: list[LandedRaw] = field(default_factory=list)
    """Unchanged raw records the store holds under another `pulled_key` (their keys came in another
    order, or they landed before keys were kept): only that key is written."""
    corrected: set[str] = field(default_factory=set)
    """External ids among the loaded that loaded only with a steward's correction of their very
    version (`raw_current.status` corrected; that version's corrections become active again)."""
