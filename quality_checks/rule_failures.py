"""Turn GX's outcomes into RuleFailures: every broken rule, per record, in steward's words.

Each failing row GX reports carries `_rid` (and `_line`), which give the record and the field
path (`currency`, `lines[2].gtin`). The reported value is read from the canonical record, not
from the frame, so a Decimal stays exact; it is made JSON-friendly (dates and Decimals as str).
A record's failures are ordered header first, then by line, then in suite order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from data_dictionary.failures import RuleFailure
from data_dictionary.jsonable import json_scalar
from data_dictionary.models import Record
from quality_checks.frames import LINE, RID
from quality_checks.suite_specs import HEADER, RuleSpec, SuiteSpec

if TYPE_CHECKING:
    from quality_checks.gx_run import Outcome


class QualityCheckError(RuntimeError):
    """A rule could not be evaluated (GX raised); the batch must not pass as clean."""


def _message(rule: RuleSpec, row: dict[str, Any], subject: Any, value: Any) -> str:
    context = {key: json_scalar(item) for key, item in row.items()}
    context["value"] = value
    if "{udi_mismatch}" in rule.message:
        from quality_checks.udi_agreement import udi_mismatches

        columns = rule.kwargs["column_list"]
        context["udi_mismatch"] = "; ".join(udi_mismatches(*(getattr(subject, c) for c in columns)))
    return rule.message.format_map(context)


def collect_failures(
    spec: SuiteSpec, records: Sequence[Record], outcomes: dict[str, list[Outcome]]
) -> dict[int, list[RuleFailure]]:
    """Map each failing record's index to every rule it broke; passing records are absent."""
    found: dict[int, list[tuple[tuple[int, int], RuleFailure]]] = {}
    for frame, frame_outcomes in outcomes.items():
        for position, error, rows in frame_outcomes:
            rule = spec.rules[position]
            if error is not None:
                raise QualityCheckError(
                    f"rule {rule.rule!r} on {spec.entity} {frame} could not be evaluated: {error}; "
                    f"check the suite quality_checks/suites/{spec.entity}.yaml"
                )
            for row in rows:
                rid = int(row[RID])
                subject: Any = records[rid]
                path, line = rule.field, -1
                if frame != HEADER:
                    line = int(row[LINE])
                    subject = getattr(subject, frame)[line]
                    path = f"{frame}[{line}].{rule.field}"
                value = json_scalar(getattr(subject, rule.field))
                failure = RuleFailure(
                    rule=rule.rule,
                    field=path,
                    value=value,
                    severity=rule.severity,
                    message=_message(rule, row, subject, value),
                )
                found.setdefault(rid, []).append(((line, position), failure))
    return {rid: [failure for _, failure in sorted(found[rid], key=_position)] for rid in sorted(found)}


def _position(item: tuple[tuple[int, int], RuleFailure]) -> tuple[int, int]:
    return item[0]
