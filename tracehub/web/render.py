"""Server-rendered pages: one Jinja2 environment per language (auto-escaping on), the layout's context, flashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tracehub.report import when
from tracehub.web import i18n
from tracehub.web.auth import CSRF_FIELD, csrf_token

TEMPLATES = Path(__file__).parent / "templates"


def _query(base: str, params: dict[str, Any], **changes: Any) -> str:
    """`base` with the non-empty `params`, some of them changed (for paging and filter links)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return f"{base}?{urlencode(merged)}" if merged else base


def _environment(language: str) -> Jinja2Templates:
    """The pages in `language`: `_()`, `gettext()` and `{% trans %}` answer from its catalogs."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, extensions=["jinja2.ext.i18n"]
    )  # auto-escaping on for every template, whatever its file name
    pages = Jinja2Templates(env=env)
    pages.env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
    pages.env.globals.update(query=_query, language=language, languages=i18n.LANGUAGES)
    pages.env.filters["when"] = when
    return pages


PAGES = {language: _environment(language) for language in i18n.LANGUAGES}
templates = PAGES[i18n.DEFAULT]
"""The English environment, for fragments rendered outside a request."""


def pages_for(request: Request) -> Jinja2Templates:
    """The environment in the request's language."""
    return PAGES[i18n.language_of(request)]


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
    return pages_for(request).TemplateResponse(request, name, context, status_code=status, headers=headers)


def flash(request: Request, message: str) -> None:
    """A message shown once on the next page (after a redirect)."""
    request.session["flash"] = [*request.session.get("flash", []), message]


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
