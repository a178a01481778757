"""The overview: how the last syncs went, what sits in quarantine, and the failure rate over time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tracehub.web.auth import Viewer, store_of
from tracehub.web.charts import failure_rate_svg
from tracehub.web.render import pages_for, render

router = APIRouter()
RECENT_RUNS = 30


@router.get("/")
def overview(request: Request, user: Viewer) -> Response:
    from trace_store import queries
    from traceability.findings import open_counts

    store = store_of(request)
    with store.connect() as conn:
        stats = queries.stats(conn)
        runs = queries.runs(conn)
    return render(
        request,
        "overview.html",
        stats=stats,
        recent=list(reversed(runs[-RECENT_RUNS:])),
        run_count=len(runs),
        chart=failure_rate_svg(runs, pages_for(request).env),
        finding_counts=open_counts(store),
    )
