"""Quarantine lifecycle on both backends: replay after a mapping fix, accept, reject, and refusals.

Every transition must leave a history row and a hash-chained audit entry naming the actor, and
loads must run through the normal loader inside a run whose counts add up.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from steward_world import defect_ids, order_world, sync_orders, write_rmb_fix

import steward
from mappings import OVERRIDE_ENV
from steward import StewardError
from trace_store import queries
from trace_store.schema import audit_log, quarantine_event, raw_current, sales_order, sync_run


@pytest.fixture(scope="module")
def world():
    return order_world()


def open_rows(store) -> dict[str, dict]:
    rows, total = steward.list_quarantine(store, limit=1000)
    assert total == len(rows)
    return {r["external_id"]: r for r in rows}


def by_defect(world, store, defect: str) -> list[dict]:
    ids = defect_ids(world, defect)
    return [r for ext, r in open_rows(store).items() if ext in ids]


def snapshot(store) -> dict:
    """Everything a refused action must leave as it was."""
    with store.connect() as conn:
        extra = {
            name: [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
            for name, t in (("audit_log", audit_log), ("quarantine_event", quarantine_event), ("sync_run", sync_run))
        }
    return {**queries.dump(store), **extra}


def test_replay_after_mapping_fix_loads_exactly_the_repaired_records(store, world, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path / "home"))
    first = sync_orders(world, store, monkeypatch)
    before = open_rows(store)
    rmb = defect_ids(world, "unknown_currency")
    assert len(rmb) == 2 and rmb <= set(before)
    assert all(r["kind"] == "shopify" for r in before.values())

    # Without a fix a replay changes nothing but the history: every record still fails the same way.
    unfixed = steward.replay(store, actor="integrator", source="shop")
    assert (unfixed.replayed, unfixed.loaded, unfixed.still_failing) == (len(before), 0, len(before))
    assert {k: r["rules"] for k, r in open_rows(store).items()} == {k: r["rules"] for k, r in before.items()}

    monkeypatch.setenv(OVERRIDE_ENV, str(write_rmb_fix(tmp_path / "fix")))
    result = steward.replay(store, actor="integrator")

    assert result.replayed == len(before)
    assert result.loaded == 2 and result.still_failing == len(before) - 2
    assert {before[k]["id"] for k in rmb} == set(result.loaded_ids)
    after = open_rows(store)
    assert set(after) == set(before) - rmb
    for key, row in after.items():  # the others: still open, with the very same reasons
        assert row["rules"] == before[key]["rules"]
        assert row["failures"] == before[key]["failures"]
    with store.connect() as conn:
        loaded = conn.execute(
            sa.select(sales_order.c.external_id, sales_order.c.currency).where(sales_order.c.external_id.in_(rmb))
        ).all()
        assert sorted(loaded) == sorted((k, "CNY") for k in rmb)
        query = sa.select(raw_current.c.external_id, raw_current.c.status).where(raw_current.c.source == "shop")
        statuses = {ext: status for ext, status in conn.execute(query)}
        runs = conn.execute(sa.select(sync_run).order_by(sync_run.c.run_id)).all()
    assert {statuses[k] for k in rmb} == {"loaded"}
    assert {statuses[k] for k in after} == {"quarantined"}
    assert sum(s == "loaded" for s in statuses.values()) == first["loaded"] + 2

    replay_run = next(r for r in runs if r.run_id == result.run_ids[0])
    assert replay_run.status == "success"
    assert (replay_run.pulled, replay_run.unchanged, replay_run.loaded, replay_run.quarantined) == (
        len(before),
        0,
        2,
        len(before) - 2,
    )
    for run in runs:
        assert run.status == "success" and run.pulled == run.unchanged + run.loaded + run.quarantined

    for key in rmb:
        row = steward.get_quarantine(store, before[key]["id"])
        assert row["status"] == "replayed" and row["resolved_by"] == "integrator"
        assert [(h["action"], h["from_status"], h["to_status"]) for h in row["history"]] == [
            ("replay", "open", "open"),
            ("replay", "open", "replayed"),
        ]
        entries = steward.audit_entries(store, entity="order", key=f"shop/{key}")
        assert [e["action"] for e in entries] == ["quarantine.replay", "quarantine.replay"]
        assert all(e["actor"] == "integrator" for e in entries)
        assert entries[0]["details"]["to_status"] == "replayed"
    assert steward.verify_audit(store).ok
    assert (tmp_path / "home" / "data_docs" / "index.html").is_file()

    again = steward.replay(store, actor="integrator")  # replaying the rest again finds nothing new
    assert (again.loaded, again.still_failing) == (0, len(before) - 2)


def test_accept_and_reject(store, world, monkeypatch):
    sync_orders(world, store, monkeypatch)
    zero_qty = sorted(by_defect(world, store, "non_positive_quantity"), key=lambda r: r["id"])
    bad_date = by_defect(world, store, "malformed_date")[0]
    accepted_row, rejected_row = zero_qty

    done = steward.accept(store, accepted_row["id"], reason="  Customer confirmed: a free replacement.  ", actor="sam")
    assert done["status"] == "accepted" and done["raw_status"] == "accepted"
    assert done["resolved_by"] == "sam" and done["resolution_reason"] == "Customer confirmed: a free replacement."
    assert [(h["action"], h["actor"], h["from_status"], h["to_status"]) for h in done["history"]] == [
        ("accept", "sam", "open", "accepted")
    ]
    assert done["history"][0]["details"] == {"overridden_rules": ["qty_positive"]}
    with store.connect() as conn:
        order = conn.execute(
            sa.select(sales_order).where(sales_order.c.external_id == accepted_row["external_id"])
        ).one()
        run = conn.execute(sa.select(sync_run).where(sync_run.c.run_id == done["history"][0]["run_id"])).one()
    assert order.raw_content_hash == accepted_row["content_hash"]
    assert (run.status, run.pulled, run.loaded, run.quarantined) == ("success", 1, 1, 0)
    accepted_list, n = steward.list_quarantine(store, status="accepted")
    assert n == 1 and accepted_list[0]["id"] == accepted_row["id"]

    done = steward.reject(store, rejected_row["id"], reason="Test order, never shipped", actor="sam")
    assert done["status"] == "rejected" and done["raw_status"] == "rejected"
    with store.connect() as conn:
        assert not conn.execute(
            sa.select(sales_order.c.order_number).where(sales_order.c.external_id == rejected_row["external_id"])
        ).first()
    assert steward.replay(store, ids=None, rule="qty_positive", actor="sam").replayed == 0  # nothing open left

    # A record that does not map has nothing to load: accepting it is refused, rejecting it works.
    before = snapshot(store)
    with pytest.raises(StewardError, match="cannot be mapped"):
        steward.accept(store, bad_date["id"], reason="looks fine", actor="sam")
    assert snapshot(store) == before

    audit = steward.audit_entries(store, actor="sam")
    assert [(e["action"], e["key"], e["details"]["to_status"]) for e in audit] == [
        ("quarantine.reject", f"shop/{rejected_row['external_id']}", "rejected"),
        ("quarantine.accept", f"shop/{accepted_row['external_id']}", "accepted"),
    ]
    assert audit[0]["details"]["reason"] == "Test order, never shipped"
    assert steward.verify_audit(store).ok


REFUSALS = [
    ("accept", "x" * 501, "at most 500"),
    ("accept", "<script>alert(1)</script>", "markup"),
    ("reject", "see javascript:alert(1)", "markup"),
    ("reject", "   ", "a reason is required"),
    ("reject", "tab\tok but bell\x07 is not", "control character"),
    ("accept", "ok", "no quarantined record with id 999999"),
    ("replay", "", "no quarantined record with id 999999"),
    ("accept", "ok", "is rejected; only open records can be accepted"),
    ("reject", "ok", "is rejected; only open records can be rejected"),
    ("replay", "", "only open records can be replayed: .* is rejected"),
]


def test_refusals_change_nothing(store, world, monkeypatch):
    sync_orders(world, store, monkeypatch)
    target = by_defect(world, store, "non_positive_quantity")[0]["id"]
    for action, reason, message in REFUSALS:
        if "rejected" in message and steward.get_quarantine(store, target)["status"] == "open":
            steward.reject(store, target, reason="duplicate", actor="sam")
        qid = 999999 if "999999" in message else target
        before = snapshot(store)
        with pytest.raises(StewardError, match=message):
            if action == "replay":
                steward.replay(store, ids=[qid], actor="sam")
            else:
                getattr(steward, action)(store, qid, reason=reason, actor="sam")
        assert snapshot(store) == before, (action, message)


def test_list_filters_and_paging(store, world, monkeypatch):
    sync_orders(world, store, monkeypatch)
    rows, total = steward.list_quarantine(store, source="shop", entity="order", rule="currency_iso4217")
    assert total == 2 and {r["external_id"] for r in rows} == defect_ids(world, "unknown_currency")
    page, total = steward.list_quarantine(store, limit=4, offset=4)
    assert total == 6 and len(page) == 2
    assert steward.list_quarantine(store, rule="mapp")[1] == 0  # a rule name, not a substring
    assert steward.list_quarantine(store, source="warehouse")[1] == 0
    for bad in ({"status": "closed"}, {"limit": 0}, {"offset": -1}):
        with pytest.raises(StewardError):
            steward.list_quarantine(store, **bad)
