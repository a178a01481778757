"""Signing in and out. Both forms carry a CSRF token (login CSRF would let a page sign you in as someone else)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tracehub.web.auth import check_csrf, session_user, sign_in, store_of
from tracehub.web.render import redirect, render

router = APIRouter()
MAX_CREDENTIAL = 256


def _safe_next(target: str | None) -> str:
    """Only local paths: never `//host` or `http://...`, so the login cannot bounce users elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    request.state.user = session_user(request)
    return render(request, "login.html", next=_safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    from tracehub import steward

    await check_csrf(request)
    user = None
    if 0 < len(username) <= MAX_CREDENTIAL and 0 < len(password) <= MAX_CREDENTIAL:
        user = await run_in_threadpool(steward.authenticate, store_of(request), username, password)
    if user is None:
        message = "Unknown user, wrong password, or a disabled account."
        return render(request, "login.html", 401, next=_safe_next(next), error=message, username=username)
    sign_in(request, user)
    return redirect(_safe_next(next))


@router.post("/logout")
async def logout(request: Request) -> Response:
    if request.session.get("user"):
        await check_csrf(request)
    request.session.clear()
    return redirect("/login")
