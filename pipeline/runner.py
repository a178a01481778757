"""Run a sync by source name: what an Airflow task calls.

A task checks that the store's schema is current (migrating is a deploy step) and leaves
findings to the `trace_maintenance` DAG, which the sync's Asset event starts only when the
sync changed the store.
"""

from __future__ import annotations

from connectors.config import load_sources
from connectors.registry import build_connector
from pipeline import settings
from pipeline.sync import sync
from trace_store.store import Store


def run_sync(source_name: str, entity: str) -> dict[str, object]:
    """Sync one entity of a configured source into the configured store; return the counts."""
    from quality_checks.data_docs import refresh_data_docs  # GX: loaded when a task runs, not when a DAG parses

    source = load_sources(settings.sources_path()).get(source_name)
    store = Store.open(settings.db_url())
    try:
        store.require_current_schema()
        counts = sync(source, entity, store, build_connector(source)).as_dict()
        refresh_data_docs(settings.data_docs_dir())  # this run's GX results: once per run, never per batch
        return counts
    finally:
        store.close()
