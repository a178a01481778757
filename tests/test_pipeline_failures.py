"""Failures that must not corrupt anything: bad credentials, leaked secrets, a SIGKILL mid-run."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from platforms import comparable, running_platforms, sync_all, token_env

from connectors.errors import AuthError
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.world import generate_world
from trace_store import queries
from trace_store.store import Store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def world():
    return generate_world(5, 0.3)


def test_wrong_token_fails_at_once_naming_the_source(store, world, monkeypatch):
    with running_platforms(world, monkeypatch) as platforms:
        for name, config in platforms.configs.items():
            monkeypatch.setenv(token_env(name), "wrong-token-value")
            server = platforms.servers[name]
            served_before = len(server.requests)
            with pytest.raises(AuthError) as caught:
                sync(config, config.entities[0], store, build_connector(config))
            assert name in str(caught.value)
            assert "wrong-token-value" not in str(caught.value)
            assert len(server.requests) - served_before <= 1, "a 401 is not retried"
    runs = queries.stats(store)["runs"]
    assert {r["status"] for r in runs} == {"failed"}


def test_tokens_appear_in_no_log_row_or_message(store, world, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
        tokens = list(platforms.tokens.values())
    texts = [caplog.text]
    with store.engine.connect() as conn:
        metadata = sa.MetaData()
        metadata.reflect(conn)
        for table in metadata.sorted_tables:
            texts.extend(repr(row) for row in conn.execute(sa.select(table)))
    blob = "\n".join(texts)
    assert "sync" in caplog.text
    for token in tokens:
        assert token not in blob


def _write_sources(path: Path, platforms, **overrides) -> None:
    entries = []
    for config in platforms.configs.values():
        entry = config.model_dump(mode="json", exclude_none=True)
        entry.update(overrides)
        entries.append(entry)
    path.write_text(yaml.safe_dump({"sources": entries}))


def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tracehub", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_equals_uninterrupted(world, monkeypatch, tmp_path):
    with running_platforms(world, monkeypatch) as platforms:
        sources = tmp_path / "sources.yaml"
        _write_sources(sources, platforms, page_size=5, batch_records=5)
        env = {**os.environ, "TRACEHUB_SOURCES": str(sources), "TRACEHUB_HOME": str(tmp_path / "home")}

        reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
        done = _cli(["sync", "warehouse"], {**env, "TRACEHUB_DB_URL": reference_url})
        assert done.wait(timeout=300) == 0, done.stdout.read() if done.stdout else ""

        killed_url = f"sqlite:///{tmp_path / 'killed.db'}"
        victim = _cli(["sync", "warehouse"], {**env, "TRACEHUB_DB_URL": killed_url})
        store = _wait_for_store(tmp_path / "killed.db", killed_url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = queries.stats(store)["runs"]
            if runs and runs[0]["loaded"] + runs[0]["unchanged"] + runs[0]["quarantined"] > 0:
                break
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL, "the sync was killed before it finished"
        assert queries.stats(store)["runs"][0]["status"] == "running"

        again = _cli(["sync", "warehouse"], {**env, "TRACEHUB_DB_URL": killed_url})
        assert again.wait(timeout=300) == 0, again.stdout.read() if again.stdout else ""

    reference = Store.open(reference_url)
    assert comparable(queries.dump(store)) == comparable(queries.dump(reference))
    statuses = [r["status"] for r in queries.runs(store) if r["entity"] == "shipment"]
    assert sorted(statuses) == ["abandoned", "success"]
    store.close()
    reference.close()


def _wait_for_store(path: Path, url: str) -> Store:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists():
            try:
                store = Store.open(url)
                queries.stats(store)
                return store
            except sa.exc.OperationalError:
                pass
        time.sleep(0.02)
    raise AssertionError("the sync never created its store")
