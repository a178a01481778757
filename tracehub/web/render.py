"""Server-rendered pages: one Jinja2 environment (auto-escaping on), the layout's context, flashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tracehub.web.auth import CSRF_FIELD, csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.autoescape = True  # every template, whatever its file name


def _query(base: str, params: dict[str, Any], **changes: Any) -> str:
    """`base` with the non-empty `params`, some of them changed (for paging and filter links)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return f"{base}?{urlencode(merged)}" if merged else base


templates.env.globals["query"] = _query


def render(
    request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> Response:
    """Render template `name` in the layout, with the user, CSRF token and pending flash messages."""
    context.update(
        user=getattr(request.state, "user", None),
        csrf=csrf_token(request),
        csrf_field=CSRF_FIELD,
        flashes=request.session.pop("flash", []),
    )
    return templates.TemplateResponse(request, name, context, status_code=status, headers=headers)


def flash(request: Request, message: str) -> None:
    """A message shown once on the next page (after a redirect)."""
    request.session["flash"] = [*request.session.get("flash", []), message]


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
