"""Console users, for admins: list, add, disable and enable again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tracehub.steward import ROLES
from tracehub.web.auth import Admin, AdminAction, PageError, store_of
from tracehub.web.render import flash, redirect, render

router = APIRouter(prefix="/users")


def _page(
    request: Request, status: int = 200, error: str | None = None, username: str = "", role: str = "viewer"
) -> Response:
    from tracehub import steward

    return render(
        request,
        "users.html",
        status,
        users=steward.list_users(store_of(request)),
        roles=ROLES,
        error=error,
        username=username[:100],
        role=role,
    )


@router.get("")
def users(request: Request, user: Admin) -> Response:
    return _page(request)


@router.post("")
def add_user(
    request: Request,
    user: AdminAction,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    from tracehub import steward

    try:
        steward.add_user(store_of(request), username, password, role, actor=user.username)
    except steward.StewardError as exc:
        return _page(request, 400, error=f"{exc} Nothing changed.", username=username, role=role)
    flash(request, f"User {username} added as {role}.")
    return redirect("/users")


def _set_disabled(request: Request, actor: str, username: str, disabled: bool) -> Response:
    from tracehub import steward

    store = store_of(request)
    if not any(u["username"] == username for u in steward.list_users(store)):
        raise PageError(404, f"There is no user {username!r}. Nothing changed.")
    if disabled and username == actor:
        raise PageError(400, "You cannot disable your own account (another admin can). Nothing changed.")
    try:
        steward.set_user_disabled(store, username, disabled, actor=actor)
    except steward.StewardError as exc:
        raise PageError(400, f"{exc} Nothing changed.") from exc
    flash(request, f"User {username} {'disabled' if disabled else 'enabled'}.")
    return redirect("/users")


@router.post("/{username}/disable")
def disable_user(request: Request, user: AdminAction, username: str) -> Response:
    return _set_disabled(request, user.username, username, True)


@router.post("/{username}/enable")
def enable_user(request: Request, user: AdminAction, username: str) -> Response:
    return _set_disabled(request, user.username, username, False)
