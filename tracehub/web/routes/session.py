"""Signing in and out. Both forms carry a CSRF token (login CSRF would let a page sign you in as someone else).

Sign-ins are throttled per account and per client address (steward/sessions.py), refused
before any password work. Password checks (argon2, deliberately slow) run one at a time on their
own limiter, and only a few may wait: a flood of sign-ins gets "busy" answers at once instead
of taking the threads every other page needs.
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tracehub.web import i18n
from tracehub.web.auth import PageError, check_csrf, client_address, session_user, sign_in, sign_out, store_of
from tracehub.web.render import redirect, render

router = APIRouter()
MAX_CREDENTIAL = 256
HASHING = anyio.CapacityLimiter(1)
"""Password checks at a time: argon2 takes a core for a while; the other core keeps serving pages."""
MAX_WAITING = 4
"""Sign-ins that may wait for the password checker; beyond, the answer is 503 at once."""
_waiting = 0


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
    global _waiting
    import steward
    from steward import sessions

    await check_csrf(request)
    store, client, target = store_of(request), client_address(request), _safe_next(next)
    username = username[:MAX_CREDENTIAL]
    refused = await run_in_threadpool(sessions.refusal, store, username, client)
    if refused is not None:
        headers = {"Retry-After": str(refused.retry_after)}
        if refused.locked:
            message = i18n.gettext(
                request,
                "Too many failed sign-ins: locked for %(seconds)s s. An admin can lift an account's lock on the "
                "Users page.",
            )
        else:
            message = i18n.gettext(request, "Too many failed sign-ins: wait %(seconds)s s before trying again.")
        error = message % {"seconds": refused.retry_after}
        return render(request, "login.html", 429, next=target, error=error, username=username, headers=headers)
    if _waiting >= MAX_WAITING:
        message = i18n.gettext(request, "The console is checking many sign-ins at once; try again in a few seconds.")
        return render(
            request, "login.html", 503, next=target, error=message, username=username, headers={"Retry-After": "5"}
        )
    user = None
    if username and 0 < len(password) <= MAX_CREDENTIAL:
        _waiting += 1
        try:
            user = await anyio.to_thread.run_sync(steward.authenticate, store, username, password, limiter=HASHING)
        finally:
            _waiting -= 1
    if user is None:
        await run_in_threadpool(sessions.record_failure, store, username, client)
        message = i18n.gettext(request, "Unknown user, wrong password, or a disabled account.")
        return render(request, "login.html", 401, next=target, error=message, username=username)
    await run_in_threadpool(sessions.record_success, store, user["username"])
    sign_in(request, user)
    return redirect(target)


@router.post("/logout")
async def logout(request: Request) -> Response:
    if request.session.get("sid"):
        await check_csrf(request)
    sign_out(request)
    return redirect("/login")


@router.post("/language")
async def choose_language(
    request: Request, language: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
) -> Response:
    """Switch the console's language: kept in this browser's session and, when signed in, with the user."""
    import steward

    await check_csrf(request)
    if language not in i18n.LANGUAGES:
        message = i18n.gettext(request, "Unknown language %(language)s; choose one of %(choices)s.")
        raise PageError(400, message % {"language": repr(language[:20]), "choices": ", ".join(i18n.LANGUAGES)})
    request.session["lang"] = language
    user = session_user(request)
    if user is not None:
        await run_in_threadpool(steward.set_language, store_of(request), user.username, language)
    return redirect(_safe_next(next))
