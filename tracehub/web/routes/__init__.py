"""The console's pages, one module per area; every route declares the role it needs."""

from __future__ import annotations

from tracehub.web.routes import audit, docs, overview, quarantine, session, trace, users

ROUTERS = [session.router, overview.router, quarantine.router, trace.router, audit.router, docs.router, users.router]
