"""Findings of the demo world over one full sync cycle: none opens and then resolves (no churn).

The sources sync one after another, ERP first, and findings are re-evaluated after each source,
as `tracehub sync <source>` and the `trace_maintenance` DAG do. A finding opened after the ERP
synced and resolved once the warehouse did would be noise a steward has to read; findings are
evaluated only once every source entity their rule depends on has synced past the event.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from platforms import SOURCES, running_platforms

from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.world import generate_world
from trace_store.schema import finding
from traceability.findings import FindingConfig, refresh_findings

DEMO_SEED, DEMO_SCALE = 7, 1.0
"""What `make demo` runs (tracehub demo's defaults)."""


def churn(store, platforms) -> tuple[int, int, list[dict]]:
    """Sync every source in order, refreshing findings after each; (churned, opened, refreshes)."""
    started = datetime.now(UTC)
    configured = {(name, entity) for name, config in platforms.configs.items() for entity in config.entities}
    summaries = []
    for name in SOURCES:
        config = platforms.configs[name]
        connector = build_connector(config)
        for entity in config.entities:
            sync(config, entity, store, connector)
        summaries.append(refresh_findings(store, FindingConfig(), sources=configured))
    f = finding.c
    with store.connect() as conn:
        opened = conn.execute(sa.select(sa.func.count()).where(f.first_seen_at >= started)).scalar_one()
        churned = conn.execute(
            sa.select(sa.func.count()).where(f.first_seen_at >= started, f.resolved_at.is_not(None))
        ).scalar_one()
    return churned, opened, summaries


@pytest.mark.slow
def test_one_demo_sync_cycle_opens_no_finding_that_then_resolves(store, monkeypatch):
    with running_platforms(generate_world(DEMO_SEED, DEMO_SCALE), monkeypatch) as platforms:
        churned, opened, summaries = churn(store, platforms)
    print(f"\nfindings churn over one demo sync cycle: {churned} of {opened} opened then resolved; {summaries}")
    assert opened > 0, "the demo world plants cases that hold"
    assert churned == 0
