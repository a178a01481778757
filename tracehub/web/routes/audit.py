"""The audit log: who decided what and when, filterable, with a check of the hash chain on request.

Entries about console accounts (users added, disabled, role and password changes, sign-in
lockouts) are for admins only: who may sign in, and when they failed to, is not a viewer's business.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from tracehub.web.auth import Viewer, store_of
from tracehub.web.render import render

router = APIRouter()
MAX_FILTER = 200
Filter = Annotated[str, Query(max_length=MAX_FILTER)]
LIMIT = 200
ACCOUNT_ENTITIES = ("user", "login")


@router.get("/audit")
def audit_log(
    request: Request, user: Viewer, entity: Filter = "", key: Filter = "", actor: Filter = "", verify: bool = False
) -> Response:
    import steward

    store = store_of(request)
    filters = {"entity": entity.strip(), "key": key.strip(), "actor": actor.strip()}
    hidden = () if user.can("admin") else ACCOUNT_ENTITIES
    entries = steward.audit_entries(store, **{k: v or None for k, v in filters.items()}, limit=LIMIT, hidden=hidden)
    return render(
        request,
        "audit.html",
        entries=entries,
        filters=filters,
        limit=LIMIT,
        verified=steward.verify_audit(store) if verify else None,
    )
