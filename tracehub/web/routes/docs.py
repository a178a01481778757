"""Pages over other modules' results: GX Data Docs, cross-record findings, recalls."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from tracehub.web.auth import PageError, RecordId, Viewer, store_of
from tracehub.web.render import render
from tracehub.web.tables import table

router = APIRouter()
MAX_PATH = 512
FINDING_STATUSES = ("open", "resolved", "all")


@router.get("/data-docs")
def data_docs_home(request: Request, user: Viewer) -> Response:
    folder: Path = request.app.state.data_docs
    return render(request, "data_docs.html", present=(folder / "index.html").is_file(), folder=str(folder))


@router.get("/data-docs/{path:path}")
def data_docs_file(request: Request, user: Viewer, path: str) -> Response:
    """A file of the Data Docs site; nothing outside its folder is reachable."""
    folder: Path = request.app.state.data_docs.resolve()
    missing = PageError(404, f"There is no Data Docs file {path[:200]!r}; a sync or a replay (re)builds them.")
    if len(path) > MAX_PATH or any(ord(ch) < 32 for ch in path):
        raise missing
    try:
        target = (folder / (path or "index.html")).resolve()
        if target.is_dir():
            target = target / "index.html"
        found = target.is_relative_to(folder) and target.is_file()
    except (OSError, ValueError):
        found = False
    if not found:
        raise missing
    return FileResponse(target)


@router.get("/findings")
def findings(
    request: Request,
    user: Viewer,
    status: Annotated[str, Query(max_length=20)] = "open",
    rule: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    from trace_store import findings as finding_rules

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


@router.get("/recalls")
def recalls(request: Request, user: Viewer) -> Response:
    from trace_store import recall

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
    from trace_store import recall
    from tracehub.recall_report import to_html

    try:
        report = recall.impact(store_of(request), recall_id)
    except LookupError as exc:
        raise PageError(404, f"There is no recall {recall_id}.") from exc
    return HTMLResponse(to_html(report if user.can("steward") else report.without_contacts()))
