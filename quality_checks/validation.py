"""Validate a batch of canonical records of one entity against its suite.

Kept free of module-level GX and pandas imports: DAG files import `quality_checks` at parse
time, and GX alone takes seconds to import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from data_dictionary.failures import RuleFailure
from data_dictionary.models import ENTITY_MODELS, Record
from quality_checks.suite_specs import HEADER, SuiteSpec, load_suite

if TYPE_CHECKING:
    from quality_checks.gx_run import Columns, Outcome


def _iso4217_codes() -> list[str]:
    from data_dictionary.dictionary import iso4217_codes

    return sorted(iso4217_codes())


PARAMETER_SOURCES: dict[str, Callable[[], Any]] = {"iso4217_codes": _iso4217_codes}
"""Run-time expectation parameters (`{$PARAMETER: name}` in suites) and where their values come from."""


def _check_records(entity: str, records: Sequence[Record]) -> None:
    model = ENTITY_MODELS.get(entity)
    if model is None:
        raise ValueError(f"unknown entity {entity!r}; expected one of {', '.join(ENTITY_MODELS)}")
    for index, record in enumerate(records):
        if not isinstance(record, model):
            found, wanted = type(record).__name__, model.__name__
            raise TypeError(f"records[{index}] is a {found}, not a {wanted}: validate one entity per call")


def _frames(spec: SuiteSpec, records: Sequence[Record]) -> dict[str, Columns]:
    from quality_checks.frames import RID, header_frame, line_frame

    frames = {}
    for frame in spec.frames():
        columns = spec.columns_for(frame)
        if frame == HEADER:
            data = header_frame(records, columns)
        else:
            data = line_frame(records, frame, columns, spec.line_context)
        if data[RID]:
            frames[frame] = data
    return frames


@dataclass(frozen=True, slots=True)
class PendingValidation:
    """A batch sent to the GX worker; `failures()` waits for its outcome."""

    spec: SuiteSpec
    records: Sequence[Record]
    outcomes: Future[dict[str, list[Outcome]]] | None
    """None: nothing to run (no records, no rules, or no rows in any frame)."""

    def failures(self) -> dict[int, list[RuleFailure]]:
        """For each failing record's index in `records`, every rule it broke; passing records are absent."""
        if self.outcomes is None:
            return {}
        from quality_checks.rule_failures import collect_failures

        return collect_failures(self.spec, self.records, self.outcomes.result())


def start_validation(entity: str, records: Sequence[Record]) -> PendingValidation:
    """Send `records` (all of `entity`) to be checked against the entity's suite, and return at once.

    The frames are built here; GX runs in its worker (`gx_run`), beside whatever the caller does next.
    """
    _check_records(entity, records)
    spec = load_suite(entity)
    frames = _frames(spec, records) if records and spec.rules else {}
    if not frames:
        return PendingValidation(spec, records, None)
    from quality_checks.gx_run import submit_frames

    parameters = {name: PARAMETER_SOURCES[name]() for name in spec.parameters()}
    return PendingValidation(spec, records, submit_frames(spec, frames, parameters))


def validate(entity: str, records: Sequence[Record]) -> dict[int, list[RuleFailure]]:
    """Check `records` (all of `entity`) against the entity's suite with GX.

    Returns, for each failing record's index in `records`, every rule it broke; records that
    pass are absent, so a clean batch gives {}.
    """
    return start_validation(entity, records).failures()
