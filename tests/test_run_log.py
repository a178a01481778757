"""Every log line of a run names its source, entity and run id, whichever module or thread wrote it."""

from __future__ import annotations

import logging

from platforms import running_platforms

from connectors.http import RetryPolicy
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.server import Faults
from simulators.world import generate_world
from trace_store.store import Store

QUICK = RetryPolicy(initial_wait=0.02, max_wait=0.3)


def test_every_line_of_a_run_carries_its_run(sqlite_url, monkeypatch, caplog):
    """One backend is enough: the stamping is the logging's, not the store's."""
    store = Store.open(sqlite_url)
    store.upgrade()
    world = generate_world(81, 0.1)
    commit = store.commit_batch

    def logged_commit(batch):  # runs in the loader thread, not the caller's
        logging.getLogger("trace_store.loader").info("committing %d records", len(batch.records))
        return commit(batch)

    monkeypatch.setattr(store, "commit_batch", logged_commit)
    caplog.set_level(logging.INFO)
    with running_platforms(
        world, monkeypatch, faults=Faults(rate=0.5, seed=1, kinds=("429",)), page_size=5
    ) as platforms:
        config = platforms.configs["shop"]
        summary = sync(config, "order", store, build_connector(config, policy=QUICK))
        logging.getLogger("pipeline.sync").info("after the run")

    ours = [r for r in caplog.records if r.name.split(".")[0] in ("connectors", "pipeline", "trace_store")]
    during = [r for r in ours if r.getMessage() != "after the run"]
    assert any(r.name == "trace_store.loader" for r in during), "the loader thread logged"
    assert any(r.name.startswith("connectors") for r in during), "the retried 429s were logged"
    for record in during:
        assert (record.tracehub_source, record.tracehub_entity, record.tracehub_run_id) == (
            "shop",
            "order",
            summary.run_id,
        ), record.getMessage()
        assert record.getMessage().startswith(f"[shop/order run {summary.run_id}] ")
    [after] = [r for r in ours if r.getMessage() == "after the run"]
    assert not hasattr(after, "tracehub_run_id"), "outside a run nothing is stamped"
