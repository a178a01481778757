"""Console sessions and sign-in throttling, kept in the store.

**Sessions.** Signing in stores a session row and gives the browser a random token (only its
SHA-256 is stored). Every request looks the row up: a session ends when its user logs out, is
disabled, changes role or password (all revoke at once), after `IDLE` without a request, or
`ABSOLUTE` after sign-in, whichever comes first. A new sign-in always starts a new session.

**Throttling.** Failed sign-ins are counted per account and per client address, within a
window. Past the free failures, each further attempt must wait twice as long as the one before
(1 s, 2 s, 4 s ... up to `max_delay`); at `lock_failures` the key is locked for `lock_for`. A
refused attempt does no password work and does not count. A success clears its account's count
(not its address's). An admin can lift an account's lockout; locks and unlocks are audited.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store import audit
from trace_store.schema import app_session, login_throttle
from trace_store.sql import dialect_insert
from trace_store.store import Store


def _minutes(name: str, default: float) -> timedelta:
    return timedelta(minutes=float(os.environ.get(name) or default))


IDLE = _minutes("TRACEHUB_SESSION_IDLE_MINUTES", 30)
ABSOLUTE = _minutes("TRACEHUB_SESSION_MAX_MINUTES", 8 * 60)
TOUCH_EVERY = timedelta(seconds=60)
"""A session's last request is written at most this often (reads stay reads)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """How many failed sign-ins a key gets free, when it locks, and for how long."""

    free_failures: int
    lock_failures: int
    window: timedelta
    lock_for: timedelta
    max_delay: timedelta = timedelta(seconds=60)

    def delay(self, failures: int) -> timedelta:
        """The wait required after the last failure before another attempt (0 while free)."""
        if failures < self.free_failures:
            return timedelta(0)
        return min(timedelta(seconds=2 ** (failures - self.free_failures)), self.max_delay)


ACCOUNT = Policy(free_failures=3, lock_failures=10, window=timedelta(minutes=15), lock_for=timedelta(minutes=15))
CLIENT = Policy(free_failures=10, lock_failures=30, window=timedelta(minutes=15), lock_for=timedelta(minutes=15))


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a sign-in attempt is refused before any password is checked, and for how long."""

    locked: bool
    retry_after: int

    @property
    def message(self) -> str:
        if self.locked:
            return (
                f"Too many failed sign-ins: locked for {self.retry_after} s. An admin can lift an account's "
                "lock on the Users page."
            )
        return f"Too many failed sign-ins: wait {self.retry_after} s before trying again."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_key(username: str) -> str:
    return f"user:{(username or '').strip().lower()}"


def client_key(client: str | None) -> str:
    return f"client:{client or 'unknown'}"


# ---- sessions ---------------------------------------------------------------------------------


def open_session(store: Store, username: str, client: str | None, now: datetime | None = None) -> str:
    """A new session for `username`; returns the token for the browser."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    with store.transaction() as conn:
        conn.execute(
            app_session.insert().values(
                session_hash=_digest(token), username=username, created_at=now, last_seen_at=now, client=client
            )
        )
    return token


def session_username(store: Store, token: str, now: datetime | None = None) -> str | None:
    """The user of a live session, or None (unknown, revoked, idle too long or too old: ended now)."""
    now = now or datetime.now(UTC)
    s = app_session.c
    with store.connect() as conn:
        row = conn.execute(sa.select(app_session).where(s.session_hash == _digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    ended = "expired" if now - row.created_at > ABSOLUTE else "idle" if now - row.last_seen_at > IDLE else None
    if ended or now - row.last_seen_at > TOUCH_EVERY:
        with store.transaction() as conn:
            update = app_session.update().where(s.session_hash == row.session_hash, s.revoked_at.is_(None))
            values = {"revoked_at": now, "revoked_reason": ended} if ended else {"last_seen_at": now}
            conn.execute(update.values(**values))
    return None if ended else str(row.username)


def close_session(store: Store, token: str, reason: str = "logout") -> None:
    s = app_session.c
    with store.transaction() as conn:
        conn.execute(
            app_session.update()
            .where(s.session_hash == _digest(token), s.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
        )


def revoke_sessions(conn: Connection, username: str, reason: str) -> int:
    """End every live session of `username` inside the caller's transaction; returns how many."""
    s = app_session.c
    done = conn.execute(
        app_session.update()
        .where(s.username == username, s.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
    )
    return int(done.rowcount or 0)


# ---- throttling -------------------------------------------------------------------------------


def refusal(store: Store, username: str, client: str | None, now: datetime | None = None) -> Refusal | None:
    """Whether a sign-in attempt must be refused now (account first, then the client address)."""
    now = now or datetime.now(UTC)
    t = login_throttle.c
    keys = {account_key(username): ACCOUNT, client_key(client): CLIENT}
    with store.connect() as conn:
        rows = {r.key: r for r in conn.execute(sa.select(login_throttle).where(t.key.in_(list(keys))))}
    waits: list[Refusal] = []
    for key, policy in keys.items():
        row = rows.get(key)
        if row is None or (now - row.window_start > policy.window and not _locked(row, now)):
            continue
        if _locked(row, now):
            waits.append(Refusal(True, _seconds(row.locked_until - now)))
            continue
        ready = row.last_failure_at + policy.delay(row.failures)
        if now < ready:
            waits.append(Refusal(False, _seconds(ready - now)))
    return max(waits, key=lambda r: (r.locked, r.retry_after)) if waits else None


def _locked(row: sa.Row[tuple[object, ...]], now: datetime) -> bool:
    return row.locked_until is not None and row.locked_until > now


def _seconds(wait: timedelta) -> int:
    return max(1, int(wait.total_seconds() + 0.999))


def record_failure(store: Store, username: str, client: str | None, now: datetime | None = None) -> None:
    """Count a failed sign-in against the account and the client address; lock either at its limit."""
    now = now or datetime.now(UTC)
    with store.transaction() as conn:
        for key, policy in ((account_key(username), ACCOUNT), (client_key(client), CLIENT)):
            row = conn.execute(sa.select(login_throttle).where(login_throttle.c.key == key)).first()
            if row is None or now - row.window_start > policy.window:
                failures, started = 1, now
            else:
                failures, started = row.failures + 1, row.window_start
            locked_until = now + policy.lock_for if failures >= policy.lock_failures else None
            values = {
                "key": key,
                "failures": failures,
                "window_start": started,
                "last_failure_at": now,
                "locked_until": locked_until,
            }
            insert = dialect_insert(conn, login_throttle).values(**values)
            conn.execute(insert.on_conflict_do_update(index_elements=["key"], set_=values))
            if locked_until is not None and failures == policy.lock_failures:
                details = {"failures": failures, "locked_until": locked_until.isoformat()}
                audit.append(conn, "console", "login.locked", "login", key, details)


def record_success(store: Store, username: str) -> None:
    """A sign-in succeeded: the account's failures are forgiven."""
    with store.transaction() as conn:
        conn.execute(login_throttle.delete().where(login_throttle.c.key == account_key(username)))


def unlock(store: Store, username: str, *, actor: str) -> bool:
    """Lift an account's failures and lockout (audited); False when it had none."""
    key = account_key(username)
    with store.transaction() as conn:
        done = conn.execute(login_throttle.delete().where(login_throttle.c.key == key))
        if not done.rowcount:
            return False
        audit.append(conn, actor, "login.unlock", "login", key, {})
    return True


def locked_accounts(store: Store, now: datetime | None = None) -> dict[str, datetime]:
    """Accounts locked now -> until when."""
    now = now or datetime.now(UTC)
    t = login_throttle.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(t.key, t.locked_until).where(t.key.like("user:%"), t.locked_until > now))
        return {r.key.removeprefix("user:"): r.locked_until for r in rows}
