"""Console users: argon2id password hashes, roles, disabling; every change audited and ending sessions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from data_dictionary.jsonable import to_jsonable
from steward.inputs import StewardError, check_actor
from steward.sessions import revoke_sessions
from trace_store import audit
from trace_store.schema import app_user
from trace_store.store import Store

ROLES = ("viewer", "steward", "admin")
"""Each role can do everything the roles before it can."""

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_PASSWORD_MIN = 8
_PASSWORD_MAX = 1024


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def add_user(store: Store, username: str, password: str, role: str, *, actor: str = "cli") -> None:
    """Create a console user; only the argon2id hash of the password is stored."""
    name = (username or "").strip().lower()
    if not _USERNAME.fullmatch(name):
        raise StewardError(
            f"username {username!r} is not allowed: 1-64 of a-z, 0-9, '.', '_', '@', '-', starting with a letter "
            "or digit"
        )
    if role not in ROLES:
        raise StewardError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if not isinstance(password, str) or not _PASSWORD_MIN <= len(password) <= _PASSWORD_MAX:
        raise StewardError(f"a password needs {_PASSWORD_MIN} to {_PASSWORD_MAX} characters")
    hashed = _hasher().hash(password)
    with store.transaction() as conn:
        if conn.execute(sa.select(app_user.c.username).where(app_user.c.username == name)).first():
            raise StewardError(f"user {name!r} already exists")
        conn.execute(
            app_user.insert().values(
                username=name, password_hash=hashed, role=role, disabled=False, created_at=datetime.now(UTC)
            )
        )
        audit.append(conn, actor, "user.add", "user", name, {"role": role})


def authenticate(store: Store, username: str, password: str) -> dict[str, str] | None:
    """{"username", "role"} when the password is right and the user enabled; else None."""
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    name = (username or "").strip().lower()
    with store.connect() as conn:
        user = conn.execute(sa.select(app_user).where(app_user.c.username == name)).first()
    if user is None:
        hasher.hash(password or "")  # same cost as a real check: timing does not tell who exists
        return None
    try:
        hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user.disabled:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        with store.transaction() as conn:
            conn.execute(
                app_user.update().where(app_user.c.username == name).values(password_hash=hasher.hash(password))
            )
    return {"username": user.username, "role": user.role}


def get_user(store: Store, username: str) -> dict[str, Any] | None:
    """One user's name, role and state (never the hash), or None."""
    u = app_user.c
    with store.connect() as conn:
        row = conn.execute(sa.select(u.username, u.role, u.disabled, u.language).where(u.username == username)).first()
    return dict(row._mapping) if row else None


def list_users(store: Store) -> list[dict[str, Any]]:
    """Every user with role and state (never the hash)."""
    u = app_user.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(u.username, u.role, u.disabled, u.created_at).order_by(u.username))
        return [to_jsonable(dict(r._mapping)) for r in rows]


def set_user_disabled(store: Store, username: str, disabled: bool, *, actor: str) -> None:
    """Disable (or enable again) a user; audited. Disabling ends the user's sessions at once."""
    _change_user(store, username, actor, "user.disable" if disabled else "user.enable", {"disabled": bool(disabled)})


def set_user_role(store: Store, username: str, role: str, *, actor: str) -> None:
    """Give a user another role; audited. The user's sessions end: they sign in again under it."""
    if role not in ROLES:
        raise StewardError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    _change_user(store, username, actor, "user.role", {"role": role})


def set_password(store: Store, username: str, password: str, *, actor: str) -> None:
    """Set a new password (only its argon2id hash is kept); audited, without the password. Ends the sessions."""
    if not isinstance(password, str) or not _PASSWORD_MIN <= len(password) <= _PASSWORD_MAX:
        raise StewardError(f"a password needs {_PASSWORD_MIN} to {_PASSWORD_MAX} characters")
    _change_user(store, username, actor, "user.password", {"password_hash": _hasher().hash(password)})


def set_language(store: Store, username: str, language: str | None) -> None:
    """The console language a user chose (None: follow the browser). A preference: not audited."""
    with store.transaction() as conn:
        conn.execute(app_user.update().where(app_user.c.username == username).values(language=language))


def _change_user(store: Store, username: str, actor: str, action: str, values: dict[str, Any]) -> None:
    """Update a user, audit it (never a hash), and end the user's sessions, all in one transaction."""
    actor = check_actor(actor)
    name = (username or "").strip().lower()
    with store.transaction() as conn:
        done = conn.execute(app_user.update().where(app_user.c.username == name).values(**values))
        if done.rowcount != 1:
            raise StewardError(f"no user named {username!r}")
        ended = revoke_sessions(conn, name, action) if action != "user.enable" else 0
        details = {k: v for k, v in values.items() if k != "password_hash"}
        audit.append(conn, actor, action, "user", name, {**details, "sessions_ended": ended})
