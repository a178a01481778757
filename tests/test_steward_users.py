"""Console users (argon2 hashes, never passwords) and the reason rules every steward action shares."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import steward
from steward import StewardError
from trace_store.schema import app_user, audit_log

PASSWORD = "correct horse battery"


def test_users_store_argon2_hashes_and_authenticate(store):
    steward.add_user(store, "Alice", PASSWORD, "steward", actor="root")
    steward.add_user(store, "bob", "another-secret", "viewer")

    with store.connect() as conn:
        stored = conn.execute(sa.select(app_user).where(app_user.c.username == "alice")).one()
        everything = [str(v) for t in (app_user, audit_log) for row in conn.execute(sa.select(t)) for v in row]
    assert stored.password_hash.startswith("$argon2id$")
    assert not any(PASSWORD in v for v in everything)

    assert steward.authenticate(store, "alice", PASSWORD) == {"username": "alice", "role": "steward"}
    assert steward.authenticate(store, " ALICE ", PASSWORD) == {"username": "alice", "role": "steward"}
    assert steward.authenticate(store, "alice", PASSWORD + "!") is None
    assert steward.authenticate(store, "alice", "") is None
    assert steward.authenticate(store, "nobody", PASSWORD) is None

    steward.set_user_disabled(store, "alice", True, actor="root")
    assert steward.authenticate(store, "alice", PASSWORD) is None
    users = steward.list_users(store)
    assert all(u.pop("created_at") for u in users)
    assert users == [
        {"username": "alice", "role": "steward", "disabled": True},
        {"username": "bob", "role": "viewer", "disabled": False},
    ]
    steward.set_user_disabled(store, "alice", False, actor="root")
    assert steward.authenticate(store, "alice", PASSWORD) is not None

    entries = steward.audit_entries(store, entity="user", key="alice")
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("user.enable", "root"),
        ("user.disable", "root"),
        ("user.add", "root"),
    ]
    assert steward.verify_audit(store).ok


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("alice", PASSWORD, "steward", "already exists"),
        ("carol", PASSWORD, "root", "unknown role 'root'"),
        ("carol", "short", "viewer", "8 to 1024 characters"),
        ("<b>carol</b>", PASSWORD, "viewer", "is not allowed"),
        ("", PASSWORD, "viewer", "is not allowed"),
    ],
)
def test_add_user_refusals(store, username, password, role, message):
    steward.add_user(store, "alice", PASSWORD, "admin")
    with pytest.raises(StewardError, match=message):
        steward.add_user(store, username, password, role)
    assert [u["username"] for u in steward.list_users(store)] == ["alice"]
    with pytest.raises(StewardError, match="no user named"):
        steward.set_user_disabled(store, "carol", True, actor="root")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("  Confirmed with the hospital.  ", "Confirmed with the hospital."),
        ("Line one\r\nline two\tend", "Line one\nline two\tend"),
        ("qty < 0 was a typo; 3 > 2", "qty < 0 was a typo; 3 > 2"),
        ("x" * 500, "x" * 500),
        ("批次已确认", "批次已确认"),
    ],
)
def test_validate_reason_accepts_plain_text(reason, expected):
    assert steward.validate_reason(reason) == expected


@pytest.mark.parametrize(
    "reason",
    [
        "",
        " \n ",
        "x" * 501,
        "<script>alert(1)</script>",
        "see <a href=x>here</a>",
        "<img src=x onerror=alert(1)>",
        "</b>",
        "<!-- hidden -->",
        "JavaScript :alert(1)",
        "null\x00byte",
        "escape\x1b[31m",
        "right-to-left\u202eoverride",
    ],
)
def test_validate_reason_refuses(reason):
    with pytest.raises(StewardError):
        steward.validate_reason(reason)


def test_role_and_password_changes_are_audited_without_the_password(store):
    steward.add_user(store, "carol", PASSWORD, "viewer", actor="root")
    steward.set_user_role(store, "carol", "steward", actor="root")
    steward.set_password(store, "carol", "a-whole-new-secret", actor="root")
    assert steward.authenticate(store, "carol", PASSWORD) is None
    assert steward.authenticate(store, "carol", "a-whole-new-secret") == {"username": "carol", "role": "steward"}
    with store.connect() as conn:
        entries = conn.execute(sa.select(audit_log.c.action, audit_log.c.details).where(audit_log.c.key == "carol"))
        actions = {action: details for action, details in entries}
    assert set(actions) == {"user.add", "user.role", "user.password"}
    assert "password_hash" not in actions["user.password"] and "a-whole-new-secret" not in str(actions)
    with pytest.raises(StewardError, match="unknown role 'owner'"):
        steward.set_user_role(store, "carol", "owner", actor="root")
    with pytest.raises(StewardError, match="a password needs"):
        steward.set_password(store, "carol", "short", actor="root")
    with pytest.raises(StewardError, match="no user named 'dave'"):
        steward.set_user_role(store, "dave", "viewer", actor="root")
