"""Load the expectation suites kept in git (`suites/<entity>.yaml`) as plain data.

A suite file lists rules; each rule is one GX expectation plus what a steward needs to see when
it fails: the rule id, the field it is about, a severity and a message. Rules run on a frame:
`header` (one row per record) or the name of the record's line tuple (`lines`, `inputs`). This
module stays free of GX so that suites can be read and listed without importing it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

SUITES_DIR = Path(__file__).parent / "suites"
HEADER = "header"
PARAMETER_KEY = "$PARAMETER"


@dataclass(frozen=True)
class RuleSpec:
    """One rule: a GX expectation (`expectation` + `kwargs`) and how to report its failures."""

    rule: str
    frame: str
    field: str
    expectation: str
    kwargs: Mapping[str, Any]
    message: str
    severity: Literal["error", "warning"] = "error"


@dataclass(frozen=True)
class SuiteSpec:
    """All rules of one canonical entity, and the header fields its line rules compare against."""

    entity: str
    rules: tuple[RuleSpec, ...]
    line_context: Mapping[str, str] = field(default_factory=dict)

    def frames(self) -> list[str]:
        """Frames the rules run on, in order of first use."""
        return list(dict.fromkeys(r.frame for r in self.rules))

    def rules_for(self, frame: str) -> list[RuleSpec]:
        return [r for r in self.rules if r.frame == frame]

    def columns_for(self, frame: str) -> list[str]:
        """Record (or line) fields the rules on `frame` read, in first-use order."""
        names: dict[str, None] = {}
        for rule in self.rules_for(frame):
            names.update(dict.fromkeys(_column_names(rule.kwargs)))
        return list(names)

    def parameters(self) -> set[str]:
        """Names of run-time expectation parameters (`{$PARAMETER: name}`) the suite uses."""
        return {name for rule in self.rules for name in _parameter_names(rule.kwargs)}


def _column_names(value: Any) -> Iterator[str]:
    """Column names referenced by expectation kwargs, including those inside row conditions."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in ("column", "column_A", "column_B") and isinstance(item, str):
                yield item
            elif key == "column_list":
                yield from item
            elif key == "column" and isinstance(item, Mapping):
                yield item["name"]
            else:
                yield from _column_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _column_names(item)


def _parameter_names(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        if PARAMETER_KEY in value:
            yield value[PARAMETER_KEY]
        for item in value.values():
            yield from _parameter_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _parameter_names(item)


@cache
def load_suite(entity: str) -> SuiteSpec:
    """Read `suites/<entity>.yaml`; raise ValueError naming the known entities if there is none."""
    path = SUITES_DIR / f"{entity}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in SUITES_DIR.glob("*.yaml")))
        raise ValueError(f"no quality suite for entity {entity!r} (known: {known}); add {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rules = tuple(RuleSpec(**rule) for rule in data.get("rules") or ())
    return SuiteSpec(entity=entity, rules=rules, line_context=data.get("line_context") or {})
