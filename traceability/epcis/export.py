"""Write the store as one EPCIS 2.0 document (JSON-LD), validated event by event before it is kept.

Events stream from the store into a temporary file beside the target, one per line, each checked
against the official schema and the CBV checks as it goes: memory stays bounded however large the
store. Only a document without problems replaces the target; otherwise the temporary file is
removed and `EpcisValidationError` lists what is wrong.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from trace_store.store import Store
from traceability.epcis.events import EpcisConfig, EventBuilder, Filters
from traceability.epcis.schema_check import SchemaValidator
from traceability.epcis.vocabulary_check import EventChecker

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"cbvmda": "urn:epcglobal:cbv:mda:"}]
"""The EPCIS 2.0 context, plus the CBV master-data prefix our ILMD keys use (same value as the standard's)."""
MAX_PROBLEMS = 50


class EpcisValidationError(ValueError):
    """The export broke the schema or the CBV checks; nothing was written."""

    def __init__(self, problems: list[str], total: int) -> None:
        self.problems, self.total = problems, total
        more = f"\n  ... and {total - len(problems)} more" if total > len(problems) else ""
        super().__init__(f"EPCIS export is invalid ({total} problems):\n  " + "\n  ".join(problems) + more)


@dataclass(frozen=True, slots=True)
class ExportResult:
    events: int
    skipped: list[str]
    path: Path | None


def envelope(creation_date: datetime) -> dict[str, Any]:
    """The EPCISDocument around the events (an empty eventList)."""
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": creation_date.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {"eventList": []},
    }


def export_epcis(
    store: Store,
    output: Path | None,
    filters: Filters | None = None,
    config: EpcisConfig | None = None,
    creation_date: datetime | None = None,
    schema: Path | None = None,
    on_event: Callable[[int], None] | None = None,
) -> ExportResult:
    """Export the events matching `filters` to `output` (stdout when None), validated; see the module doc.

    Raises EpcisValidationError (nothing written) or SchemaMissingError (the schema file is absent).
    """
    validator = SchemaValidator(schema)
    head = envelope(creation_date or datetime.now(UTC))
    problems = validator.document(head)
    checker = EventChecker()
    total = len(problems)
    count = 0
    with store.connect() as conn, _staged(output) as out:
        builder = EventBuilder(conn, config or EpcisConfig.from_env(), filters or Filters())
        for count, event in enumerate(_written(builder.events(), head, out), start=1):
            found = validator.event(head, event, count - 1) + checker.check(event, count - 1)
            total += len(found)
            problems.extend(found[: max(0, MAX_PROBLEMS - len(problems))])
            if on_event is not None:
                on_event(count)
        if total:
            raise EpcisValidationError(problems, total)
    return ExportResult(count, builder.skipped.lines, output)


def _written(events: Iterator[dict[str, Any]], head: Mapping[str, Any], out: IO[str]) -> Iterator[dict[str, Any]]:
    """Write the document around `events` (one event per line), passing each event on once written."""
    opening = json.dumps({k: v for k, v in head.items() if k != "epcisBody"}, ensure_ascii=False)
    out.write(opening[:-1] + ', "epcisBody": {"eventList": [')
    for n, event in enumerate(events):
        out.write(("," if n else "") + "\n" + json.dumps(event, ensure_ascii=False))
        yield event
    out.write("\n]}}\n")


@contextmanager
def _staged(output: Path | None) -> Iterator[IO[str]]:
    """A temporary file that becomes `output` (or is copied to stdout) only if the block succeeds."""
    folder = output.parent if output else None
    fd, name = tempfile.mkstemp(prefix=".epcis-", suffix=".jsonld.tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        if output is None:
            with open(name, encoding="utf-8") as done:
                shutil.copyfileobj(done, sys.stdout)
        else:
            os.replace(name, output)
    finally:
        if os.path.exists(name):
            os.unlink(name)
