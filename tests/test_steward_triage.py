"""Quarantine triage and corrections on both backends, over a real synced world.

Groups count what the list shows; rows carry the business key the mapping made; a newer version
closes the older row as superseded, linked to its successor; bulk decisions touch exactly the
filtered set, one audit entry per record; a correction is re-validated by the suite before it
loads, survives a re-sync of the same version and is superseded (and flagged) by a platform change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from platforms import running_platforms
from steward_world import defect_ids, order_world

import steward
from steward import CorrectionFailed, StewardError
from trace_store import queries
from trace_store.schema import audit_log, quarantine_correction, raw_current, sales_order


@pytest.fixture
def world():
    return order_world()


def sync_orders(platforms, store, full: bool = False) -> dict:
    from connectors.registry import build_connector
    from pipeline.sync import sync

    config = platforms.configs["shop"]
    return sync(config, "order", store, build_connector(config), full=full).as_dict()


def open_by_external_id(store) -> dict[str, dict]:
    rows, _ = steward.list_quarantine(store, limit=1000)
    return {r["external_id"]: r for r in rows}


def audit_actions(store) -> list[tuple[str, str]]:
    with store.connect() as conn:
        return [(r.action, r.key) for r in conn.execute(sa.select(audit_log.c.action, audit_log.c.key))]


def test_groups_count_the_list_and_rows_carry_message_value_and_business_key(store, world, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    with running_platforms(world, monkeypatch) as platforms:
        sync_orders(platforms, store)
    groups = steward.quarantine_groups(store)
    assert groups, "the world quarantines orders"
    for group in groups:
        _, total = steward.list_quarantine(store, rule=group["rule"], source=group["source"], entity=group["entity"])
        assert total == group["count"], group
    rows = open_by_external_id(store)
    by_order = {o["id"]: o for o in world.shopify_orders}
    for ext in defect_ids(world, "unknown_currency"):
        row = rows[ext]
        assert row["business_key"] == [["order_number", by_order[int(ext)]["name"].lstrip("#")]]
        (failure,) = row["failures"]
        assert (failure["rule"], failure["field"], failure["value"]) == ("currency_iso4217", "currency", "RMB")
        assert "RMB" in failure["message"]
    for ext in defect_ids(world, "malformed_date"):
        assert rows[ext]["business_key"] == [], "an unmapped payload has no business key to show"


def test_a_newer_version_supersedes_the_open_row_and_links_it(store, world, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    rmb, fixed = sorted(defect_ids(world, "unknown_currency"))
    with running_platforms(world, monkeypatch) as platforms:
        sync_orders(platforms, store)
        before = open_by_external_id(store)
        now = datetime.now(UTC) - timedelta(minutes=1)
        world.touch("shopify", int(rmb), {"note": "still RMB"}, now)
        world.touch("shopify", int(fixed), {"currency": "CNY"}, now)
        sync_orders(platforms, store)
    after = open_by_external_id(store)
    old = steward.get_quarantine(store, before[rmb]["id"])
    assert old["status"] == "superseded"
    assert old["successor"] == {"id": after[rmb]["id"], "status": "open"}
    assert old["history"][-1]["action"] == "supersede"
    loaded = steward.get_quarantine(store, before[fixed]["id"])
    assert loaded["status"] == "superseded" and loaded["successor"] is None and fixed not in after
    with pytest.raises(StewardError, match="superseded"):
        steward.reject(store, old["id"], reason="too late", actor="sam")


def test_bulk_reject_decides_exactly_the_filtered_set_each_audited(store, world, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    with running_platforms(world, monkeypatch) as platforms:
        sync_orders(platforms, store)
    ids = steward.matching_open(store, rule="qty_positive")
    assert len(ids) == len(defect_ids(world, "non_positive_quantity"))
    others = set(open_by_external_id(store)) - defect_ids(world, "non_positive_quantity")
    with pytest.raises(StewardError, match="not the"):
        steward.bulk_decide(store, "reject", expected=len(ids) + 1, rule="qty_positive", reason="r", actor="sam")
    with pytest.raises(StewardError, match="needs a filter"):
        steward.bulk_decide(store, "reject", expected=len(ids), reason="r", actor="sam")
    result = steward.bulk_decide(
        store, "reject", expected=len(ids), rule="qty_positive", reason="test orders", actor="sam"
    )
    assert sorted(result.ids) == sorted(ids)
    assert set(open_by_external_id(store)) == others
    rejected = [a for a in audit_actions(store) if a[0] == "quarantine.reject"]
    assert len(rejected) == len(ids)

    unmapped = steward.matching_open(store, rule="mapping")
    with pytest.raises(StewardError, match="could not be mapped"):
        steward.bulk_decide(store, "accept", expected=len(unmapped), rule="mapping", reason="r", actor="sam")
    rmb = steward.matching_open(store, rule="currency_iso4217")
    accepted = steward.bulk_decide(
        store, "accept", expected=len(rmb), rule="currency_iso4217", reason="RMB is CNY here", actor="sam"
    )
    assert sorted(accepted.ids) == sorted(rmb)
    assert {steward.get_quarantine(store, qid)["status"] for qid in rmb} == {"accepted"}
    assert len([a for a in audit_actions(store) if a[0] == "quarantine.accept"]) == len(rmb)


def test_a_correction_loads_survives_a_resync_and_is_superseded_by_a_platform_change(
    store, world, monkeypatch, tmp_path
):
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    ext = sorted(defect_ids(world, "unknown_currency"))[0]
    number = next(o for o in world.shopify_orders if str(o["id"]) == ext)["name"].lstrip("#")
    with running_platforms(world, monkeypatch) as platforms:
        sync_orders(platforms, store)
        row = open_by_external_id(store)[ext]
        form = {f.path: f for f in steward.correction_form(steward.get_quarantine(store, row["id"]))}
        assert form["currency"].failing and form["currency"].value == "RMB" and form["lines[0].qty"].type == "decimal"

        before = queries.dump(store)
        with pytest.raises(CorrectionFailed) as failed:
            steward.correct(store, row["id"], {"currency": "XYZ"}, reason="typo", actor="sam")
        assert [(f.rule, f.field) for f in failed.value.failures] == [("currency_iso4217", "currency")]
        with pytest.raises(CorrectionFailed) as wrong_type:
            steward.correct(store, row["id"], {"lines[0].qty": "two"}, reason="typo", actor="sam")
        assert wrong_type.value.failures[0].rule == "correction_type"
        assert queries.dump(store) == before, "a failing correction loads nothing"

        done = steward.correct(store, row["id"], {"currency": "CNY"}, reason="RMB is CNY", actor="sam")
        assert done["status"] == "corrected"
        (correction,) = done["corrections"]
        assert (correction["field"], correction["old_value"], correction["new_value"]) == ("currency", "RMB", "CNY")
        assert (correction["actor"], correction["reason"], correction["status"]) == ("sam", "RMB is CNY", "active")
        assert ("quarantine.correct", f"shop/{ext}") in audit_actions(store)

        again = sync_orders(platforms, store, full=True)  # the same version again: it stays corrected
        assert again["quarantined"] == 0
        assert ext not in open_by_external_id(store)
        assert steward.get_quarantine(store, row["id"])["corrections"][0]["status"] == "active"
        with store.connect() as conn:
            currency = conn.execute(
                sa.select(sales_order.c.currency).where(sales_order.c.order_number == number)
            ).scalar_one()
            status = conn.execute(
                sa.select(raw_current.c.status).where(raw_current.c.external_id == ext, raw_current.c.source == "shop")
            ).scalar_one()
        assert (currency, status) == ("CNY", "corrected")

        world.touch("shopify", int(ext), {"note": "re-sent, still RMB"}, datetime.now(UTC) - timedelta(minutes=1))
        sync_orders(platforms, store)
    new = open_by_external_id(store)[ext]
    flagged = steward.get_quarantine(store, new["id"])
    assert [c["field"] for c in flagged["earlier_corrections"]] == ["currency"], "the steward sees it flagged"
    with store.connect() as conn:
        statuses = conn.execute(sa.select(quarantine_correction.c.status)).scalars().all()
    assert statuses == ["superseded"]


def test_correction_refusals_change_nothing(store, world, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    with running_platforms(world, monkeypatch) as platforms:
        sync_orders(platforms, store)
    rows = open_by_external_id(store)
    unmapped = rows[sorted(defect_ids(world, "malformed_date"))[0]]["id"]
    rmb = rows[sorted(defect_ids(world, "unknown_currency"))[0]]["id"]
    before = queries.dump(store)
    for qid, changes, message in (
        (unmapped, {"currency": "CNY"}, "could not be mapped"),
        (rmb, {"source": "x"}, "cannot be corrected"),
        (rmb, {"nope": "x"}, "no field 'nope'"),
        (rmb, {"currency": "RMB"}, "nothing to correct"),
        (rmb, {}, "at least one field"),
    ):
        with pytest.raises(StewardError, match=message):
            steward.correct(store, qid, changes, reason="why", actor="sam")
    assert queries.dump(store) == before


def test_a_sync_that_checks_a_corrected_version_again_loads_it_with_its_corrections(
    store, world, monkeypatch, tmp_path
):
    """Payloads without a timestamp of their own can come back byte for byte after a change: the
    version is checked again, and its correction applies instead of quarantining it once more.
    Here the store forgets the record's current hash, so a full re-sync checks that version again."""
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    ext = sorted(defect_ids(world, "unknown_currency"))[0]
    with running_platforms(world, monkeypatch) as platforms:
        sync_orders(platforms, store)
        row = open_by_external_id(store)[ext]
        steward.correct(store, row["id"], {"currency": "CNY"}, reason="RMB is CNY", actor="sam")
        with store.transaction() as conn:
            conn.execute(raw_current.delete().where(raw_current.c.source == "shop", raw_current.c.external_id == ext))
        again = sync_orders(platforms, store, full=True)
    assert (again["loaded"], again["quarantined"]) == (1, 0), again
    assert ext not in open_by_external_id(store)
    assert steward.get_quarantine(store, row["id"])["status"] == "corrected"
    with store.connect() as conn:
        status = conn.execute(
            sa.select(raw_current.c.status).where(raw_current.c.source == "shop", raw_current.c.external_id == ext)
        ).scalar_one()
        currency = conn.execute(sa.select(sales_order.c.currency).where(sales_order.c.external_id == ext)).scalar_one()
    assert (status, currency) == ("corrected", "CNY")
