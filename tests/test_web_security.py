"""Console security over HTTP: sessions that end, sign-ins that cannot be guessed, headers on everything.

Sessions live in the store: a copied cookie is worthless after logout, disable, role change or
password change, and a session ends after 30 idle minutes or 8 hours. Sign-ins are throttled
per account (3 free failures, then 1 s, 2 s, 4 s ... between attempts, locked 15 minutes at 10)
and per client address (10 free, locked at 30), refused before any password is checked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from markupsafe import escape
from webconsole import USERS, csrf, password, served, synced_console

import steward
from steward import sessions
from trace_store.schema import app_session, audit_log, login_throttle
from trace_store.store import Store
from tracehub.web.app import CSP, DATA_DOCS_CSP, HEADERS

SECRET = "security-test-secret-" * 3


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Any]:
    home = tmp_path_factory.mktemp("home")
    (home / "data_docs").mkdir()
    (home / "data_docs" / "index.html").write_text("<html><body>docs</body></html>")
    with synced_console(home, SECRET) as (web, _):
        yield web


@pytest.fixture(autouse=True)
def _no_throttle_left(app) -> Iterator[None]:
    """Each test starts with no failed sign-ins counted."""
    with app.state.store.transaction() as conn:
        conn.execute(login_throttle.delete())
    yield


def _login(client: TestClient, username: str, secret: str) -> Any:
    return client.post("/login", data={"username": username, "password": secret, "csrf_token": csrf(client)})


def _signed_in(app: Any, username: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    assert _login(client, username, password(username)).status_code == 303
    return client


def _replayed(app: Any, client: TestClient) -> TestClient:
    """A second browser holding a copy of `client`'s cookie."""
    thief = TestClient(app, follow_redirects=False)
    thief.cookies.update(client.cookies)
    return thief


def _live_sessions(store: Store, username: str) -> int:
    s = app_session.c
    with store.connect() as conn:
        query = sa.select(sa.func.count()).where(s.username == username, s.revoked_at.is_(None))
        return conn.execute(query).scalar_one()


# ---- sessions ---------------------------------------------------------------------------------


def test_a_cookie_replayed_after_logout_is_refused(app):
    client = _signed_in(app, USERS["steward"])
    thief = _replayed(app, client)
    assert thief.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf(client)}).status_code == 303
    assert thief.get("/").status_code == 303 and thief.get("/").headers["location"] == "/login"
    assert client.get("/").status_code == 303


@pytest.mark.parametrize("change", ["disable", "role", "password"])
def test_disable_role_and_password_changes_end_sessions_at_once(app, change):
    store = app.state.store
    name = f"carl-{change}"
    steward.add_user(store, name, password(name), "steward")
    client = _signed_in(app, name)
    thief = _replayed(app, client)
    if change == "disable":
        steward.set_user_disabled(store, name, True, actor="ada")
        steward.set_user_disabled(store, name, False, actor="ada")  # enabling again revives nothing
    elif change == "role":
        steward.set_user_role(store, name, "viewer", actor="ada")
    else:
        steward.set_password(store, name, "a-brand-new-password", actor="ada")
    assert client.get("/").status_code == 303 and thief.get("/").status_code == 303
    assert _live_sessions(store, name) == 0
    with store.connect() as conn:
        entry = conn.execute(
            sa.select(audit_log.c.details).where(audit_log.c.key == name).order_by(audit_log.c.seq.desc())
        ).scalar()
    assert entry["sessions_ended"] >= (1 if change != "disable" else 0)
    assert "password_hash" not in entry


def test_sign_in_rotates_the_session(app):
    store = app.state.store
    client = TestClient(app, follow_redirects=False)
    assert _login(client, "sam", password("sam")).status_code == 303
    first = dict(client.cookies)
    assert _login(client, "sam", password("sam")).status_code == 303
    assert dict(client.cookies) != first
    stale = TestClient(app, follow_redirects=False)
    stale.cookies.update(first)
    assert stale.get("/").status_code == 303 and client.get("/").status_code == 200
    assert _live_sessions(store, "sam") >= 1


def test_sessions_end_after_idle_minutes_and_absolute_hours(app):
    store = app.state.store
    start = datetime.now(UTC)
    idle = sessions.open_session(store, "vic", "test", now=start)
    assert sessions.session_username(store, idle, now=start + timedelta(minutes=29)) == "vic"
    assert sessions.session_username(store, idle, now=start + timedelta(minutes=29 + 31)) is None
    busy = sessions.open_session(store, "vic", "test", now=start)
    moment = start
    while moment < start + sessions.ABSOLUTE - timedelta(minutes=10):
        moment += timedelta(minutes=10)
        assert sessions.session_username(store, busy, now=moment) == "vic"
    assert sessions.session_username(store, busy, now=start + sessions.ABSOLUTE + timedelta(seconds=1)) is None
    s = app_session.c
    with store.connect() as conn:
        reasons = conn.execute(sa.select(s.revoked_reason).where(s.username == "vic", s.client == "test")).scalars()
        assert sorted(r for r in reasons if r) == ["expired", "idle"]


# ---- throttling -------------------------------------------------------------------------------


def test_failed_sign_ins_of_an_account_get_growing_delays_then_a_lockout(app):
    store = app.state.store
    t0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    name, client = "ada", "203.0.113.7"
    moment = t0
    waits = []
    for _ in range(sessions.ACCOUNT.lock_failures):
        refused = sessions.refusal(store, name, client, now=moment)
        if refused is not None:
            waits.append(refused.retry_after)
            moment += timedelta(seconds=refused.retry_after)
            assert sessions.refusal(store, name, client, now=moment) is None
        sessions.record_failure(store, name, client, now=moment)
    assert waits == [1, 2, 4, 8, 16, 32, 60]  # after 3 free failures each wait doubles, up to a minute
    locked = sessions.refusal(store, name, client, now=moment + timedelta(seconds=1))
    assert locked is not None and locked.locked and 14 * 60 < locked.retry_after <= 15 * 60
    later = moment + sessions.ACCOUNT.lock_for + timedelta(seconds=1)
    assert sessions.refusal(store, name, client, now=later) is None
    with store.connect() as conn:
        actions = conn.execute(sa.select(audit_log.c.action).where(audit_log.c.key == "user:ada")).scalars().all()
    assert "login.locked" in actions


def test_a_client_address_is_throttled_across_accounts(app):
    store = app.state.store
    t0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    for n in range(sessions.CLIENT.lock_failures):
        sessions.record_failure(store, f"guess-{n}", "198.51.100.9", now=t0 + timedelta(seconds=n * 20))
    moment = t0 + timedelta(seconds=sessions.CLIENT.lock_failures * 20)
    refused = sessions.refusal(store, "someone-else", "198.51.100.9", now=moment)
    assert refused is not None and refused.locked
    assert sessions.refusal(store, "someone-else", "198.51.100.10", now=moment) is None


def test_a_refused_sign_in_does_no_password_work_and_says_when_to_retry(app, monkeypatch):
    checked = []
    real = steward.authenticate
    monkeypatch.setattr(steward, "authenticate", lambda *a: checked.append(a[1]) or real(*a))
    client = TestClient(app, follow_redirects=False)
    statuses = [_login(client, "sam", "wrong-password").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    refused = _login(client, "sam", password("sam"))
    assert refused.status_code == 429 and refused.headers["retry-after"] in {"1", "2"}
    assert "wait" in refused.text and len(checked) == 3


def test_an_admin_lifts_a_lockout_and_it_is_audited(app):
    store = app.state.store
    t0 = datetime.now(UTC)
    for n in range(sessions.ACCOUNT.lock_failures):
        sessions.record_failure(store, "sam", f"192.0.2.{n}", now=t0 - timedelta(seconds=n))
    assert "sam" in sessions.locked_accounts(store)
    blocked = TestClient(app, follow_redirects=False)
    assert _login(blocked, "sam", password("sam")).status_code == 429
    admin = _signed_in(app, "ada")
    assert "sign-in locked until" in admin.get("/users").text
    assert admin.post("/users/sam/unlock", data={"csrf_token": csrf(admin)}).status_code == 303
    assert sessions.locked_accounts(store) == {}
    assert _login(blocked, "sam", password("sam")).status_code == 303
    with store.connect() as conn:
        entry = conn.execute(sa.select(audit_log).where(audit_log.c.action == "login.unlock")).first()
    assert entry is not None and entry.actor == "ada" and entry.key == "user:sam"


def test_a_sign_in_flood_gets_busy_answers_and_pages_keep_answering(app):
    """Password checks run one at a time; beyond four waiting, sign-ins are refused at once."""
    from tracehub.web.routes import session as session_routes

    with served(app) as base:
        peak = 0
        stop = threading.Event()

        def watch() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, session_routes.HASHING.borrowed_tokens)
                time.sleep(0.001)

        def attempt(n: int) -> int:
            with requests.Session() as s:
                token = csrf_of(s.get(f"{base}/login").text)
                form = {"username": f"flood-{n}", "password": "not-the-password", "csrf_token": token}
                return s.post(f"{base}/login", data=form, allow_redirects=False, timeout=60).status_code

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            with ThreadPoolExecutor(16) as pool:
                flood = [pool.submit(attempt, n) for n in range(16)]
                time.sleep(0.05)
                page = requests.get(f"{base}/login", timeout=30)
                statuses = [f.result() for f in flood]
        finally:
            stop.set()
    assert page.status_code == 200, "other pages answer during the flood"
    assert peak == 1, "one password check at a time"
    assert statuses.count(503) > 0 and set(statuses) <= {401, 429, 503}


def csrf_of(page: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


# ---- headers and error pages ------------------------------------------------------------------


def test_every_route_and_status_carries_the_security_headers(app, monkeypatch):
    admin = _signed_in(app, "ada")
    anonymous = TestClient(app, follow_redirects=False)
    paths = sorted({r.path for r in app.routes if isinstance(r, APIRoute) and "GET" in r.methods and "{" not in r.path})
    answers = [(path, client.get(path)) for path in paths for client in (admin, anonymous)]
    answers += [
        ("/quarantine/99999999999999999999999", admin.get("/quarantine/99999999999999999999999")),
        ("/quarantine/123456789", admin.get("/quarantine/123456789")),
        ("/data-docs/x%00.png", admin.get("/data-docs/x%00.png")),
        ("/data-docs/../secret_key", admin.get("/data-docs/..%2Fsecret_key")),
        ("/no-such-page", admin.get("/no-such-page")),
        ("/users (405)", admin.delete("/users")),
        ("/recalls/0", admin.get("/recalls/0")),
        ("/users (403)", _signed_in(app, "vic").get("/users")),
        ("/quarantine/replay (403, no CSRF)", admin.post("/quarantine/replay", data={"ids": "1"})),
        ("/login (401)", _login(anonymous, "nobody", "wrong-password")),
        ("/users (303)", admin.post("/users/vic/unlock", data={"csrf_token": csrf(admin)})),
    ]
    for _ in range(sessions.ACCOUNT.free_failures):
        _login(anonymous, "mallory", "guess")
    answers.append(("/login (429)", _login(anonymous, "mallory", "guess")))

    from traceability import findings

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals: /srv/tracehub/db password=hunter2")

    monkeypatch.setattr(findings, "list_findings", broken)
    server_error = TestClient(app, follow_redirects=False, raise_server_exceptions=False)
    server_error.cookies.update(admin.cookies)
    crashed = server_error.get("/findings")
    answers.append(("/findings (500)", crashed))
    assert crashed.status_code == 500
    assert "hunter2" not in crashed.text and "Traceback" not in crashed.text and "RuntimeError" not in crashed.text
    statuses = {r.status_code for _, r in answers}
    assert {200, 303, 400, 401, 403, 404, 405, 429, 500} <= statuses
    for path, response in answers:
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (path, response.status_code, name)
        wanted = DATA_DOCS_CSP if path.startswith("/data-docs") else CSP
        assert response.headers.get("content-security-policy") == wanted, (path, response.status_code)
        assert "Traceback" not in response.text, path


def test_data_docs_are_sandboxed_without_scripts(app):
    admin = _signed_in(app, "ada")
    page = admin.get("/data-docs/index.html")
    policy = page.headers["content-security-policy"]
    assert page.status_code == 200 and policy.startswith("sandbox;") and "allow-scripts" not in policy
    assert "default-src 'none'" in policy and "script-src" not in policy


# ---- who sees what ----------------------------------------------------------------------------


def test_account_entries_of_the_audit_log_are_for_admins_only(app):
    store = app.state.store
    steward.set_user_role(store, "vic", "viewer", actor="ada")
    viewer, admin = _signed_in(app, "vic"), _signed_in(app, "ada")
    assert "user.role" not in viewer.get("/audit").text
    assert "user.role" not in _signed_in(app, "sam").get("/audit?entity=user").text
    assert "user.role" in admin.get("/audit").text


def test_consignee_contacts_in_recalls_are_for_stewards_and_admins(app):
    from trace_store.schema import trace_edge
    from traceability import recall

    store = app.state.store
    e = trace_edge.c
    with store.connect() as conn:
        gtin, lot = conn.execute(sa.select(e.gtin, e.lot).where(e.evidence == "shipped", e.lot.is_not(None))).first()
    recall_id = recall.create_recall(store, gtin, [lot], reason="visibility", actor="qa")
    report = recall.impact(store, recall_id)
    emails = [c.email for c in report.consignees if c.email and c.deliveries]
    assert emails
    viewer = _signed_in(app, "vic").get(f"/recalls/{recall_id}").text
    steward_page = _signed_in(app, "sam").get(f"/recalls/{recall_id}").text
    assert all(email in steward_page for email in emails)
    assert not any(email in viewer for email in emails)
    assert all(escape(c.name) in viewer for c in report.consignees)
