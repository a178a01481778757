"""Every rule a record can break has a title in both languages, shown beside its code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mappings.interpret import RULE as MAPPING_RULE
from tracehub.web.render import PAGES

SUITES = Path(__file__).resolve().parent.parent / "quality_checks" / "suites"
OUTSIDE_SUITES = {MAPPING_RULE, "schema_drift", "correction_type", "correction_field"}
"""Rules raised by the mapping, the drift check and the correction form rather than by a GX suite."""


def every_rule() -> set[str]:
    found = set(OUTSIDE_SUITES)
    for suite in SUITES.glob("*.yaml"):
        found |= {r["rule"] for r in yaml.safe_load(suite.read_text())["rules"]}
    return found


def title(language: str, rule: str) -> str:
    template = PAGES[language].env.from_string('{% from "_rules.html" import rule_title %}{{ rule_title(rule) }}')
    return template.render(rule=rule).strip()


@pytest.mark.parametrize("rule", sorted(every_rule()))
def test_every_rule_has_a_title_in_both_languages(rule: str) -> None:
    english, chinese = title("en", rule), title("zh", rule)
    assert english and chinese and english != chinese, rule
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese), chinese


def test_an_unknown_rule_shows_its_code_alone() -> None:
    assert title("zh", "<script>x</script>") == ""
