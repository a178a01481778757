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


def run_push(source_name: str) -> dict[str, object]:
    """Push a shop source's shipped tracking numbers (write_back/); the outcome counts, for XCom.

    A push the shop refused is counted and audited, and fails the task once the others are done.
    """
    from write_back.run import push_source

    source = load_sources(settings.sources_path()).get(source_name)
    store = Store.open(settings.db_url())
    try:
        store.require_current_schema()
        outcomes = push_source(store, source)
    finally:
        store.close()
    counts: dict[str, object] = {"pushed": 0, "recovered": 0, "failed": 0}
    for done in outcomes:
        counts[done.outcome] = int(str(counts[done.outcome])) + 1
    failed = [f"order {o.push.shipped.order_number}: {o.error}" for o in outcomes if o.error]
    if failed:
        raise PushFailed(f"source {source_name!r}: {len(failed)} push(es) refused by the shop; first: {failed[0]}")
    return counts


class PushFailed(Exception):
    """The shop refused some pushes (their reasons are in the ledger and the audit log)."""
