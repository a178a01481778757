"""The console's pages, one module per area; every route declares the role it needs."""

from __future__ import annotations

from tracehub.web.routes import audit, data_docs, findings, kpi, overview, quarantine, recalls, session, trace, users

ROUTERS = [
    session.router,
    overview.router,
    quarantine.router,
    trace.router,
    audit.router,
    data_docs.router,
    findings.router,
    recalls.router,
    users.router,
    kpi.router,
]
