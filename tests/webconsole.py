"""Test helper for the web console: a store with real quarantine, console users, signed-in clients."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from platforms import running_platforms, sync_all

import steward
from simulators.world import generate_world
from trace_store.store import Store
from tracehub.web import create_app

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


@contextmanager
def synced_console(home: Path, secret: str) -> Iterator[tuple[Any, Store]]:
    """The console over a SQLite store in `home`, filled by `fill_store`; yields (app, store)."""
    store = Store.open(f"sqlite:///{home / 'tracehub.db'}")
    store.upgrade()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRACEHUB_HOME", str(home))
        fill_store(store, mp)
        app = create_app(store_url(store), secret)
    try:
        yield app, store
    finally:
        app.state.store.close()
        store.close()


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` under uvicorn in a thread on a free loopback port while the block runs; yields its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
