"""Test helper for the web console: a store with real quarantine, console users, signed-in clients."""

from __future__ import annotations

import re
from typing import Any

import pytest
from platforms import running_platforms, sync_all

from simulators.world import generate_world
from tracehub import steward

USERS = {"viewer": "vic", "steward": "sam", "admin": "ada"}
"""Role -> user name; each user's password is `password-<name>`."""
SEED, SCALE = 7, 0.1
"""A small world whose sync quarantines records of three sources (mapped and validated)."""


def password(username: str) -> str:
    return f"password-{username}"


def fill_store(store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sync a small generated world into `store` and add one console user per role."""
    with running_platforms(generate_world(SEED, SCALE), monkeypatch) as platforms:
        sync_all(platforms, store)
    for role, name in USERS.items():
        steward.add_user(store, name, password(name), role)


def csrf(client: Any) -> str:
    """The CSRF token of the client's session, read from a form the way a browser gets it."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert found, "the login page carries a CSRF token"
    return found.group(1)


def sign_in(client: Any, role: str) -> None:
    name = USERS[role]
    r = client.post("/login", data={"username": name, "password": password(name), "csrf_token": csrf(client)})
    assert r.status_code == 303, r.text


def store_url(store: Any) -> str:
    return str(store.engine.url.render_as_string(hide_password=False))
