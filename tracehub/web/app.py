"""The steward console's application: store, sessions, security headers and error pages."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from pipeline import settings
from tracehub.web import i18n
from tracehub.web.auth import LoginRequired, PageError
from tracehub.web.render import redirect, render

log = logging.getLogger(__name__)
SESSION_COOKIE = "tracehub_session"
SESSION_SECONDS = 8 * 3600
CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
DATA_DOCS_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)
"""Data Docs show platform values that GX writes into its pages: served sandboxed (an opaque origin,
no scripts at all) and allowed to load nothing, from anywhere, whatever those values hold. Their
only style is the one inline block the build puts in (every style the platform's values might
carry is removed then)."""
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def security_headers(path: str) -> dict[str, str]:
    """The headers every response carries, errors included; Data Docs get their sandbox policy."""
    policy = DATA_DOCS_CSP if path == "/data-docs" or path.startswith("/data-docs/") else CSP
    headers = {**HEADERS, "Content-Security-Policy": policy}
    if os.environ.get("TRACEHUB_SECURE_COOKIES") == "1":
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def load_secret_key() -> str:
    """`TRACEHUB_SECRET_KEY`, else a key generated once into `<home>/secret_key` (mode 0600)."""
    from_env = os.environ.get("TRACEHUB_SECRET_KEY")
    if from_env:
        return from_env
    path = settings.home() / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def create_app(store_url: str | None = None, secret_key: str | None = None) -> FastAPI:
    """The console over the store at `store_url` (default: settings.db_url()), migrated on open."""
    from trace_store.store import Store
    from tracehub.web.routes import ROUTERS, kpi

    settings.timezone()  # a misspelt zone fails at start, not on the first page with a time
    kpi.sla_days()  # so does a wrong shipping SLA, not on the KPI page
    store = Store.open(store_url or settings.db_url())
    store.upgrade()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(title="Tracehub console", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.store = store
    app.state.data_docs = settings.data_docs_dir()
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key or load_secret_key(),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=os.environ.get("TRACEHUB_SECURE_COOKIES") == "1",
    )
    _add_security_headers(app)
    _add_error_pages(app)
    return app


def _add_security_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(security_headers(request.url.path))
        return response


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect("/login" if request.method != "GET" or target == "/" else f"/login?next={quote(target)}")

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError) -> Response:
        return render(request, "error.html", exc.status, code=exc.status, message=exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            text = i18n.gettext(request, "There is no such page.")
        elif exc.status_code == 405:
            text = i18n.gettext(request, "This address does not accept that kind of request.")
        else:
            text = str(exc.detail)
        return render(request, "error.html", exc.status_code, code=exc.status_code, message=text)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        """Our fault: a page saying so, never a trace; the error goes to the server log."""
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        message = i18n.gettext(
            request, "Something went wrong on the server; nothing was changed by this request. The error is logged."
        )
        response = render(request, "error.html", 500, code=500, message=message)
        response.headers.update(security_headers(request.url.path))  # outside the middleware that adds them
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'input'}: {e['msg']}" for e in exc.errors())
        message = i18n.gettext(request, "Invalid input: %(problems)s. Nothing changed.") % {"problems": problems}
        return render(request, "error.html", 400, code=400, message=message)
