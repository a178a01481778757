"""One run per source and entity at a time, on SQLite and PostgreSQL: the second waits or says why it cannot.

A manual sync during a scheduled one used to abandon the live run, which then died with a
StaleRunError. Now the second run either waits for the lock or stops at once with a message that
names the run holding it, and the live run finishes as if alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from platforms import running_platforms

import steward
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.world import generate_world
from trace_store.errors import SyncInProgress
from trace_store.schema import sync_run
from trace_store.store import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def world():
    return generate_world(61, 0.1)


def statuses(store: Store, source: str, entity: str) -> list[str]:
    r = sync_run.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(r.status).where(r.source == source, r.entity == entity).order_by(r.run_id))
        return [row.status for row in rows]


class Holder(threading.Thread):
    """Holds the run lock of one source entity, as a live run does, until told to let go."""

    def __init__(self, store: Store, source: str, entity: str) -> None:
        super().__init__(daemon=True)
        self.store, self.source, self.entity = store, source, entity
        self.holding, self.release = threading.Event(), threading.Event()
        self.run_id: int | None = None

    def run(self) -> None:
        with self.store.run_lock(self.source, self.entity):
            self.run_id = self.store.begin_run(self.source, self.entity)
            self.holding.set()
            self.release.wait(30)
            self.store.finish_run(self.run_id)

    def __enter__(self) -> Holder:
        self.start()
        assert self.holding.wait(10), "the holder took the lock"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.join(10)


def test_a_second_sync_stops_at_once_naming_the_live_run_and_leaves_it_running(store, world, monkeypatch):
    with running_platforms(world, monkeypatch) as platforms:
        config = platforms.configs["shop"]
        with Holder(store, "shop", "order") as live:
            started = time.monotonic()
            with pytest.raises(SyncInProgress) as refused:
                sync(config, "order", store, build_connector(config))
            waited = time.monotonic() - started
            assert f"shop/order is being loaded by another run (run {live.run_id}, started " in str(refused.value)
            assert waited < 2, f"no wait asked, refused after {waited:.2f} s"
            other = sync(config, "variant", store, build_connector(config))  # another entity is not blocked
            assert other.loaded > 0
        assert statuses(store, "shop", "order") == ["success"], "the live run was never abandoned"


def test_a_second_sync_that_may_wait_runs_after_the_first(store, world, monkeypatch):
    with running_platforms(world, monkeypatch) as platforms:
        config = platforms.configs["shop"]
        holder = Holder(store, "shop", "order")
        with holder:
            threading.Timer(1.0, holder.release.set).start()
            summary = sync(config, "order", store, build_connector(config), wait_seconds=30)
        assert summary.loaded > 0
        assert statuses(store, "shop", "order") == ["success", "success"]


def test_a_replay_waits_for_a_sync_of_its_entity(store, world, monkeypatch):
    with running_platforms(world, monkeypatch) as platforms:
        config = platforms.configs["warehouse"]
        sync(config, "shipment", store, build_connector(config))
    open_ids = [r["id"] for r in steward.list_quarantine(store, entity="shipment")[0]]
    assert open_ids, "the world quarantines some shipments"
    monkeypatch.setattr("steward.quarantine.REPLAY_WAIT_SECONDS", 0)
    with Holder(store, "warehouse", "shipment"), pytest.raises(SyncInProgress):
        steward.replay(store, ids=open_ids, actor="sam")
    assert statuses(store, "warehouse", "shipment") == ["success", "success"]
    assert {r["id"] for r in steward.list_quarantine(store, entity="shipment")[0]} == set(open_ids), "nothing changed"


def test_the_lock_of_a_killed_process_is_free_at_once(store):
    """A run killed with SIGKILL leaves no lock behind: the server or the OS drops it with the process."""
    url = store.engine.url.render_as_string(hide_password=False)
    code = (
        "import sys, time; from trace_store.store import Store; s = Store.open(sys.argv[1]); "
        "lock = s.run_lock('shop', 'order'); lock.__enter__(); print('held', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, url], cwd=REPO, stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with pytest.raises(SyncInProgress), store.run_lock("shop", "order"):
            pass
    finally:
        child.kill()
        child.wait(10)
    with store.run_lock("shop", "order", wait_seconds=10):
        pass


def test_a_lock_is_free_once_released_though_a_child_forked_meanwhile_lives_on(store):
    """A run forks its GX worker while it holds the lock; the worker outlives the run, the lock does not."""
    with store.run_lock("shop", "order"):
        child = os.fork()
        if child == 0:  # holds a copy of every descriptor the run had open, the lock file's included
            time.sleep(30)
            os._exit(0)
    try:
        with store.run_lock("shop", "order"):
            pass
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
