"""What runs after data lands: re-evaluate findings, deliver new critical ones, sum up reconciliation.

Called after every sync (runner and CLI, outside the batch transactions) and by the
`trace_maintenance` Airflow DAG that Asset events of the sync DAGs trigger.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from connectors.config import load_sources
from pipeline import settings
from trace_store.store import Store
from traceability.findings import SourceEntity, refresh_findings
from traceability.reconcile import DEFAULT_SLA_DAYS, reconcile
from traceability.webhook import WebhookError, notify_critical

log = logging.getLogger(__name__)


def configured_sources() -> set[SourceEntity]:
    """(source, entity) pairs of the sources file, when there is one: findings wait for all of them."""
    path = settings.sources_path()
    if not path.exists():
        return set()
    return {(source.name, entity) for source in load_sources(path).sources for entity in source.entities}


def refresh_after_load(
    store: Store, strict: bool = False, sources: Iterable[SourceEntity] | None = None
) -> dict[str, Any]:
    """Refresh findings, then POST new critical ones to the webhook (if configured).

    `sources`: the configured (source, entity) pairs, read from the sources file when not given;
    a new case opens only once they have all synced past its event (traceability/findings.py).
    A webhook failure is logged and reported (`webhook_error`), not raised, unless `strict`: the
    data did load, and undelivered findings are sent again at the next refresh.
    """
    summary = refresh_findings(store, sources=configured_sources() if sources is None else sources)
    out: dict[str, Any] = {**asdict(summary), "skipped_rules": list(summary.skipped_rules), "notified": 0}
    try:
        out["notified"] = notify_critical(store)
    except WebhookError as exc:
        if strict:
            raise
        log.warning("%s", exc)
        out["webhook_error"] = str(exc)
    return out


def reconciliation_summary(store: Store, sla_days: float = DEFAULT_SLA_DAYS) -> dict[str, Any]:
    """Discrepancy counts per kind and the cycle-time figures (small enough for XCom)."""
    result = reconcile(store, sla_days=sla_days)
    return {"checked": result.checked, "counts": result.counts, "figures": asdict(result.figures)}


def run_step(step: str) -> dict[str, Any]:
    """A maintenance step on the configured store (what the Airflow tasks call).

    `findings` is strict: a webhook that keeps failing fails the task, so Airflow retries and alerts.
    """
    steps = {
        "findings": lambda store: refresh_after_load(store, strict=True),
        "reconcile": reconciliation_summary,
    }
    if step not in steps:
        raise LookupError(f"maintenance step {step!r} is unknown; steps: {', '.join(steps)}")
    store = Store.open(settings.db_url())
    try:
        store.require_current_schema()
        return steps[step](store)
    finally:
        store.close()
