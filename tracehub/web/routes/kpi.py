"""Key figures for quality staff: on-time shipping, returns, reconciliation differences, quarantine
rate and age, recall drill times (traceability/kpi.py computes them)."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tracehub.web.auth import Viewer, store_of
from tracehub.web.render import render

router = APIRouter()
SLA_VARIABLE = "TRACEHUB_SLA_DAYS"


def sla_days() -> float:
    """The shipping SLA for the on-time rate: TRACEHUB_SLA_DAYS days, else traceability.kpi's default."""
    from traceability.kpi import DEFAULT_SLA_DAYS

    text = os.environ.get(SLA_VARIABLE, "").strip()
    if not text:
        return DEFAULT_SLA_DAYS
    try:
        days = float(text)
    except ValueError:
        days = 0.0
    if not 0 < days < 3650:
        raise ValueError(f"{SLA_VARIABLE}={text!r} must be a positive number of days, e.g. 2 or 1.5")
    return days


@router.get("/kpi")
def kpi_page(request: Request, user: Viewer) -> Response:
    from trace_store.queries import device_names
    from traceability.kpi import kpis

    with store_of(request).connect() as conn:
        figures = kpis(conn, sla_days())
        names = device_names(conn, (d.gtin for d in figures.drills))
    return render(request, "kpi.html", k=figures, names=names, sla_variable=SLA_VARIABLE)
