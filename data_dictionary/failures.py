"""One broken rule on one record: what a data steward reads in the quarantine."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]


class RuleFailure(BaseModel):
    """A rule a record broke, named so a steward can find and fix it.

    `field` is a path into the canonical record (`currency`, `lines[2].gtin`) or, for mapping
    failures, into the raw payload (`line_items[0].quantity`).
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    field: str
    value: Any = None
    severity: Severity = "error"
    message: str
