"""End to end through the pipeline over real HTTP: exact quarantine, exact traces, idempotent re-runs."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal

import pytest
from platforms import KIND_TO_SOURCE, comparable, running_platforms, sync_all

from simulators.server import Faults
from simulators.world import expected_trace, generate_world
from trace_store import queries

SEEDS = [11, 23]


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def world(request):
    return generate_world(request.param, 0.4)


def expected_quarantine(world) -> dict[tuple[str, str, str], list[str]]:
    return {
        (KIND_TO_SOURCE[d["platform"]], d["entity"], d["external_id"]): sorted(d["rules"])
        for d in world.defect_plan
        if d["expect"] == "quarantine"
    }


def actual_quarantine(store) -> dict[tuple[str, str, str], list[str]]:
    return {
        (row["source"], row["entity"], row["external_id"]): sorted({f["rule"] for f in row["failures"]})
        for row in queries.quarantine_rows(store)
    }


def delivered(deliveries) -> Counter:
    """Units per (customer, shipment): the comparable core of a trace."""
    totals: Counter = Counter()
    for d in deliveries:
        customer = d["customer"] if isinstance(d, dict) else d.customer
        shipment = d["shipment_id"] if isinstance(d, dict) else d.shipment_id
        qty = d["qty"] if isinstance(d, dict) else d.qty
        totals[(customer, str(shipment))] += Decimal(str(qty))
    return totals


def test_sync_matches_ground_truth_and_defect_plan(store, world, monkeypatch):
    with running_platforms(world, monkeypatch) as platforms:
        results = sync_all(platforms, store)

    for r in results:
        assert r["pulled"] == r["unchanged"] + r["loaded"] + r["quarantined"], r
    assert actual_quarantine(store) == expected_quarantine(world)

    truth = expected_trace(world)
    assert truth["lots"], "the world ships lots"
    for key, deliveries in truth["lots"].items():
        gtin, lot = key.split("|", 1)
        assert delivered(queries.trace_lot(store, gtin, lot)) == delivered(deliveries), key
    for key, deliveries in truth["serials"].items():
        gtin, serial = key.split("|", 1)
        assert delivered(queries.trace_serial(store, gtin, serial)) == delivered(deliveries), key


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full-window"])
def test_rerun_loads_nothing_and_changes_nothing(store, world, monkeypatch, full):
    with running_platforms(world, monkeypatch) as platforms:
        first = sync_all(platforms, store)
        before = queries.dump(store)
        again = sync_all(platforms, store, full=full)
    assert all(r["loaded"] == 0 and r["quarantined"] == 0 for r in again), again
    assert all(r["unchanged"] == r["pulled"] for r in again), again
    if full:
        assert [r["pulled"] for r in again] == [r["pulled"] for r in first]
    assert queries.dump(store) == before


def test_faulted_platforms_end_with_the_same_store(store, world, monkeypatch, tmp_path):
    from trace_store.store import Store

    clean = Store.open(f"sqlite:///{tmp_path / 'clean.db'}")
    clean.upgrade()
    with running_platforms(world, monkeypatch, timeout_seconds=0.5, page_size=10) as platforms:
        sync_all(platforms, clean)
    faults = Faults(rate=0.2, seed=5, slow_seconds=1.0)
    with running_platforms(world, monkeypatch, faults=faults, timeout_seconds=0.5, page_size=10) as platforms:
        sync_all(platforms, store)
        logs = {name: list(server.requests) for name, server in platforms.servers.items()}

    assert comparable(queries.dump(store)) == comparable(queries.dump(clean))
    clean.close()
    faulted = [e for entries in logs.values() for e in entries if e.fault]
    assert len(faulted) > 10, "the fault injection ran"
    for name, entries in logs.items():
        for before, after in itertools.pairwise(entries):
            if before.retry_after is not None:
                assert after.at >= before.at + before.retry_after - 0.01, (name, before, after)
