"""Recalls: the list of recorded recalls and each one's impact report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tracehub.web.auth import PageError, RecordId, Viewer, store_of
from tracehub.web.render import render
from tracehub.web.tables import table

router = APIRouter()


@router.get("/recalls")
def recalls(request: Request, user: Viewer) -> Response:
    from traceability import recall

    listing = [
        {
            "recall": r.recall_id,
            "status": r.status,
            "created": r.created_at,
            "by": r.created_by,
            "reason": r.reason,
            "items": [i.label for i in r.items],
        }
        for r in recall.list_recalls(store_of(request))
    ]
    return render(request, "recalls.html", listing=table(listing), ids=[row["recall"] for row in listing])


@router.get("/recalls/{recall_id}")
def recall_report(request: Request, user: Viewer, recall_id: RecordId) -> Response:
    """The recall's impact report: the same self-contained page `tracehub recall show --format html` writes.

    Consignees' contact persons, emails and phones are personal data: stewards and admins see them.
    """
    from traceability import recall
    from tracehub.recall_report import to_html

    try:
        report = recall.impact(store_of(request), recall_id)
    except LookupError as exc:
        raise PageError(404, f"There is no recall {recall_id}.") from exc
    return HTMLResponse(to_html(report if user.can("steward") else report.without_contacts()))
