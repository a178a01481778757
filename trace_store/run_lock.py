"""One run per source and entity at a time: a lock held for the whole run, released if the process dies.

Two syncs of one source entity (a manual one during a scheduled one, or two workers) would race
on the cursor and the run ledger. So a run first takes this lock, and only a run that holds it may
declare older `running` rows dead (architecture rules 1 and 3). On PostgreSQL the lock is a
session-level advisory lock on a connection kept for the run; on SQLite an exclusive `flock` on a
file beside the database; for an in-memory database a lock in this process. Each is released by
the operating system or the server when its holder ends, however it ends.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from trace_store.errors import SyncInProgress
from trace_store.schema import sync_run
from trace_store.sql import advisory_key

NAMESPACE = b"tracehub.run:"
POLL_SECONDS = 0.25
_in_process: dict[tuple[str, str], threading.Lock] = {}
_registry_lock = threading.Lock()


@contextmanager
def run_lock(engine: Engine, source: str, entity: str, wait_seconds: float = 0) -> Iterator[None]:
    """Hold the run lock of `source`/`entity` for the block; SyncInProgress if it stays taken `wait_seconds`."""
    key = f"{source}\x1f{entity}"
    if engine.dialect.name == "postgresql":
        holder = _postgres(engine, key)
    elif engine.url.database and engine.url.database != ":memory:":
        holder = _lock_file(Path(engine.url.database), key)
    else:
        holder = _process(str(engine.url), key)
    with holder as try_acquire:
        deadline = time.monotonic() + max(wait_seconds, 0)
        while not try_acquire():
            if time.monotonic() >= deadline:
                raise SyncInProgress(source, entity, _running(engine, source, entity))
            time.sleep(POLL_SECONDS)
        yield


@contextmanager
def _postgres(engine: Engine, key: str) -> Iterator[Callable[[], bool]]:
    lock_id = advisory_key(NAMESPACE, key)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        held = False

        def try_acquire() -> bool:
            nonlocal held
            held = bool(conn.execute(sa.select(sa.func.pg_try_advisory_lock(lock_id))).scalar_one())
            return held

        try:
            yield try_acquire
        finally:
            if held:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(lock_id)))


@contextmanager
def _lock_file(database: Path, key: str) -> Iterator[Callable[[], bool]]:
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = database.with_name(f"{database.name}.run-{digest}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def try_acquire() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        yield try_acquire
    finally:
        # Unlocked, not only closed: a child forked meanwhile (the GX worker) shares the descriptor,
        # and the flock would stay until it closed its copy too.
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def _process(url: str, key: str) -> Iterator[Callable[[], bool]]:
    with _registry_lock:
        lock = _in_process.setdefault((url, key), threading.Lock())
    held = False

    def try_acquire() -> bool:
        nonlocal held
        held = lock.acquire(blocking=False)
        return held

    try:
        yield try_acquire
    finally:
        if held:
            lock.release()


def _running(engine: Engine, source: str, entity: str) -> str:
    """Who holds the lock, as far as the ledger says: the newest running run."""
    r = sync_run.c
    query = (
        sa.select(r.run_id, r.started_at)
        .where(r.source == source, r.entity == entity, r.status == "running")
        .order_by(r.run_id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return f"run {row.run_id}, started {row.started_at:%Y-%m-%d %H:%M:%S} UTC" if row else "a run that is just starting"
