"""Cross-record findings: what the finding rules found across records, open or resolved."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tracehub.web.auth import PageError, Viewer, store_of
from tracehub.web.render import render

router = APIRouter()
FINDING_STATUSES = ("open", "resolved", "all")


@router.get("/findings")
def findings(
    request: Request,
    user: Viewer,
    status: Annotated[str, Query(max_length=20)] = "open",
    rule: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    from traceability import findings as finding_rules

    try:
        rows = finding_rules.list_findings(store_of(request), status=status, rule=rule or None)
    except LookupError as exc:
        raise PageError(400, str(exc)) from exc
    return render(
        request,
        "findings.html",
        rows=rows,
        wanted=status,
        rule=rule,
        statuses=FINDING_STATUSES,
        rules=finding_rules.RULES,
    )
