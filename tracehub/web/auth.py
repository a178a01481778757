"""Who is asking and may they: session users, the role ladder and CSRF tokens.

The signed cookie carries only a session token; the session lives in the store
(steward/sessions.py), so logging out, disabling a user or changing a role or password ends it
at once, and a copied cookie is worth nothing afterwards. The role and the disabled flag are read
from the store on every request. Every state-changing form carries the session's CSRF token,
compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from steward import ROLES  # each role can do everything the roles before it can
from tracehub.web import i18n

CSRF_FIELD = "csrf_token"


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: str
    language: str | None = None

    def can(self, role: str) -> bool:
        """Whether this user's role is `role` or above it."""
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)


class LoginRequired(Exception):
    """No valid session: answered with a redirect to the login page."""


class PageError(Exception):
    """A refusal shown to the user as a page with `status` and a message saying what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def store_of(request: Request) -> Any:
    return request.app.state.store


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse the form unless it carries this session's token (nothing is changed on refusal)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not sent:
        raise PageError(
            403,
            i18n.gettext(
                request, "This form has no security token. Reload the page and submit it again; nothing changed."
            ),
        )
    if not isinstance(expected, str) or not expected:
        raise PageError(
            403,
            i18n.gettext(
                request, "Your session has expired. Reload the page and submit the form again; nothing changed."
            ),
        )
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PageError(
            403,
            i18n.gettext(
                request, "This form's security token does not match your session. Reload and retry; nothing changed."
            ),
        )


def session_user(request: Request) -> User | None:
    """The signed-in, enabled user of this session, or None (an ended session is cleared)."""
    import steward
    from steward import sessions

    token = request.session.get("sid")
    if not isinstance(token, str):
        return None
    store = store_of(request)
    username = sessions.session_username(store, token)
    row = steward.get_user(store, username) if username else None
    if row is None or row["disabled"]:
        request.session.clear()
        return None
    return User(row["username"], row["role"], row["language"])


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def sign_in(request: Request, user: dict[str, str]) -> None:
    """Start a new session for `user`: the old one ends, a new token and CSRF token, nothing carried over."""
    from steward import sessions

    sign_out(request)
    request.session["sid"] = sessions.open_session(store_of(request), user["username"], client_address(request))
    csrf_token(request)


def sign_out(request: Request) -> None:
    """End this browser's session in the store and forget it."""
    from steward import sessions

    token = request.session.get("sid")
    if isinstance(token, str):
        sessions.close_session(store_of(request), token)
    request.session.clear()


def need(role: str) -> Callable[[Request], User]:
    """Dependency: the session user, who must hold `role` or above."""

    def dependency(request: Request) -> User:
        user = session_user(request)
        if user is None:
            raise LoginRequired
        request.state.user = user
        if not user.can(role):
            message = i18n.gettext(
                request, "This needs the %(role)s role; you are signed in as %(user)s, who is a %(user_role)s."
            )
            raise PageError(
                403,
                message
                % {
                    "role": i18n.gettext(request, role),
                    "user": user.username,
                    "user_role": i18n.gettext(request, user.role),
                },
            )
        return user

    return dependency


def act(role: str) -> Callable[..., Awaitable[User]]:
    """Dependency for a form POST: signed in, `role` or above, and a valid CSRF token, in that order."""
    role_dependency = need(role)

    async def dependency(request: Request, user: User = Depends(role_dependency)) -> User:  # noqa: B008
        await check_csrf(request)
        return user

    return dependency


Viewer = Annotated[User, Depends(need("viewer"))]
Steward = Annotated[User, Depends(need("steward"))]
Admin = Annotated[User, Depends(need("admin"))]
StewardAction = Annotated[User, Depends(act("steward"))]
AdminAction = Annotated[User, Depends(act("admin"))]

RecordId = Annotated[int, Path(ge=1, le=2**62, description="a store id")]
"""A numeric id in a path: out of range is a 400 page, never a database error."""
