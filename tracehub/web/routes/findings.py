"""Cross-record findings: what the finding rules found across records, read as sentences, and a
steward's acknowledgement or resolution of one, each with a note (audited)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from tracehub.web import i18n
from tracehub.web.auth import PageError, RecordId, StewardAction, Viewer, store_of
from tracehub.web.render import flash, redirect, render

router = APIRouter()
Filter = Annotated[str, Query(max_length=100)]


def _gtins(rows: list[dict[str, Any]]) -> set[str]:
    """GTINs a finding names: its `gtin`, or the `item` of an order line (a GTIN, else a SKU)."""
    return {row["details"].get(name) for row in rows for name in ("gtin", "item")} - {None}


@router.get("/findings")
def findings(
    request: Request, user: Viewer, status: Filter = "open", rule: Filter = "", severity: Filter = ""
) -> Response:
    from trace_store import queries
    from traceability import findings as finding_rules

    store = store_of(request)
    try:
        rows = finding_rules.list_findings(store, status=status, rule=rule or None, severity=severity or None)
    except LookupError as exc:
        raise PageError(400, str(exc)) from exc
    return render(
        request,
        "findings.html",
        rows=rows,
        names=queries.device_names(store, _gtins(rows)),
        filters={"status": status, "rule": rule, "severity": severity},
        statuses=finding_rules.FINDING_STATUSES,
        severities=finding_rules.SEVERITIES,
        rules=finding_rules.RULES,
    )


def _detail(request: Request, finding_id: int, status: int = 200, error: str | None = None, note: str = "") -> Response:
    import steward
    from trace_store import queries
    from traceability import findings as finding_rules

    store = store_of(request)
    try:
        row = finding_rules.get_finding(store, finding_id)
    except LookupError as exc:
        message = i18n.gettext(request, "There is no finding %(id)s.") % {"id": finding_id}
        raise PageError(404, message) from exc
    return render(
        request,
        "finding_detail.html",
        status,
        f=row,
        names=queries.device_names(store, _gtins([row])),
        error=error,
        note=note[: steward.REASON_MAX * 2],
        note_max=steward.REASON_MAX,
    )


@router.get("/findings/{finding_id}")
def finding_detail(request: Request, user: Viewer, finding_id: RecordId) -> Response:
    return _detail(request, finding_id)


def _act(request: Request, user: Any, finding_id: int, note: str, action: str) -> Response:
    import steward
    from traceability import findings as finding_rules

    _detail(request, finding_id)  # 404 for an unknown finding, before anything else
    act = finding_rules.acknowledge if action == "acknowledge" else finding_rules.resolve
    try:
        act(store_of(request), finding_id, steward.validate_reason(note), user.username)
    except (steward.StewardError, finding_rules.FindingActionError) as exc:
        message = i18n.gettext(request, "%(problem)s. Nothing changed.") % {"problem": exc}
        return _detail(request, finding_id, 400, error=message, note=note)
    done = (
        i18n.gettext(request, "Finding %(id)s acknowledged by %(user)s.")
        if action == "acknowledge"
        else i18n.gettext(request, "Finding %(id)s resolved by %(user)s.")
    )
    flash(request, done % {"id": finding_id, "user": user.username})
    return redirect(request.url_for("finding_detail", finding_id=finding_id).path)


@router.post("/findings/{finding_id}/acknowledge")
def acknowledge(
    request: Request, user: StewardAction, finding_id: RecordId, note: Annotated[str, Form()] = ""
) -> Response:
    return _act(request, user, finding_id, note, "acknowledge")


@router.post("/findings/{finding_id}/resolve")
def resolve(request: Request, user: StewardAction, finding_id: RecordId, note: Annotated[str, Form()] = "") -> Response:
    return _act(request, user, finding_id, note, "resolve")
