"""Each demo world synced as the demo configures it, over loopback HTTP and files, without Airflow.

The sources file is the demo's own (`serve_world`); every source is synced through the pipeline in
the demo's order, and the store must trace each lot and serial to the customers the ground truth
names, with exactly the planted defects in quarantine.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import pytest
from world_defects import planted_quarantine

from connectors.config import load_sources
from connectors.registry import build_connector
from pipeline.sync import sync
from simulators.world import World, expected_trace, generate_world
from trace_store import queries
from trace_store.store import Store
from traceability.deliveries import trace_lot, trace_serial
from tracehub.demo import WORLDS, serve_world, token_env

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(5, 0.3)


def _sync_world(name: str, world: World, home: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Serve world `name` as the demo does and sync every source, ERP first, into a new SQLite store."""
    for source in WORLDS[name]:
        monkeypatch.setenv(token_env(source), "")  # restored after the test; serve_world sets the real one
    store = Store.open(f"sqlite:///{home / 'tracehub.db'}")
    store.upgrade()
    with ExitStack() as stack:
        sources = load_sources(serve_world(stack, name, world, home))
        assert [s.name for s in sources.sources] == list(WORLDS[name])
        for config in sources.sources:
            connector = build_connector(config)
            for entity in config.entities:
                result = sync(config, entity, store, connector).as_dict()
                assert result["pulled"] == result["unchanged"] + result["loaded"] + result["quarantined"], result
                assert result["loaded"] > 0, (config.name, entity)
    return store


def _traced(store: Store, kind: str, key: str) -> Counter[tuple[str | None, str | None]]:
    gtin, code = key.split("|", 1)
    trace = trace_lot if kind == "lots" else trace_serial
    return Counter({(d.customer, d.order_number): d.qty for d in trace(store, gtin, code)})


@pytest.mark.parametrize("name", list(WORLDS))
def test_each_demo_world_traces_the_ground_truth_and_quarantines_the_planted_defects(
    name: str, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _sync_world(name, world, tmp_path, monkeypatch)
    try:
        # No world needs the trace adjusted: the 3PL's files carry every lot and serial ShipBob does, and
        # what ERPNext lacks (Batch: a lot's expiry and production date) costs only the lot-master defect.
        expected = expected_trace(world)
        checked = 0
        for kind in ("lots", "serials"):
            for key in world.ground_truth[kind]:
                want: Counter[tuple[str | None, str | None]] = Counter()
                for d in expected[kind].get(key, []):
                    want[(d["customer"], d["order_number"])] += Decimal(d["qty"])
                assert _traced(store, kind, key) == want, (kind, key)
                checked += bool(want)
        assert checked > 60, "the world ships many lots and serials"

        held = Counter(
            (row["source"], row["entity"], rule)
            for row in queries.quarantine_rows(store)
            for rule in sorted({f["rule"] for f in row["failures"]})
        )
        planted = planted_quarantine(name, world.defect_plan)
        assert held == planted, held
        assert {source for source, _, _ in planted} == set(WORLDS[name]), "every source has its planted defects"
    finally:
        store.close()
