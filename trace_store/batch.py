"""What the pipeline hands the loader: one batch, landed in one transaction (architecture rule 1)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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

    @classmethod
    def of(cls, external_id: str, updated_at: datetime, payload: dict[str, Any]) -> LandedRaw:
        """Serialize once: the same text is hashed and stored."""
        text = canonical_bytes(payload)
        return cls(external_id, hashlib.sha256(text).hexdigest(), updated_at, text.decode())


def pulled_hash(payload: dict[str, Any]) -> tuple[str, int]:
    """The hash a pulled payload is looked up by, and the size of its text; the text is not kept.

    It is the hash of orjson's text, which is the canonical text wherever orjson spells numbers as
    `json` does. A hash the store holds is the hash of a stored canonical text, so a pulled payload
    with that hash is unchanged and needs nothing more; only the others are written out again by
    `LandedRaw.of` (and looked up again when that hash differs). Most payloads of a re-sync are
    unchanged, and keeping a batch of texts cost more than writing the few changed ones twice.
    """
    text = fast_bytes(payload)
    if text is None:
        text = canonical_bytes(payload)
    return hashlib.sha256(text).hexdigest(), len(text)


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
    corrected: set[str] = field(default_factory=set)
    """External ids among the loaded that loaded only with a steward's correction of their very
    version (`raw_current.status` corrected; that version's corrections become active again)."""
