"""Build one `sync_<source>` Airflow DAG per configured source, `push_<shop>` DAGs and the `trace_maintenance` DAG.

Parse time stays light: the only I/O is reading the local sources file; connectors, mappings,
GX and the store are imported inside the tasks. A sync task emits its entity's Asset event only
when it loaded something, so `trace_maintenance` runs after changes, not after every cycle.
Errors are sorted once (`outcome`): a permanent one fails the task at once, a platform or a
live run asking to wait reschedules it without holding a worker slot, the rest retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, AssetAlias, AssetAny, task
from airflow.sdk.bases.notifier import BaseNotifier

from connectors.config import ENTITIES_BY_KIND, SourceConfig, load_sources
from pipeline import settings


def entity_asset(entity: str) -> Asset:
    """The store's rows of one canonical entity: every successful sync of it emits an event."""
    return Asset(f"tracehub://store/{entity}")


def store_assets() -> list[Asset]:
    """One asset per canonical entity any platform kind delivers (static: no I/O)."""
    return [entity_asset(e) for e in sorted({e for kind in ENTITIES_BY_KIND.values() for e in kind})]


def changes_alias(source_name: str, entity: str) -> AssetAlias:
    """Through which a sync task emits its entity's Asset event, only when it loaded something."""
    return AssetAlias(f"tracehub-changes-{source_name}-{entity}")


def pool_name(source: SourceConfig) -> str:
    """One pool per rate-limited API, so parallel tasks cannot overrun the platform's limit."""
    return f"api_{source.name}"


def _source_dag(source: SourceConfig, purpose: str, description: str) -> DAG:
    """`<purpose>_<source>` on the source's schedule and API pool: one run at a time, retried with backoff."""
    return DAG(
        dag_id=f"{purpose}_{source.name}",
        description=description,
        schedule=source.schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["tracehub", purpose, source.kind],
        default_args={
            "retries": 3,
            "retry_delay": timedelta(seconds=30),
            "retry_exponential_backoff": True,
            "pool": pool_name(source),
        },
    )


def build_sync_dag(source: SourceConfig) -> DAG:
    """A DAG with one task per entity, pulled in dependency order (devices before lots ...)."""
    description = f"Sync {', '.join(source.entities)} from {source.kind} source {source.name!r}"
    with _source_dag(source, "sync", description) as dag:
        previous = None
        for entity in (e for e in source.served() if e in source.entities):
            current = _sync_task.override(
                task_id=f"sync_{entity}",
                outlets=[changes_alias(source.name, entity)],
                on_failure_callback=SyncFailedNotifier(source.name, entity),
            )(source.name, entity)
            if previous is not None:
                previous >> current
            previous = current
    return dag


class SyncFailedNotifier(BaseNotifier):
    """Raises the `sync_failed` alert of a source entity when its sync task failed for good."""

    def __init__(self, source_name: str, entity: str) -> None:
        super().__init__()
        self.source_name, self.entity = source_name, entity

    def notify(self, context: Any) -> None:
        from pipeline.alerts import sync_failed
        from trace_store.store import Store

        error = context.get("exception")
        store = Store.open(settings.db_url())
        try:
            sync_failed(store, self.source_name, self.entity, f"{type(error).__name__}: {error}" if error else "failed")
        finally:
            store.close()


BUSY_RETRY = timedelta(minutes=1)
"""When another run holds a source entity's lock, the task looks again after this long."""


@task
def _sync_task(source_name: str, entity: str, outlet_events: Any = None) -> dict[str, object]:
    """Run one entity sync; the counts go to XCom (never credentials), the Asset event only on a change."""
    from pipeline.runner import run_sync

    with outcome():
        counts = run_sync(source_name, entity)
    if int(str(counts["loaded"])) > 0 and outlet_events is not None:
        outlet_events[changes_alias(source_name, entity)].add(entity_asset(entity))
    return counts


@contextmanager
def outcome() -> Iterator[None]:
    """Permanent errors fail the task at once; a platform or a live run asking to wait reschedules it.

    Anything else is raised as it is, for the task's bounded retries (architecture rule 5).
    """
    from airflow.sdk.exceptions import AirflowFailException, AirflowRescheduleException

    from connectors.errors import PERMANENT, DeferSync
    from trace_store.errors import SchemaNotCurrent, SyncInProgress
    from traceability.findings import FindingConfigError

    fail_at_once: tuple[type[Exception], ...] = (*PERMANENT, SchemaNotCurrent, FindingConfigError, LookupError)
    try:
        yield
    except fail_at_once as exc:
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from None
    except DeferSync as exc:
        raise AirflowRescheduleException(datetime.now(UTC) + timedelta(seconds=exc.retry_after)) from None
    except SyncInProgress:
        raise AirflowRescheduleException(datetime.now(UTC) + BUSY_RETRY) from None


def build_all() -> dict[str, DAG]:
    """Every configured source's DAG, keyed by dag_id (for the DAG file's globals)."""
    return {f"sync_{s.name}": build_sync_dag(s) for s in load_sources(settings.sources_path()).sources}


def build_push_dag(source: SourceConfig) -> DAG:
    """`push_<source>`: tracking numbers of shipped shipments to a shop, on the shop source's schedule."""
    description = f"Push tracking numbers and carriers of shipped shipments to {source.kind} source {source.name!r}"
    with _source_dag(source, "push", description) as dag:
        _push_task.override(task_id="push_fulfilments")(source.name)
    return dag


@task
def _push_task(source_name: str) -> dict[str, object]:
    """Run one source's write-back; the counts go to XCom. A refused push fails the task without retries."""
    from pipeline.runner import PushFailed, run_push

    with outcome():
        try:
            return run_push(source_name)
        except PushFailed as exc:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(str(exc)) from None


PUSH_KINDS = ("shopify", "woocommerce")
"""Source kinds that take write-back (write_back.run.DESTINATION_KINDS; not imported at parse time)."""


def build_push_all() -> dict[str, DAG]:
    """One `push_<source>` DAG per configured shop source."""
    shops = [s for s in load_sources(settings.sources_path()).sources if s.kind in PUSH_KINDS]
    return {f"push_{s.name}": build_push_dag(s) for s in shops}


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

    with outcome():
        return run_step(step)


HEALTH_DAG_ID = "tracehub_health"


def build_health_dag(schedule: str = "*/10 * * * *") -> DAG:
    """Evaluate the alerts (stale sources, quarantine spikes, recoveries) on a schedule of its own."""
    with DAG(
        dag_id=HEALTH_DAG_ID,
        description="Open and resolve operational alerts from the run ledger, and announce them",
        schedule=schedule,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        catchup=False,
        max_active_runs=1,
        tags=["tracehub", "health"],
        default_args={"retries": 1, "retry_delay": timedelta(minutes=1)},
    ) as dag:
        _health_task.override(task_id="evaluate_alerts")()
    return dag


@task
def _health_task() -> dict[str, object]:
    """Evaluate the alerts of every configured source; the summary goes to XCom."""
    from pipeline.alerts import evaluate
    from trace_store.store import Store

    with outcome():
        store = Store.open(settings.db_url())
        try:
            store.require_current_schema()
            result = evaluate(store, load_sources(settings.sources_path()))
        finally:
            store.close()
    if result.send_error:
        raise RuntimeError(result.send_error)  # retried; the announcements stay pending until delivered
    return {"opened": result.opened, "resolved": result.resolved, "sent": result.sent}
