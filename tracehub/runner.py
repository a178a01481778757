"""Run a sync by source name: what Airflow tasks and the CLI both call."""

from __future__ import annotations

from collections.abc import Callable

from connectors.config import load_sources
from connectors.registry import build_connector
from trace_store.store import Store
from tracehub import settings
from tracehub.pipeline import RunSummary, sync


def run_sync(
    source_name: str,
    entity: str,
    on_batch: Callable[[RunSummary], None] | None = None,
) -> dict[str, object]:
    """Sync one entity of a configured source into the configured store; return the counts."""
    source = load_sources(settings.sources_path()).get(source_name)
    store = Store.open(settings.db_url())
    try:
        store.upgrade()
        return sync(source, entity, store, build_connector(source), on_batch).as_dict()
    finally:
        store.close()
