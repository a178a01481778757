"""Build one `sync_<source>` Airflow DAG per configured source.

Parse time stays light: the only I/O is reading the local sources file; connectors, mappings,
GX and the store are imported inside the tasks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, task

from connectors.config import ENTITIES_BY_KIND, SourceConfig, load_sources
from tracehub import settings


def pool_name(source: SourceConfig) -> str:
    """One pool per rate-limited API, so parallel tasks cannot overrun the platform's limit."""
    return f"api_{source.name}"


def build_sync_dag(source: SourceConfig) -> DAG:
    """A DAG with one task per entity, pulled in dependency order (devices before lots ...)."""
    with DAG(
        dag_id=f"sync_{source.name}",
        description=f"Sync {', '.join(source.entities)} from {source.kind} source {source.name!r}",
        schedule=source.schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["tracehub", "sync", source.kind],
        default_args={
            "retries": 3,
            "retry_delay": timedelta(seconds=30),
            "retry_exponential_backoff": True,
            "pool": pool_name(source),
        },
    ) as dag:
        previous = None
        for entity in (e for e in ENTITIES_BY_KIND[source.kind] if e in source.entities):
            current = _sync_task.override(task_id=f"sync_{entity}")(source.name, entity)
            if previous is not None:
                previous >> current
            previous = current
    return dag


@task
def _sync_task(source_name: str, entity: str) -> dict[str, object]:
    """Run one entity sync; the counts go to XCom (never credentials)."""
    from tracehub.runner import run_sync

    return run_sync(source_name, entity)


def build_all() -> dict[str, DAG]:
    """Every configured source's DAG, keyed by dag_id (for the DAG file's globals)."""
    return {f"sync_{s.name}": build_sync_dag(s) for s in load_sources(settings.sources_path()).sources}
