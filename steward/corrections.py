"""Corrections: a steward fixes field values of a quarantined record and loads it.

The form is built from the data dictionary (types, enums, required fields). A correction is checked
with the same GX suite as a sync (`pipeline.checks.correct_records`); when it still breaks a rule
nothing loads and the refusal names the rule. When it passes, the corrected record loads through
the normal loader in a recorded run, and every changed field is kept in `quarantine_correction`
(who, when, old value, new value, reason) with one audit entry for the whole correction. A sync
that meets the same raw version again applies the corrections again; a newer version from the
platform supersedes them (`trace_store.loader`), and the steward sees them flagged on its record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from data_dictionary.dictionary import entities
from data_dictionary.failures import RuleFailure
from data_dictionary.jsonable import to_jsonable
from steward.inputs import StewardError, check_actor, validate_reason
from steward.quarantine import (
    fetch_row,
    get_quarantine,
    landed_version,
    mapping_for,
    open_run,
    require_open,
    set_raw_status,
    transition,
)
from trace_store.batch import LoadBatch
from trace_store.loader import write_batch
from trace_store.schema import quarantine_correction
from trace_store.store import Store, device_items

FIXED = frozenset({"source", "source_updated_at"})
"""Fields no correction may change: where the record came from and when the platform changed it."""
MAX_CHANGES = 50


class CorrectionFailed(StewardError):
    """The corrected record still breaks rules; nothing was loaded."""

    def __init__(self, failures: list[RuleFailure]) -> None:
        self.failures = failures
        rules = "; ".join(f"{f.field}: {f.rule}: {f.message}" for f in failures)
        super().__init__(f"the corrected record still breaks its rules, so nothing was loaded ({rules})")


@dataclass
class FormField:
    """One input of the correction form, typed by the data dictionary."""

    record_no: int
    path: str
    type: str
    value: str
    required: bool
    label_en: str
    label_zh: str
    values: list[str] = field(default_factory=list)
    failing: bool = False


def correction_form(record: dict[str, Any]) -> list[FormField]:
    """The correctable fields of a quarantined record's mapped records (empty: it could not be mapped)."""
    failing = {f["field"] for f in record.get("failures") or []}
    spec = entities()
    out: list[FormField] = []
    for record_no, doc in enumerate(record.get("mapped") or [], start=1):
        fields = spec[record["entity"]]["fields"]
        for name, definition in fields.items():
            if name in FIXED:
                continue
            if definition["type"] == "list":
                for index, line in enumerate(doc.get(name) or []):
                    for sub, sub_def in spec[definition["items"]]["fields"].items():
                        path = f"{name}[{index}].{sub}"
                        out.append(_field(record_no, path, sub_def, line.get(sub), path in failing))
                continue
            out.append(_field(record_no, name, definition, doc.get(name), name in failing))
    return out


def _field(record_no: int, path: str, definition: dict[str, Any], value: Any, failing: bool) -> FormField:
    return FormField(
        record_no=record_no,
        path=path,
        type=definition["type"],
        value="" if value is None else str(value),
        required=bool(definition.get("required")),
        label_en=definition.get("label_en", path),
        label_zh=definition.get("label_zh", path),
        values=[str(v) for v in definition.get("values") or []],
        failing=failing,
    )


def correct(
    store: Store, qid: int, changes: dict[str, str], *, reason: str, actor: str, record_no: int = 1
) -> dict[str, Any]:
    """Set `changes` (field path -> new value as typed) on mapped record `record_no` of open record
    `qid`, re-validate it and load it; refused with the broken rules (`CorrectionFailed`) otherwise."""
    from pipeline.checks import Correction, correct_records, field_value

    reason, actor = validate_reason(reason), check_actor(actor)
    if not changes:
        raise StewardError("name at least one field to correct, as field=value")
    if len(changes) > MAX_CHANGES:
        raise StewardError(f"at most {MAX_CHANGES} fields can be corrected at once, not {len(changes)}")
    fixed = sorted(set(changes) & FIXED)
    if fixed:
        raise StewardError(f"{', '.join(fixed)} cannot be corrected: it records where and when the record came from")
    with store.connect() as conn:
        row = fetch_row(conn, qid)
    require_open(row, "corrected")
    mapping = mapping_for(row)
    with store.transaction() as conn:
        row = fetch_row(conn, qid, lock=True)
        require_open(row, "corrected")
        landed = landed_version(conn, row, "correct")
        mapped = mapping.map(json.loads(landed.payload_json), row["source"], landed.updated_at, device_items(conn))
        if mapped.failures or not mapped.records:
            raise StewardError(
                f"record {qid} could not be mapped, so it has no fields to correct; "
                "fix the mapping and replay it, or reject it"
            )
        records = mapped.records
        edits = []
        for path, value in sorted(changes.items()):
            try:
                old = field_value(records, record_no, path)
            except LookupError as exc:
                raise StewardError(f"record {qid}: {exc}") from None
            if value != ("" if old is None else str(old)):
                edits.append((path, old, Correction(record_no, path, value)))
        if not edits:
            raise StewardError(f"record {qid}: every value is as it was; nothing to correct")
        checked = correct_records(row["entity"], records, [c for _, _, c in edits])
        if checked.failures:
            raise CorrectionFailed(checked.failures)
        run_id = open_run(conn, row["source"], row["entity"])
        batch = LoadBatch(run_id=run_id, source=row["source"], entity=row["entity"], pulled=1, unchanged=0)
        batch.kind, batch.landed, batch.loaded = row.get("kind"), [landed], 1
        batch.mapping_options = row.get("mapping_options")
        batch.records = list(checked.records)
        batch.record_raw_ids = [row["external_id"]] * len(checked.records)
        batch.corrected = {row["external_id"]}
        write_batch(conn, batch)
        set_raw_status(conn, row, "corrected")
        now = datetime.now(UTC)
        stored = [
            {
                "field": path,
                "old_value": old,
                "new_value": field_value(checked.records, record_no, path),
            }
            for path, old, _ in edits
        ]
        conn.execute(
            quarantine_correction.insert(),
            [
                {
                    "quarantine_id": qid,
                    "source": row["source"],
                    "entity": row["entity"],
                    "external_id": row["external_id"],
                    "content_hash": row["content_hash"],
                    "record_no": record_no,
                    "reason": reason,
                    "actor": actor,
                    "at": now,
                    "status": "active",
                    **change,
                }
                for change in stored
            ],
        )
        details = {"record_no": record_no, "corrections": stored}
        transition(conn, row, "correct", "corrected", actor, now, reason, run_id, details)
    store.finish_run(run_id)
    return get_quarantine(store, qid)


def corrections_of(store: Store, source: str, entity: str, external_id: str) -> list[dict[str, Any]]:
    """Every correction of any version of one source record, oldest first."""
    k = quarantine_correction.c
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(quarantine_correction)
            .where(k.source == source, k.entity == entity, k.external_id == external_id)
            .order_by(k.id)
        )
        return [to_jsonable(dict(r._mapping)) for r in rows]
