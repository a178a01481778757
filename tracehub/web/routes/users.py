"""Console users, for admins: list, add, change role or password, disable, enable, lift a sign-in lockout.

Disabling a user and changing a role or password end that user's sessions at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from steward import ROLES
from tracehub.web import i18n
from tracehub.web.auth import Admin, AdminAction, PageError, store_of
from tracehub.web.render import flash, redirect, render

router = APIRouter(prefix="/users")


def _refused(request: Request, exc: Exception) -> str:
    """The store's refusal (it names the field and the rule; English) and that nothing changed."""
    return i18n.gettext(request, "%(reason)s Nothing changed.") % {"reason": exc}


def _page(
    request: Request, status: int = 200, error: str | None = None, username: str = "", role: str = "viewer"
) -> Response:
    import steward
    from steward import sessions

    store = store_of(request)
    return render(
        request,
        "users.html",
        status,
        users=steward.list_users(store),
        locked=sessions.locked_accounts(store),
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
    import steward

    try:
        steward.add_user(store_of(request), username, password, role, actor=user.username)
    except steward.StewardError as exc:
        return _page(request, 400, error=_refused(request, exc), username=username, role=role)
    flash(
        request,
        i18n.gettext(request, "User %(user)s added as %(role)s.")
        % {"user": username, "role": i18n.gettext(request, role)},
    )
    return redirect("/users")


def _existing(request: Request, username: str) -> str:
    import steward

    if steward.get_user(store_of(request), username) is None:
        raise PageError(
            404, i18n.gettext(request, "There is no user %(user)s. Nothing changed.") % {"user": repr(username[:100])}
        )
    return username


def _set_disabled(request: Request, actor: str, username: str, disabled: bool) -> Response:
    import steward

    _existing(request, username)
    if disabled and username == actor:
        raise PageError(
            400, i18n.gettext(request, "You cannot disable your own account (another admin can). Nothing changed.")
        )
    try:
        steward.set_user_disabled(store_of(request), username, disabled, actor=actor)
    except steward.StewardError as exc:
        raise PageError(400, _refused(request, exc)) from exc
    done = (
        i18n.gettext(request, "User %(user)s disabled.")
        if disabled
        else i18n.gettext(request, "User %(user)s enabled.")
    )
    flash(request, done % {"user": username})
    return redirect("/users")


@router.post("/{username}/disable")
def disable_user(request: Request, user: AdminAction, username: str) -> Response:
    return _set_disabled(request, user.username, username, True)


@router.post("/{username}/enable")
def enable_user(request: Request, user: AdminAction, username: str) -> Response:
    return _set_disabled(request, user.username, username, False)


@router.post("/{username}/role")
def change_role(request: Request, user: AdminAction, username: str, role: Annotated[str, Form()] = "") -> Response:
    """Another role; the user's sessions end (they sign in again under it)."""
    import steward

    _existing(request, username)
    if username == user.username:
        raise PageError(
            400, i18n.gettext(request, "You cannot change your own role (another admin can). Nothing changed.")
        )
    try:
        steward.set_user_role(store_of(request), username, role, actor=user.username)
    except steward.StewardError as exc:
        raise PageError(400, _refused(request, exc)) from exc
    message = i18n.gettext(request, "User %(user)s is now %(role)s; their sessions ended.")
    flash(request, message % {"user": username, "role": i18n.gettext(request, role)})
    return redirect("/users")


@router.post("/{username}/password")
def change_password(
    request: Request, user: AdminAction, username: str, password: Annotated[str, Form()] = ""
) -> Response:
    """A new password, set by an admin; the user's sessions end (the admin's own too, if it is theirs)."""
    import steward

    _existing(request, username)
    try:
        steward.set_password(store_of(request), username, password, actor=user.username)
    except steward.StewardError as exc:
        raise PageError(400, _refused(request, exc)) from exc
    flash(
        request,
        i18n.gettext(request, "The password of %(user)s is changed; their sessions ended.") % {"user": username},
    )
    return redirect("/users")


@router.post("/{username}/unlock")
def unlock(request: Request, user: AdminAction, username: str) -> Response:
    """Lift a sign-in lockout (audited)."""
    from steward import sessions

    _existing(request, username)
    done = sessions.unlock(store_of(request), username, actor=user.username)
    message = (
        i18n.gettext(request, "Sign-in failures of %(user)s cleared.")
        if done
        else i18n.gettext(request, "%(user)s had no failed sign-ins.")
    )
    flash(request, message % {"user": username})
    return redirect("/users")
