"""The quarantine: list with filters and paging, one record in detail, and the steward's decisions.

Every decision goes through `steward`, which validates, changes the record and writes
the audit entry in one transaction; a refusal (`StewardError`) changes nothing and is shown on
the page with a 4xx status.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from tracehub.web import i18n
from tracehub.web.auth import PageError, RecordId, Steward, StewardAction, Viewer, store_of
from tracehub.web.jsonview import json_lines
from tracehub.web.render import flash, redirect, render

router = APIRouter(prefix="/quarantine")
PAGE_SIZE = 50
ANY = "any"
MAX_FILTER = 200
Filter = Annotated[str | None, Query(max_length=MAX_FILTER)]
BULK_ACTIONS = ("accept", "reject", "replay")
FIELD_PREFIX = "field:"
"""Correction inputs are named `field:<path>` (`field:currency`, `field:lines[0].qty`)."""
MAX_FORM_FIELDS = 2000
MAX_VALUE = 500


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
    groups = steward.quarantine_groups(
        store, source=filters["source"], entity=filters["entity"], status=wanted["status"]
    )
    return render(
        request,
        "quarantine_list.html",
        rows=rows,
        groups=groups,
        bulk_max=steward.BULK_MAX,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        filters=filters,
        statuses=(*steward.STATUSES, ANY),
        sources=sorted({s["source"] for s in stats["sources"]}),
        entities=sorted({s["entity"] for s in stats["sources"]}),
        rules=sorted(stats["quarantine_by_rule"]),
    )


def _detail(
    request: Request,
    qid: int,
    status: int = 200,
    error: str | None = None,
    reason: str = "",
    typed: dict[str, str] | None = None,
    correction_failures: list[Any] | None = None,
) -> Response:
    import steward
    from trace_store import queries

    store = store_of(request)
    record = _record(store, qid)
    failures = record.get("failures") or []
    form = steward.correction_form(record) if record["status"] == "open" else []
    for f in form:
        if typed and f.path in typed:
            f.value = typed[f.path][:MAX_VALUE]
    traces = _traces(record.get("mapped") or [])
    return render(
        request,
        "quarantine_detail.html",
        status,
        record=record,
        form=form,
        correction_failures=correction_failures or [],
        traces=traces,
        names=queries.device_names(store, sorted({gtin for gtin, _ in traces})),
        payload_lines=json_lines(record.get("payload"), failures, match_values=True),
        mapped_lines=json_lines(record.get("mapped"), failures) if record.get("mapped") is not None else None,
        error=error,
        reason=reason[: steward.REASON_MAX * 2],
        reason_max=steward.REASON_MAX,
    )


def _traces(mapped: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(gtin, lot) pairs the record names, on its header or its lines: where its trace can be opened."""
    found: list[tuple[str, str]] = []
    for doc in mapped:
        for part in [doc, *(doc.get("lines") or [])]:
            gtin, lot = part.get("gtin") or part.get("output_gtin"), part.get("lot") or part.get("output_lot")
            if isinstance(gtin, str) and isinstance(lot, str) and gtin and lot and (gtin, lot) not in found:
                found.append((gtin, lot))
    return found[:20]


def _bulk_filter(source: str, entity: str, rule: str) -> dict[str, str | None]:
    if max(len(source), len(entity), len(rule)) > MAX_FILTER:
        raise PageError(400, "A filter is at most 200 characters. Nothing changed.")
    return {"source": _none(source), "entity": _none(entity), "rule": _none(rule)}


@router.get("/bulk")
def bulk_confirm(
    request: Request,
    user: Steward,
    action: Annotated[str, Query(max_length=20)] = "",
    source: Filter = None,
    entity: Filter = None,
    rule: Filter = None,
) -> Response:
    """How many open records a bulk action on this filter would decide, before the steward confirms."""
    import steward

    if action not in BULK_ACTIONS:
        raise PageError(400, "Unknown bulk action; use the buttons on the quarantine page.")
    chosen = _bulk_filter(source or "", entity or "", rule or "")
    if not any(chosen.values()):
        raise PageError(400, "A bulk action needs a filter: a rule, a source or an entity.")
    ids = steward.matching_open(store_of(request), **chosen)
    return render(
        request,
        "quarantine_bulk.html",
        action=action,
        filters=chosen,
        count=len(ids),
        too_many=len(ids) > steward.BULK_MAX,
        bulk_max=steward.BULK_MAX,
        reason_max=steward.REASON_MAX,
    )


@router.post("/bulk")
def bulk_decide(
    request: Request,
    user: StewardAction,
    action: Annotated[str, Form()] = "",
    expected: Annotated[int, Form(ge=0, le=1_000_000)] = 0,
    source: Annotated[str, Form()] = "",
    entity: Annotated[str, Form()] = "",
    rule: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Decide every open record of the filter, as confirmed; each record is audited on its own."""
    import steward

    if action not in BULK_ACTIONS:
        raise PageError(400, "Unknown bulk action; use the buttons on the quarantine page.")
    chosen = _bulk_filter(source, entity, rule)
    try:
        result = steward.bulk_decide(
            store_of(request), action, expected=expected, **chosen, reason=reason, actor=user.username
        )
    except steward.StewardError as exc:
        raise PageError(400, f"{exc} Nothing changed.") from exc
    message = {
        "accept": i18n.gettext(request, "%(count)s record(s) accepted and loaded."),
        "reject": i18n.gettext(request, "%(count)s record(s) rejected."),
        "replay": i18n.gettext(request, "%(count)s record(s) replayed: %(loaded)s loaded, %(failing)s still failing."),
    }[action]
    flash(request, message % {"count": len(result.ids), "loaded": result.loaded, "failing": result.still_failing})
    return redirect(request.url_for("quarantine_list").path)


@router.get("/{qid}")
def quarantine_detail(request: Request, user: Viewer, qid: RecordId) -> Response:
    return _detail(request, qid)


@router.post("/replay")
def replay_many(request: Request, user: StewardAction, ids: Annotated[list[str] | None, Form()] = None) -> Response:
    """Replay the ticked records; a whole filter is replayed through the confirmed bulk action."""
    import steward

    try:
        chosen = [int(i) for i in ids or []]
    except ValueError as exc:
        raise PageError(400, "Record ids must be whole numbers. Nothing changed.") from exc
    if not chosen:
        raise PageError(400, "Tick at least one record to replay. Nothing changed.")
    try:
        result = steward.replay(store_of(request), ids=chosen, actor=user.username)
    except steward.StewardError as exc:
        raise PageError(400, f"{exc} Nothing changed.") from exc
    flash(request, _replayed(request, result))
    return redirect(request.url_for("quarantine_list").path)


def _replayed(request: Request, result: Any) -> str:
    text = i18n.gettext(
        request,
        "Replayed %(count)s record(s) with the current mappings and rules: "
        "%(loaded)s loaded, %(failing)s still failing.",
    )
    return text % {"count": result.replayed, "loaded": result.loaded, "failing": result.still_failing}


@router.post("/{qid}/replay")
def replay_one(request: Request, user: StewardAction, qid: RecordId) -> Response:
    import steward

    _record(store_of(request), qid)
    try:
        result = steward.replay(store_of(request), ids=[qid], actor=user.username)
    except steward.StewardError as exc:
        return _detail(request, qid, 400, error=f"{exc} Nothing changed.")
    flash(request, _replayed(request, result))
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
    if action == "accept":
        text = i18n.gettext(request, "Record %(id)s accepted by %(user)s.")
    else:
        text = i18n.gettext(request, "Record %(id)s rejected by %(user)s.")
    flash(request, text % {"id": qid, "user": user.username})
    return redirect(request.url_for("quarantine_detail", qid=qid).path)


@router.post("/{qid}/accept")
def accept(request: Request, user: StewardAction, qid: RecordId, reason: Annotated[str, Form()] = "") -> Response:
    return _decide(request, user, qid, reason, "accept")


@router.post("/{qid}/reject")
def reject(request: Request, user: StewardAction, qid: RecordId, reason: Annotated[str, Form()] = "") -> Response:
    return _decide(request, user, qid, reason, "reject")


@router.post("/{qid}/correct")
async def correct(request: Request, user: StewardAction, qid: RecordId) -> Response:
    """Correct the fields the form changed (inputs named `field:<path>`), re-validated before loading."""
    import steward

    form = await request.form()
    reason = str(form.get("reason") or "")
    typed = {
        key[len(FIELD_PREFIX) :]: str(value)
        for key, value in form.multi_items()
        if key.startswith(FIELD_PREFIX) and isinstance(value, str)
    }
    if len(typed) > MAX_FORM_FIELDS or any(len(v) > MAX_VALUE for v in typed.values()):
        raise PageError(400, "The correction form is too large. Nothing changed.")
    store = store_of(request)
    record = _record(store, qid)
    current = {f.path: f.value for f in steward.correction_form(record)}
    changes = {path: value for path, value in typed.items() if current.get(path, value + "?") != value}
    try:
        steward.correct(store, qid, changes, reason=reason, actor=user.username)
    except steward.CorrectionFailed as exc:
        error = i18n.gettext(request, "The corrected record still breaks these rules, so nothing was loaded.")
        return _detail(request, qid, 400, error=error, reason=reason, typed=typed, correction_failures=exc.failures)
    except steward.StewardError as exc:
        return _detail(request, qid, 400, error=f"{exc} Nothing changed.", reason=reason, typed=typed)
    flash(request, i18n.gettext(request, "Record %(id)s corrected and loaded.") % {"id": qid})
    return redirect(request.url_for("quarantine_detail", qid=qid).path)
