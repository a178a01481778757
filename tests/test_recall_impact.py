"""Recall impact against the ground truth of generated worlds synced through the pipeline.

For every finished lot: consignees and quantities, returns, and the mass balance (which closes
for every lot except the planted gap and the units of quarantined shipments). Component lots
reach the finished lots made from them and their consignees; serials reach their consignee.
"""

from __future__ import annotations

import gc
import threading
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from conftest import _truncate
from platforms import running_platforms, sync_all

from simulators.world import expected_genealogy, expected_mass_balance, expected_trace, generate_world
from trace_store import audit
from trace_store.store import Store
from traceability import recall

WORLDS = [(11, True), (23, False)]
"""(seed, studio): the demo customer's Odoo with Studio fields, and a standard install."""


@pytest.fixture(scope="module", params=WORLDS, ids=[f"seed{s}-{'studio' if st else 'standard'}" for s, st in WORLDS])
def world(request):
    return generate_world(request.param[0], 0.4, studio=request.param[1])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def synced(request, world, tmp_path_factory):
    """The world synced through the pipeline once per backend; tests add recalls to it."""
    if request.param == "sqlite":
        store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('recall') / 'store.db'}")
        store.upgrade()
    else:
        store = Store.open(request.getfixturevalue("_pg_store_url"))
        _truncate(store)
    with pytest.MonkeyPatch.context() as monkeypatch, running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
    yield store
    store.close()


def shipped_by_customer(report) -> Counter:
    return Counter({c.name: c.shipped for c in report.consignees if c.deliveries})


def truth_by_customer(deliveries) -> Counter:
    totals: Counter = Counter()
    for d in deliveries:
        totals[d["customer"]] += Decimal(d["qty"])
    return totals


def test_recall_impact_equals_ground_truth_for_every_lot(synced, world):
    store = synced
    trace = expected_trace(world)
    balances = expected_mass_balance(world)
    returns = world.ground_truth["returns"]
    planted = [k for k, b in world.ground_truth["mass_balance"].items() if b["unaccounted"]]
    assert len(planted) == 1

    gaps = {}
    for key, expected in balances.items():
        gtin, lot = key.split("|", 1)
        report = recall.impact(store, recall.create_recall(store, gtin, [lot], reason="test", actor="qa"))
        assert shipped_by_customer(report) == truth_by_customer(trace["lots"].get(key, [])), key
        # every consignee can be reached: ERP partners (archived ones too) and drop-ship clinics alike
        assert all(c.email and c.phone and c.person for c in report.consignees if c.deliveries), key
        returned = Counter({c.name: c.returned for c in report.consignees if c.returns})
        assert returned == truth_by_customer(returns.get(key, [])), key
        (row,) = [m for m in report.mass_balance if (m.gtin, m.lot) == (gtin, lot)]
        for name in ("produced", "shipped", "returned", "on_hand", "scrapped", "unaccounted"):
            assert getattr(row, name) == expected[name], (key, name)
        assert row.produced == row.at_customers + row.returned + row.on_hand + row.scrapped + row.unaccounted
        assert sum(s.on_hand for s in report.stock if (s.gtin, s.lot) == (gtin, lot)) == expected["on_hand"]
        if row.unaccounted:
            gaps[key] = row.unaccounted
    quarantined = {k for k, b in balances.items() if b["shipped"] != world.ground_truth["mass_balance"][k]["shipped"]}
    assert set(gaps) == set(planted) | quarantined
    (gap_key,) = planted
    expected_gap = world.ground_truth["mass_balance"][gap_key]["unaccounted"]
    assert gaps[gap_key] - (balances[gap_key]["unaccounted"] - expected_gap) == expected_gap > 0


def test_component_lot_recall_reaches_finished_lots_and_their_consignees(synced, world):
    store = synced
    forward = expected_genealogy(world)["forward"]
    assert any(e == "inferred" for node in forward.values() for e in node["finished"].values())
    for key, node in forward.items():
        gtin, lot = key.split("|", 1)
        report = recall.impact(store, recall.create_recall(store, gtin, [lot], reason="supplier", actor="qa"))
        downstream = {
            a.key: "produced_from" if a.confidence == "recorded" else "inferred" for a in report.lots if a.depth
        }
        assert downstream == node["finished"], key
        assert all(a.made_from == [key] for a in report.lots if a.depth == 1)
        expected = Counter({c: sum(Decimal(q) for q in per.values()) for c, per in node["customers"].items()})
        assert shipped_by_customer(report) == expected, key
        inferred = {k for k, e in node["finished"].items() if e == "inferred"}
        for c in report.consignees:
            for d in c.deliveries:
                assert d.confidence == ("inferred" if f"{d.gtin}|{d.lot}" in inferred else "recorded")
        assert {f"{m.gtin}|{m.lot}" for m in report.mass_balance} == set(node["finished"]) | {key}


@pytest.mark.parametrize("enabled", [True, False], ids=["collector-on", "collector-off"])
def test_a_report_leaves_the_garbage_collector_as_it_found_it(synced, world, enabled):
    """Reports hold the collector off while they build; concurrent ones hand it back once, as found."""
    store = synced
    gtin, lot = next(iter(expected_genealogy(world)["forward"])).split("|", 1)
    recall_id = recall.create_recall(store, gtin, [lot], reason="supplier", actor="qa", allow_duplicate=True)
    seen: list[bool] = []
    inside = threading.Barrier(2)
    real_consignees = recall._consignees

    def consignees(*args):
        seen.append(gc.isenabled())
        inside.wait(timeout=30)  # both reports are building at once
        return real_consignees(*args)

    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(recall, "_consignees", consignees)
            other = threading.Thread(target=recall.impact, args=(store, recall_id))
            other.start()
            report = recall.impact(store, recall_id)
            other.join()
        assert report.consignees
        assert seen == [False, False]
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_serial_recall_names_the_consignee_of_each_unit(synced, world):
    store = synced
    serials = expected_trace(world)["serials"]
    assert serials
    by_gtin: dict[str, list[str]] = defaultdict(list)
    for key in sorted(serials)[:: max(1, len(serials) // 15)]:
        gtin, serial = key.split("|", 1)
        by_gtin[gtin].append(serial)
    for gtin, chosen in by_gtin.items():
        report = recall.impact(store, recall.create_recall(store, gtin, serials=chosen, reason="field", actor="qa"))
        expected: Counter = Counter()
        for serial in chosen:
            expected += truth_by_customer(serials[f"{gtin}|{serial}"])
        assert shipped_by_customer(report) == expected
        delivered = sorted(s for c in report.consignees for d in c.deliveries for s in d.serials)
        assert delivered == sorted(chosen)
        for serial in chosen:
            assert recall.is_recalled(store, gtin, serial=serial)


def test_create_marks_audits_and_lists(synced, world):
    store = synced
    key = next(k for k in expected_trace(world)["lots"])
    gtin, lot = key.split("|", 1)
    other = next(k.split("|", 1)[1] for k in world.ground_truth["mass_balance"] if k.startswith(gtin) and k != key)
    before = [r.recall_id for r in recall.list_recalls(store)]
    # the test before recalled every lot of this store: these are deliberate second recalls
    first = recall.create_recall(store, gtin, [lot], reason="  sterility breach ", actor="alice", allow_duplicate=True)
    second = recall.create_recall(store, gtin, [other], reason="label error", actor="bob", allow_duplicate=True)
    assert recall.is_recalled(store, gtin, lot=lot) and recall.is_recalled(store, gtin, lot=other)
    assert not recall.is_recalled(store, gtin, lot="NO-SUCH-LOT")
    assert not recall.is_recalled(store, gtin, serial="SN-NOT-RECALLED")
    assert [r.recall_id for r in recall.list_recalls(store)] == [second, first, *before]
    got = recall.get_recall(store, first)
    assert (got.reason, got.created_by, got.status, got.items) == (
        "sterility breach",
        "alice",
        "open",
        [recall.RecallItem(gtin, lot=lot)],
    )
    with store.connect() as conn:
        entries = conn.execute(
            audit.audit_log.select().where(audit.audit_log.c.action == "recall.create").order_by(audit.audit_log.c.seq)
        ).all()
        assert audit.verify(conn).ok
    mine = {e.key: e for e in entries if e.key in (str(first), str(second))}
    assert [(e.actor, e.key) for e in mine.values()] == [("alice", str(first)), ("bob", str(second))]
    assert mine[str(first)].details["items"] == [{"gtin": gtin, "lot": lot, "serial": None}]
    with pytest.raises(LookupError, match="no recall 999"):
        recall.get_recall(store, 999)


BAD_REQUESTS = [
    ("06951234500016", ["L2601-A/01"], [], " ", "needs a reason"),
    ("06951234500016", [], [], "why", "at least one lot"),
    ("09999999999993", ["L1"], [], "why", "GTIN 09999999999993 is not a device"),
    ("06951234500016", ["L2601-A/01", "NO-SUCH-LOT"], [], "why", "no lot 'NO-SUCH-LOT'"),
    ("06951234500016", [], ["SN404"], "why", "no serial 'SN404'"),
]


def test_bad_requests_are_refused_and_write_nothing(synced, world):
    store = synced
    with store.connect() as conn:
        entries = audit.verify(conn).checked
    before = recall.list_recalls(store)
    for gtin, lots, serials, reason, message in BAD_REQUESTS:
        with pytest.raises(recall.RecallError, match=message):
            recall.create_recall(store, gtin, lots, serials, reason=reason, actor="qa")
    assert recall.list_recalls(store) == before
    with store.connect() as conn:
        assert audit.verify(conn).checked == entries
