"""Checks the EPCIS JSON Schema cannot make: CBV vocabularies, `ilmd` placement, unique event IDs.

The schema lets any URI stand in for a business step, disposition, business transaction type or
source/destination type (private vocabularies), so a typo or an invented term passes. For an export
that regulators and partners read, Tracehub uses the CBV 2.0 standard terms only, in any of their
three spellings. ILMD (instance/lot master data) belongs to the event that brings objects into
being: an ObjectEvent with action ADD or a TransformationEvent, never anywhere else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from traceability.epcis.vocabulary import (
    BIZ_STEP,
    BIZ_TRANSACTION_TYPE,
    DISPOSITION,
    ERROR_REASON,
    SOURCE_DESTINATION_TYPE,
    Vocabulary,
)


def epcis_check(document: Mapping[str, Any]) -> list[str]:
    """Every CBV-vocabulary, ilmd-placement and duplicate-eventID problem of an EPCIS document."""
    checker = EventChecker()
    events = document.get("epcisBody", {}).get("eventList", [])
    return [problem for index, event in enumerate(events) for problem in checker.check(event, index)]


class EventChecker:
    """Checks events one at a time, remembering event IDs so that a duplicate is caught in a stream.

    IDs are remembered as 16-byte digests, so checking a large export keeps memory small.
    """

    def __init__(self) -> None:
        self._seen: dict[bytes, int] = {}

    def check(self, event: Mapping[str, Any], index: int) -> list[str]:
        """Problems of the event at position `index` of the eventList."""
        where = f"event {index}" + (f" ({event['eventID']})" if event.get("eventID") else "")
        problems = []

        def term(vocabulary: Vocabulary, value: Any, field: str) -> None:
            if not isinstance(value, str) or vocabulary.term(value) is None:
                problems.append(f"{where}: {field} {value!r} is not a CBV 2.0 {vocabulary.name}")

        if "bizStep" in event:
            term(BIZ_STEP, event["bizStep"], "bizStep")
        if "disposition" in event:
            term(DISPOSITION, event["disposition"], "disposition")
        for key in ("set", "unset"):
            for value in event.get("persistentDisposition", {}).get(key, []):
                term(DISPOSITION, value, f"persistentDisposition.{key}")
        for n, item in enumerate(event.get("bizTransactionList", [])):
            if "type" in item:
                term(BIZ_TRANSACTION_TYPE, item["type"], f"bizTransactionList[{n}].type")
        for name in ("sourceList", "destinationList"):
            for n, item in enumerate(event.get(name, [])):
                term(SOURCE_DESTINATION_TYPE, item.get("type"), f"{name}[{n}].type")
        if "reason" in event.get("errorDeclaration", {}):
            term(ERROR_REASON, event["errorDeclaration"]["reason"], "errorDeclaration.reason")
        if "ilmd" in event and not _may_carry_ilmd(event):
            problems.append(
                f"{where}: ilmd on a {event.get('type')} with action {event.get('action')!r}; "
                "ilmd belongs only on an ObjectEvent with action ADD or a TransformationEvent"
            )
        event_id = event.get("eventID")
        if event_id is not None:
            digest = hashlib.blake2b(str(event_id).encode(), digest_size=16).digest()
            if digest in self._seen:
                problems.append(f"{where}: eventID {event_id} repeats event {self._seen[digest]}")
            else:
                self._seen[digest] = index
        return problems


def _may_carry_ilmd(event: Mapping[str, Any]) -> bool:
    kind = event.get("type")
    return kind == "TransformationEvent" or (kind == "ObjectEvent" and event.get("action") == "ADD")
