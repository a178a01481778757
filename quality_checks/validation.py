"""Validate a batch of canonical records of one entity against its suite.

Kept free of module-level GX and pandas imports: DAG files import `quality_checks` at parse
time, and GX alone takes seconds to import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from data_dictionary.failures import RuleFailure
from data_dictionary.models import ENTITY_MODELS, Record
from quality_checks.suite_specs import HEADER, SuiteSpec, load_suite


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


def _frames(spec: SuiteSpec, records: Sequence[Record]) -> dict[str, Any]:
    from quality_checks.frames import header_frame, line_frame

    frames = {}
    for frame in spec.frames():
        columns = spec.columns_for(frame)
        if frame == HEADER:
            df = header_frame(records, columns)
        else:
            df = line_frame(records, frame, columns, spec.line_context)
        if len(df):
            frames[frame] = df
    return frames


def validate(entity: str, records: Sequence[Record]) -> dict[int, list[RuleFailure]]:
    """Check `records` (all of `entity`) against the entity's suite with GX.

    Returns, for each failing record's index in `records`, every rule it broke; records that
    pass are absent, so a clean batch gives {}.
    """
    _check_records(entity, records)
    spec = load_suite(entity)
    if not records or not spec.rules:
        return {}
    frames = _frames(spec, records)
    if not frames:
        return {}
    from quality_checks.gx_run import run_frames
    from quality_checks.rule_failures import collect_failures

    parameters = {name: PARAMETER_SOURCES[name]() for name in spec.parameters()}
    return collect_failures(spec, records, run_frames(spec, frames, parameters))
