"""Build one `sync_<source>` Airflow DAG per configured source.

Parse time stays light: the only I/O is reading the local sources file; connectors, mappings,
GX and the store are imported inside the tasks.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, AssetAny, task

from connectors.config import ENTITIES_BY_KIND, SourceConfig, load_sources
from pipeline import settings


def entity_asset(entity: str) -> Asset:
    """The store's rows of one canonical entity: every successful sync of it emits an event."""
    return Asset(f"tracehub://store/{entity}")


def store_assets() -> list[Asset]:
    """One asset per canonical entity any platform kind delivers (static: no I/O)."""
    return [entity_asset(e) for e in sorted({e for kind in ENTITIES_BY_KIND.values() for e in kind})]


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
            current = _sync_task.override(task_id=f"sync_{entity}", outlets=[entity_asset(entity)])(source.name, entity)
            if previous is not None:
                previous >> current
            previous = current
    return dag


@task
def _sync_task(source_name: str, entity: str) -> dict[str, object]:
    """Run one entity sync; the counts go to XCom (never credentials)."""
    from pipeline.runner import run_sync

    return run_sync(source_name, entity)


def build_all() -> dict[str, DAG]:
    """Every configured source's DAG, keyed by dag_id (for the DAG file's globals)."""
    return {f"sync_{s.name}": build_sync_dag(s) for s in load_sources(settings.sources_path()).sources}


MAINTENANCE_DAG_ID = "trace_maintenance"


def build_maintenance_dag() -> DAG:
    """Re-evaluate findings (and notify), then sum up reconciliation, whenever any entity's rows change."""
    with DAG(
        dag_id=MAINTENANCE_DAG_ID,
        description="Refresh findings and reconciliation after any sync updated the store",
        schedule=AssetAny(*store_assets()),
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["tracehub", "maintenance"],
        default_args={"retries": 2, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": True},
    ) as dag:
        findings = _maintenance_task.override(task_id="refresh_findings")("findings")
        findings >> _maintenance_task.override(task_id="reconcile")("reconcile")
    return dag


@task
def _maintenance_task(step: str) -> dict[str, object]:
    """One maintenance step on the configured store; its summary goes to XCom."""
    from pipeline.maintenance import run_step

    return run_step(step)
