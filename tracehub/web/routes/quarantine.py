"""The quarantine: list with filters and paging, one record in detail, and the steward's decisions.

Every decision goes through `steward`, which validates, changes the record and writes
the audit entry in one transaction; a refusal (`StewardError`) changes nothing and is shown on
the page with a 4xx status.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from tracehub.web.auth import PageError, RecordId, StewardAction, Viewer, store_of
from tracehub.web.jsonview import json_lines
from tracehub.web.render import flash, redirect, render

router = APIRouter(prefix="/quarantine")
PAGE_SIZE = 50
ANY = "any"
MAX_FILTER = 200
Filter = Annotated[str | None, Query(max_length=MAX_FILTER)]


def _none(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _record(store: Any, qid: int) -> dict[str, Any]:
    import steward

    try:
        return steward.get_quarantine(store, qid)
    except (LookupError, steward.StewardError) as exc:
        raise PageError(404, f"There is no quarantined record {qid}. Nothing changed.") from exc


@router.get("")
def quarantine_list(
    request: Request,
    user: Viewer,
    source: Filter = None,
    entity: Filter = None,
    rule: Filter = None,
    status: Annotated[str, Query(max_length=MAX_FILTER)] = "open",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    import steward
    from trace_store import queries

    store = store_of(request)
    filters = {"source": _none(source), "entity": _none(entity), "rule": _none(rule), "status": status}
    try:
        wanted = {**filters, "status": None if status == ANY else status}
        rows, total = steward.list_quarantine(store, **wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    except steward.StewardError as exc:
        raise PageError(400, str(exc)) from exc
    stats = queries.stats(store)
    return render(
        request,
        "quarantine_list.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        statuses=(*steward.STATUSES, ANY),
        sources=sorted({s["source"] for s in stats["sources"]}),
        entities=sorted({s["entity"] for s in stats["sources"]}),
        rules=sorted(stats["quarantine_by_rule"]),
    )


def _detail(request: Request, qid: int, status: int = 200, error: str | None = None, reason: str = "") -> Response:
    import steward

    record = _record(store_of(request), qid)
    failures = record.get("failures") or []
    return render(
        request,
        "quarantine_detail.html",
        status,
        record=record,
        payload_lines=json_lines(record.get("payload"), failures, match_values=True),
        mapped_lines=json_lines(record.get("mapped"), failures) if record.get("mapped") is not None else None,
        error=error,
        reason=reason[: steward.REASON_MAX * 2],
        reason_max=steward.REASON_MAX,
    )


@router.get("/{qid}")
def quarantine_detail(request: Request, user: Viewer, qid: RecordId) -> Response:
    return _detail(request, qid)


@router.post("/replay")
def replay_many(
    request: Request,
    user: StewardAction,
    ids: Annotated[list[str] | None, Form()] = None,
    rule: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "selected",
) -> Response:
    """Replay the ticked records (`scope=selected`) or every open record of a rule and/or source."""
    import steward

    if scope == "selected":
        try:
            chosen = [int(i) for i in ids or []]
        except ValueError as exc:
            raise PageError(400, "Record ids must be whole numbers. Nothing changed.") from exc
        if not chosen:
            raise PageError(400, "Tick at least one record to replay. Nothing changed.")
        kwargs: dict[str, Any] = {"ids": chosen}
    elif scope == "filter":
        if len(rule) > MAX_FILTER or len(source) > MAX_FILTER or not (rule.strip() or source.strip()):
            raise PageError(400, "Replay by filter needs a rule or a source (each at most 200 characters).")
        kwargs = {"rule": _none(rule), "source": _none(source)}
    else:
        raise PageError(400, "Unknown replay scope; use the buttons on the quarantine page.")
    try:
        result = steward.replay(store_of(request), **kwargs, actor=user.username)
    except steward.StewardError as exc:
        raise PageError(400, f"{exc} Nothing changed.") from exc
    flash(request, _replayed(result))
    return redirect(request.url_for("quarantine_list").path)


def _replayed(result: Any) -> str:
    return (
        f"Replayed {result.replayed} record(s) with the current mappings and rules: "
        f"{result.loaded} loaded, {result.still_failing} still failing."
    )


@router.post("/{qid}/replay")
def replay_one(request: Request, user: StewardAction, qid: RecordId) -> Response:
    import steward

    _record(store_of(request), qid)
    try:
        result = steward.replay(store_of(request), ids=[qid], actor=user.username)
    except steward.StewardError as exc:
        return _detail(request, qid, 400, error=f"{exc} Nothing changed.")
    flash(request, _replayed(result))
    return redirect(request.url_for("quarantine_detail", qid=qid).path)


def _decide(request: Request, user: Any, qid: int, reason: str, action: str) -> Response:
    import steward

    store = store_of(request)
    _record(store, qid)
    decide = steward.accept if action == "accept" else steward.reject
    try:
        decide(store, qid, reason=reason, actor=user.username)
    except steward.StewardError as exc:
        return _detail(request, qid, 400, error=f"{exc} Nothing changed.", reason=reason)
    flash(request, f"Record {qid} {action}ed by {user.username}.")
    return redirect(request.url_for("quarantine_detail", qid=qid).path)


@router.post("/{qid}/accept")
def accept(request: Request, user: StewardAction, qid: RecordId, reason: Annotated[str, Form()] = "") -> Response:
    return _decide(request, user, qid, reason, "accept")


@router.post("/{qid}/reject")
def reject(request: Request, user: StewardAction, qid: RecordId, reason: Annotated[str, Form()] = "") -> Response:
    return _decide(request, user, qid, reason, "reject")
