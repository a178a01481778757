"""A sync holds the batches in hand, not every batch it has landed (architecture rule 9)."""

from __future__ import annotations

import gc
from pathlib import Path

from benchmarks.compare import SOURCES, Corpus, ReplayConnector, fresh_store, source_config
from data_dictionary.models import Shipment
from pipeline.sync import RunSummary, sync


def test_each_batch_is_freed_once_the_next_one_is_prepared(tmp_path: Path) -> None:
    """GX's own validation errors leave reference cycles that reach the sync's frames, so a landed
    batch is garbage only the collector frees. Each batch is swept before the next is prepared, so the
    shipments alive when a batch has landed stay within a few batches, however many have landed."""
    name, kind, entity = SOURCES[0]
    records = [r for page in Corpus.generate(4000).pages[name] for r in page]
    pages = [records[start : start + 50] for start in range(0, len(records), 50)]
    config = source_config(name, kind, entity).model_copy(update={"batch_records": 50})
    store = fresh_store(f"sqlite:///{tmp_path / 'store.db'}")
    alive: list[int] = []

    def on_batch(summary: RunSummary) -> None:
        alive.append(sum(1 for o in gc.get_objects() if isinstance(o, Shipment)))

    try:
        summary = sync(config, entity, store, ReplayConnector(name, pages), on_batch=on_batch)
    finally:
        store.close()
    most = max(len(r.payload.get("shipments") or []) for r in records)
    assert summary.loaded > 500 and len(alive) >= 10
    assert max(alive) <= 3 * 50 * most, alive  # the batch landed, the one prepared, and no more than one more
