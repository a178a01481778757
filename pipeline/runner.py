"""Run a sync by source name: what Airflow tasks and the CLI both call."""

from __future__ import annotations

from collections.abc import Callable

from connectors.config import load_sources
from connectors.registry import build_connector
from pipeline import settings
from pipeline.maintenance import refresh_after_load
from pipeline.sync import RunSummary, sync
from trace_store.store import Store


def run_sync(
    source_name: str,
    entity: str,
    on_batch: Callable[[RunSummary], None] | None = None,
) -> dict[str, object]:
    """Sync one entity of a configured source into the configured store; return the counts.

    Findings are refreshed after the sync (outside its batch transactions), under key `findings`.
    """
    from quality_checks.data_docs import refresh_data_docs  # GX: loaded when a task runs, not when a DAG parses

    source = load_sources(settings.sources_path()).get(source_name)
    store = Store.open(settings.db_url())
    try:
        store.upgrade()
        counts = sync(source, entity, store, build_connector(source), on_batch).as_dict()
        counts["findings"] = refresh_after_load(store)
        refresh_data_docs(
            settings.data_docs_dir()
        )  # GX results of this run, for stewards: once per run, never per batch
        return counts
    finally:
        store.close()
