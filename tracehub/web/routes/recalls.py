"""Recalls: the list, a new recall (form, impact preview, confirmation), one recall, closing it, its reports.

A new recall is previewed before it is recorded: the preview is `traceability.recall.preview`,
the same impact a recorded recall and `tracehub recall create` report. A lot or serial already
under an open recall is named on the preview, and recording it anyway needs the steward to tick
an explicit confirmation (the store refuses otherwise). Reasons are checked like every steward's
reason (`steward.validate_reason`). Consignees' contact persons, emails and phones are personal
data: stewards and admins see them, viewers get the reports without them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from tracehub.web import i18n
from tracehub.web.auth import PageError, RecordId, Steward, StewardAction, User, Viewer, store_of
from tracehub.web.render import flash, redirect, render

router = APIRouter()
MAX_LOTS = 200
MAX_FIELD = 100
GTIN = re.compile(r"\d{14}")


def _report(request: Request, user: User, recall_id: int) -> Any:
    from traceability import recall

    try:
        report = recall.impact(store_of(request), recall_id)
    except LookupError as exc:
        message = i18n.gettext(request, "There is no recall %(id)s.") % {"id": recall_id}
        raise PageError(404, message) from exc
    return report if user.can("steward") else report.without_contacts()


def _names(request: Request, report: Any) -> dict[str, Any]:
    from trace_store.queries import device_names
    from tracehub.recall_report import report_gtins

    return device_names(store_of(request), report_gtins(report))


@router.get("/recalls")
def recalls(request: Request, user: Viewer) -> Response:
    from trace_store.queries import device_names
    from traceability import recall

    listing = recall.list_recalls(store_of(request))
    names = device_names(store_of(request), {i.gtin for r in listing for i in r.items})
    return render(request, "recalls.html", recalls=listing, names=names)


@router.get("/recalls/new")
def new_recall(request: Request, user: Steward) -> Response:
    return render(request, "recall_new.html", form={"gtin": "", "lots": "", "reason": ""})


def _form(request: Request, gtin: str, lots: str, reason: str) -> tuple[str, list[str], str]:
    """The typed GTIN, lots (one per line or comma-separated) and reason, checked; PageError 400 otherwise."""
    import steward

    gtin = gtin.strip()
    if not GTIN.fullmatch(gtin):
        raise PageError(400, i18n.gettext(request, "A GTIN is 14 digits. Nothing was recorded."))
    names = list(dict.fromkeys(x.strip() for x in re.split(r"[,\n]", lots) if x.strip()))
    if not names or len(names) > MAX_LOTS or any(len(x) > MAX_FIELD for x in names):
        message = i18n.gettext(request, "Name between 1 and %(max)s lots, each at most 100 characters.")
        raise PageError(400, message % {"max": MAX_LOTS} + " " + i18n.gettext(request, "Nothing was recorded."))
    try:
        reason = steward.validate_reason(reason)
    except steward.StewardError as exc:
        raise PageError(400, i18n.gettext(request, "The reason was refused:") + f" {exc}") from exc
    return gtin, names, reason


def _preview(
    request: Request, gtin: str, lots: list[str], reason: str, status: int = 200, error: str | None = None
) -> Response:
    from traceability import recall

    store = store_of(request)
    try:
        report = recall.preview(store, gtin, lots, reason=reason)
    except recall.RecallError as exc:
        return render(
            request,
            "recall_new.html",
            400,
            form={"gtin": gtin, "lots": ", ".join(lots), "reason": reason},
            error=i18n.gettext(request, "Nothing was recorded:") + f" {exc}",
        )
    already = recall.open_recalls_of(store, report.recall.items)
    return render(
        request,
        "recall_preview.html",
        status,
        error=error,
        report=report,
        shipments=len({d.shipment_id for c in report.consignees for d in c.deliveries}),
        already=already,
        names=_names(request, report),
        form={"gtin": gtin, "lots": ", ".join(lots), "reason": reason},
    )


@router.post("/recalls/preview")
def preview_recall(
    request: Request,
    user: StewardAction,
    gtin: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    lots: Annotated[str, Form(max_length=MAX_LOTS * (MAX_FIELD + 2))] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The impact the recall would have; nothing is written."""
    try:
        checked = _form(request, gtin, lots, reason)
    except PageError as exc:
        return _again(request, exc, gtin, lots, reason)
    return _preview(request, *checked)


def _again(request: Request, refusal: PageError, gtin: str, lots: str, reason: str) -> Response:
    """The form again, as typed, with what was refused."""
    form = {"gtin": gtin, "lots": lots, "reason": reason}
    return render(request, "recall_new.html", refusal.status, form=form, error=refusal.message)


@router.post("/recalls")
def create_recall(
    request: Request,
    user: StewardAction,
    gtin: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    lots: Annotated[str, Form(max_length=MAX_LOTS * (MAX_FIELD + 2))] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirm_duplicate: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record the previewed recall (audited); an item under an open recall needs the confirmation ticked."""
    from traceability import recall

    try:
        gtin, names, reason = _form(request, gtin, lots, reason)
    except PageError as exc:
        return _again(request, exc, gtin, lots, reason)
    try:
        recall_id = recall.create_recall(
            store_of(request),
            gtin,
            names,
            reason=reason,
            actor=user.username,
            allow_duplicate=confirm_duplicate == "yes",
        )
    except recall.DuplicateRecall:
        message = i18n.gettext(
            request, "Some lots are already under an open recall: tick the confirmation to record another one."
        )
        return _preview(request, gtin, names, reason, 409, message)
    except recall.RecallError as exc:
        return _preview(request, gtin, names, reason, 400, i18n.gettext(request, "Nothing was recorded:") + f" {exc}")
    flash(request, i18n.gettext(request, "Recall %(id)s recorded.") % {"id": recall_id})
    return redirect(request.url_for("recall_detail", recall_id=recall_id).path)


@router.get("/recalls/{recall_id}")
def recall_detail(request: Request, user: Viewer, recall_id: RecordId) -> Response:
    report = _report(request, user, recall_id)
    return render(
        request,
        "recall_detail.html",
        report=report,
        shipments=len({d.shipment_id for c in report.consignees for d in c.deliveries}),
        names=_names(request, report),
    )


@router.post("/recalls/{recall_id}/close")
def close_recall(
    request: Request, user: StewardAction, recall_id: RecordId, reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """Close an open recall with the reason it ended (audited)."""
    import steward
    from traceability import recall

    _report(request, user, recall_id)
    try:
        recall.close_recall(store_of(request), recall_id, steward.validate_reason(reason), user.username)
    except (steward.StewardError, recall.RecallError) as exc:
        raise PageError(400, i18n.gettext(request, "The recall was not closed:") + f" {exc}") from exc
    flash(request, i18n.gettext(request, "Recall %(id)s closed.") % {"id": recall_id})
    return redirect(request.url_for("recall_detail", recall_id=recall_id).path)


@router.get("/recalls/{recall_id}/report.html")
def recall_report(request: Request, user: Viewer, recall_id: RecordId) -> Response:
    """The self-contained impact report `tracehub recall show --format html` writes, in the reader's language."""
    from tracehub.recall_report import to_html

    report = _report(request, user, recall_id)
    page = to_html(report, i18n.language_of(request), _names(request, report))
    return HTMLResponse(page, headers={"Content-Disposition": f'inline; filename="recall-{recall_id}.html"'})


@router.get("/recalls/{recall_id}/consignees.csv")
def recall_csv(request: Request, user: Viewer, recall_id: RecordId) -> Response:
    """The consignee list for a spreadsheet: UTF-8 with BOM, headers in the reader's language."""
    from tracehub.recall_report import to_consignee_csv

    report = _report(request, user, recall_id)
    text = to_consignee_csv(report, i18n.language_of(request), _names(request, report))
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="recall-{recall_id}-consignees.csv"'},
    )
