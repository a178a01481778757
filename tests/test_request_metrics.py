"""Each run keeps what it asked its platform: requests, statuses, 429s, retries and latency; `stats` shows it."""

from __future__ import annotations

import json
from collections import Counter

from commands import tracehub
from platforms import running_platforms

from connectors.http import RetryPolicy
from connectors.metrics import totals
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.server import Faults
from simulators.world import generate_world
from trace_store import queries
from trace_store.store import Store

QUICK = RetryPolicy(initial_wait=0.02, max_wait=0.3)


def test_a_run_keeps_its_request_figures_and_stats_shows_them(sqlite_url, monkeypatch):
    store = Store.open(sqlite_url)
    store.upgrade()
    faults = Faults(rate=0.4, seed=1, kinds=("429", "503"))
    with running_platforms(generate_world(83, 0.1), monkeypatch, faults=faults, page_size=10) as platforms:
        config = platforms.configs["shop"]
        summary = sync(config, "order", store, build_connector(config, policy=QUICK))
        served = Counter(str(r.status) for r in platforms.servers["shop"].requests)
    [run] = [r for r in queries.runs(store) if r["run_id"] == summary.run_id]
    store.close()

    [(endpoint, figures)] = run["requests"].items()
    assert "orders" in endpoint
    assert figures["statuses"] == dict(sorted(served.items())), "every request the platform saw, by status"
    assert figures["requests"] == sum(served.values())
    assert figures["throttled"] == served["429"] > 0
    assert figures["retries"] == served["429"] + served["503"], "each fault was retried once"
    assert 0 < figures["latency_ms_avg"] <= figures["latency_ms_max"]
    assert totals(run["requests"])["requests"] == figures["requests"]

    shown = tracehub("stats", env={"TRACEHUB_DB_URL": sqlite_url})
    assert shown.returncode == 0, shown.stderr
    assert "429s" in shown.stdout and "retries" in shown.stdout
    listed = json.loads(tracehub("stats", "--json", env={"TRACEHUB_DB_URL": sqlite_url}).stdout)
    [latest] = [r for r in listed["runs"] if r["entity"] == "order"]
    assert latest["requests"] == run["requests"]
