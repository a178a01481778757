"""Every finding rule: a test that plants the case and one that resolves it, on both backends.

Times are passed explicitly (`now=`), so first_seen/last_seen/resolved are checked exactly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from plant import GTIN, SKU, T0, batch_record, device, invoice, load, lot, order, returned, shipment

import steward
from trace_store.coltypes import UtcDateTime
from trace_store.schema import finding, sync_run, sync_state
from traceability.findings import (
    FindingActionError,
    FindingConfig,
    FindingConfigError,
    acknowledge,
    list_findings,
    open_counts,
    refresh_findings,
    resolve,
)

CFG = FindingConfig()
T1 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=1)
T3 = T1 + timedelta(hours=2)
SHIPPED = T0 + timedelta(days=1)  # 2024-05-02 08:00 UTC


def rows(store, rule=None, status="all"):
    return [f for f in list_findings(store, status=status) if rule is None or f["rule"] == rule]


def only(store, rule, status="all"):
    found = rows(store, rule, status)
    assert len(found) == 1, found
    return found[0]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def refresh(store, now, cfg=CFG):
    return refresh_findings(store, cfg, now=now)


# --- expired lot shipped -------------------------------------------------------------------------


def test_expired_lot_shipped_is_found_and_refresh_is_idempotent(store):
    load(store, lot("L1", expiry=date(2024, 5, 1)), lot("L2", expiry=date(2024, 5, 2)))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 3), (GTIN, "L2", None, 2)]))

    first = refresh(store, T1)
    assert (first.opened, first.resolved, first.still_open) == (1, 0, 0)
    f = only(store, "expired_lot_shipped")  # L2 expires on the ship day itself: not expired
    assert f["key"] == f"warehouse|S1|{GTIN}|L1"
    assert f["severity"] == "critical"
    assert f["details"]["expiry_date"] == "2024-05-01"
    assert f["details"]["qty"] == "3"
    assert f["first_seen_at"] == f["last_seen_at"] == iso(T1)
    assert f["resolved_at"] is None

    again = refresh(store, T2)
    assert (again.opened, again.resolved, again.still_open) == (0, 0, 1)
    f = only(store, "expired_lot_shipped")
    assert (f["first_seen_at"], f["last_seen_at"]) == (iso(T1), iso(T2))


def test_expired_lot_resolves_when_the_erp_corrects_expiry_and_reopens_as_a_new_row(store):
    load(store, lot("L1", expiry=date(2024, 5, 1)))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 3)]))
    refresh(store, T1)

    load(store, lot("L1", expiry=date(2027, 5, 1), v=1))  # the ERP had a typo
    done = refresh(store, T2)
    assert (done.opened, done.resolved, done.still_open) == (0, 1, 0)
    f = only(store, "expired_lot_shipped", "resolved")
    assert (f["first_seen_at"], f["resolved_at"]) == (iso(T1), iso(T2))
    assert rows(store, status="open") == []

    load(store, lot("L1", expiry=date(2024, 4, 1), v=2))  # and back: a new episode, a new row
    refresh(store, T3)
    reopened = only(store, "expired_lot_shipped", "open")
    assert reopened["id"] != f["id"] and reopened["first_seen_at"] == iso(T3)
    assert only(store, "expired_lot_shipped", "resolved")["resolved_at"] == iso(T2)


# --- lot shipped before QC release or after rejection ----------------------------------------------


@pytest.mark.parametrize("qc", ["on_hold", "rejected"])
def test_lot_shipped_while_not_released_is_found(store, qc):
    load(store, lot("L1", qc=qc), lot("L2", qc="released"))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 1), (GTIN, "L2", None, 1)]))
    refresh(store, T1)
    f = only(store, "unreleased_lot_shipped")
    assert f["key"] == f"warehouse|S1|{GTIN}|L1"
    assert f["details"]["reason"] == qc and f["severity"] == "critical"


def test_lot_shipped_before_release_is_found_and_resolves_when_released(store):
    load(store, lot("L1", qc="on_hold"))
    load(store, batch_record("BR-1", "L1", released_on=date(2024, 5, 3)))  # ships 2024-05-02
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 1)]))
    refresh(store, T1)
    assert only(store, "unreleased_lot_shipped")["details"]["reason"] == "on_hold"

    load(store, lot("L1", qc="released", v=1))
    refresh(store, T2)
    f = only(store, "unreleased_lot_shipped", "open")
    assert f["details"]["reason"] == "shipped_before_release"
    assert f["details"]["release_date"] == "2024-05-03"
    assert f["first_seen_at"] == iso(T1)  # same case (shipment x lot), details updated

    load(store, batch_record("BR-1", "L1", released_on=date(2024, 5, 2), v=1))  # released that morning
    refresh(store, T3)
    assert only(store, "unreleased_lot_shipped")["resolved_at"] == iso(T3)


# --- serial shipped twice ------------------------------------------------------------------------


def test_serial_shipped_twice_is_found_and_resolves_when_the_shipment_is_corrected(store):
    load(
        store,
        shipment("S1", "SO-1", [(GTIN, None, "SN1", 1), (GTIN, None, "SN2", 1)]),
        shipment("S2", "SO-2", [(GTIN, None, "SN1", 1)], shipped=SHIPPED + timedelta(days=3)),
    )
    refresh(store, T1)
    f = only(store, "serial_shipped_twice")
    assert f["key"] == f"{GTIN}|SN1" and f["severity"] == "critical"
    assert [s["shipment_id"] for s in f["details"]["shipments"]] == ["S1", "S2"]

    load(store, shipment("S2", "SO-2", [(GTIN, None, "SN3", 1)], shipped=SHIPPED + timedelta(days=3), v=1))
    refresh(store, T2)
    f = only(store, "serial_shipped_twice")
    assert (f["first_seen_at"], f["resolved_at"]) == (iso(T1), iso(T2))


def test_serial_shipped_again_after_a_return_is_no_finding_but_twice_in_a_row_is(store):
    load(
        store,
        shipment("S1", "SO-1", [(GTIN, None, "SN1", 1)]),
        shipment("S2", "SO-2", [(GTIN, None, "SN1", 1)], shipped=SHIPPED + timedelta(days=5)),
    )
    load(store, returned("RET-1", GTIN, "SN1", SHIPPED + timedelta(days=2)))
    refresh(store, T1)
    assert rows(store, "serial_shipped_twice") == []

    load(store, shipment("S3", "SO-3", [(GTIN, None, "SN1", 1)], shipped=SHIPPED + timedelta(days=6)))
    refresh(store, T2)
    f = only(store, "serial_shipped_twice")
    assert [s["shipment_id"] for s in f["details"]["shipments"]] == ["S2", "S3"]


# --- shipped lot unknown to the ERP after the grace period ----------------------------------------


def test_lot_unknown_to_erp_waits_for_the_grace_period_then_resolves_when_the_lot_arrives(store):
    load(store, lot("L1"))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 1), (GTIN, "L9", None, 4)]))
    loaded = datetime.now(UTC)

    refresh(store, loaded + timedelta(hours=23))
    assert rows(store, "lot_unknown_to_erp") == []
    late = loaded + timedelta(hours=25)
    refresh(store, late)
    f = only(store, "lot_unknown_to_erp")
    assert f["key"] == f"{GTIN}|L9" and f["severity"] == "warning"
    assert f["details"]["shipments"] == 1 and f["first_seen_at"] == iso(late)

    short = FindingConfig(erp_grace=timedelta(hours=1))
    refresh(store, late, cfg=short)
    assert only(store, "lot_unknown_to_erp")["resolved_at"] is None

    load(store, lot("L9"))
    refresh(store, late + timedelta(hours=1))
    assert only(store, "lot_unknown_to_erp")["resolved_at"] == iso(late + timedelta(hours=1))


# --- invoiced quantity different from shipped -----------------------------------------------------


def test_invoice_qty_mismatch_is_found_and_resolves_when_the_invoice_is_corrected(store):
    load(store, device())
    load(store, order("SO-1", [(SKU, 5, "10")]), order("SO-2", [(SKU, 2, "10")]))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 5)]), shipment("S2", "SO-2", [(GTIN, "L1", None, 2)]))
    refresh(store, T1)
    assert rows(store, "invoice_qty_mismatch") == []  # shipped, not invoiced yet: normal lag

    load(store, invoice("INV-1", "SO-1", [(None, SKU, 4, "10")]), invoice("INV-2", "SO-2", [(GTIN, None, 2, "10")]))
    refresh(store, T2)
    f = only(store, "invoice_qty_mismatch")
    assert f["key"] == f"SO-1|{GTIN}" and f["severity"] == "warning"
    assert (f["details"]["shipped_qty"], f["details"]["invoiced_qty"]) == ("5", "4")

    load(store, invoice("INV-1", "SO-1", [(None, SKU, 5, "10")], v=1))
    refresh(store, T3)
    assert only(store, "invoice_qty_mismatch")["resolved_at"] == iso(T3)


# --- unit price outside the price-list tolerance --------------------------------------------------


def test_price_outside_tolerance_is_found_net_of_discount(store):
    load(store, device(list_price="100"))
    load(
        store,
        order("SO-1", [(SKU, 1, "120"), (SKU, 1, "105"), (SKU, 2, "120", "30"), (SKU, 1, "89")]),
    )
    refresh(store, T1)
    found = {f["key"]: f for f in rows(store, "price_outside_tolerance")}
    assert set(found) == {"shop|SO-1|1", "shop|SO-1|4"}  # 105 and 120 less 15 per unit are within 10%
    assert found["shop|SO-1|1"]["details"]["list_price"] == "100"

    refresh(store, T2, cfg=FindingConfig(price_tolerance=Decimal("0.25")))
    assert rows(store, "price_outside_tolerance", "open") == []


def test_price_finding_resolves_when_the_order_is_corrected(store):
    load(store, device(list_price="100"))
    load(store, order("SO-1", [(SKU, 1, "150")]))
    refresh(store, T1)
    assert only(store, "price_outside_tolerance")["first_seen_at"] == iso(T1)
    load(store, order("SO-1", [(SKU, 1, "100")], v=1))
    refresh(store, T2)
    assert only(store, "price_outside_tolerance")["resolved_at"] == iso(T2)


def test_thresholds_come_from_the_environment_and_bad_values_are_named(monkeypatch):
    monkeypatch.setenv("TRACEHUB_ERP_GRACE_HOURS", "6")
    monkeypatch.setenv("TRACEHUB_PRICE_TOLERANCE", "0.2")
    assert FindingConfig.from_env() == FindingConfig(timedelta(hours=6), Decimal("0.2"))
    for bad in ("ten", "-0.1", "NaN"):
        monkeypatch.setenv("TRACEHUB_PRICE_TOLERANCE", bad)
        with pytest.raises(FindingConfigError, match=f"TRACEHUB_PRICE_TOLERANCE='{bad}'"):
            FindingConfig.from_env()


def test_a_clean_store_has_no_findings_and_open_ones_are_unique_per_case(store):
    load(store, device(), lot("L1"), batch_record("BR-1", "L1", released_on=date(2024, 4, 30)))
    load(store, order("SO-1", [(SKU, 2, "10")]))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 2)]))
    load(store, invoice("INV-1", "SO-1", [(GTIN, SKU, 2, "10")]))
    summary = refresh(store, T1)
    assert (summary.opened, summary.resolved, summary.still_open) == (0, 0, 0)
    with store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finding)).scalar_one() == 0


# --- recalled lot shipped after the recall (tables from migration 0003; keep this test last) -------


def test_recalled_lot_shipped_after_the_recall_is_found_and_resolves(store):
    if not sa.inspect(store.engine).has_table("recall_item"):
        pytest.skip("recall tables arrive with migration 0003 (recall work in progress)")
    recall = sa.table(  # written the way `tracehub recall create` stores a recall
        "recall",
        sa.column("recall_id"),
        sa.column("created_at", UtcDateTime()),
        sa.column("created_by"),
        sa.column("reason"),
        sa.column("status"),
    )
    item = sa.table(
        "recall_item",
        sa.column("recall_id"),
        sa.column("item_no"),
        sa.column("gtin"),
        sa.column("lot"),
        sa.column("serial"),
    )
    recalled_at = SHIPPED - timedelta(hours=1)
    with store.transaction() as conn:
        recall_id = conn.execute(
            recall.insert()
            .values(created_at=recalled_at, created_by="qa", reason="sterility", status="open")
            .returning(recall.c.recall_id)
        ).scalar_one()
        conn.execute(item.insert().values(recall_id=recall_id, item_no=1, gtin=GTIN, lot="L1", serial=None))
    load(
        store,
        shipment("S0", "SO-0", [(GTIN, "L1", None, 1)], shipped=recalled_at - timedelta(hours=1)),
        shipment("S1", "SO-1", [(GTIN, "L1", None, 2), (GTIN, "L2", None, 1)]),
    )
    refresh(store, T1)
    f = only(store, "recalled_lot_shipped")
    assert f["key"].startswith(f"{recall_id}|warehouse|S1|{GTIN}|L1") and f["severity"] == "critical"

    load(store, shipment("S1", "SO-1", [(GTIN, "L2", None, 3)], v=1))  # the scan was wrong: it was L2
    refresh(store, T2)
    assert only(store, "recalled_lot_shipped")["resolved_at"] == iso(T2)


# --- waiting for the sources a rule depends on ----------------------------------------------------

CONFIGURED = {("erp", "device"), ("erp", "lot"), ("erp", "invoice"), ("shop", "order"), ("warehouse", "shipment")}
"""The sources file of these tests: the ERP, the shop and the warehouse."""


def test_an_invoice_waits_for_the_warehouse_to_sync_before_it_is_checked(store):
    load(store, device(), invoice("INV-1", "SO-1", [(None, SKU, 5, "10")]))  # the ERP syncs first
    load(store, order("SO-1", [(SKU, 5, "10")]))
    early = refresh_findings(store, CFG, now=T1, sources=CONFIGURED)
    assert (early.opened, early.pending, early.open_now) == (0, 1, 0), "nothing shipped yet: the warehouse never synced"
    assert rows(store) == []

    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 5)]))
    after = refresh_findings(store, CFG, now=T2, sources=CONFIGURED)
    assert (after.opened, after.pending, after.resolved) == (0, 0, 0) and rows(store) == []


def test_a_case_waits_until_every_source_has_synced_past_its_event(store):
    load(store, lot("L1", expiry=date(2024, 5, 1)))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 3)]))
    with store.transaction() as conn:  # the ERP last synced (and saw its last change) before the shipment left
        conn.execute(
            sync_run.update().where(sync_run.c.entity == "lot").values(finished_at=SHIPPED - timedelta(hours=1))
        )
        conn.execute(sync_state.update().where(sync_state.c.entity == "lot").values(cursor=T0))
    waiting = refresh_findings(store, CFG, now=T1, sources=CONFIGURED)
    assert (waiting.opened, waiting.pending) == (0, 1) and rows(store) == []

    load(store, lot("L2", expiry=date(2030, 1, 1)))  # the ERP's next successful sync ends now
    ready = refresh_findings(store, CFG, now=T2, sources=CONFIGURED)
    assert (ready.opened, ready.pending, ready.open_now) == (1, 0, 1)
    assert only(store, "expired_lot_shipped")["first_seen_at"] == iso(T2)


# --- a steward's acknowledgement and resolution -----------------------------------------------------


def test_a_finding_resolved_by_hand_stays_resolved_until_its_facts_change(store):
    load(store, lot("L1", expiry=date(2024, 5, 1)))
    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 3)]))
    refresh(store, T1)
    fid = only(store, "expired_lot_shipped")["id"]

    acked = acknowledge(store, fid, "asked the customer to quarantine the units", "sam")
    assert acked["acknowledged_by"] == "sam" and acked["resolved_at"] is None
    assert open_counts(store)["critical"] == {"open": 1, "acknowledged": 1}
    done = resolve(store, fid, "units destroyed at the customer, certificate filed", "sam")
    assert done["resolved_by"] == "sam" and done["resolve_note"].startswith("units destroyed")
    assert open_counts(store)["critical"] == {"open": 0, "acknowledged": 0}
    with pytest.raises(FindingActionError, match=f"finding {fid} is already resolved"):
        resolve(store, fid, "again", "sam")
    with pytest.raises(FindingActionError, match="there is no finding 999"):
        acknowledge(store, 999, "note", "sam")

    same = refresh(store, T2)
    assert (same.opened, same.kept_resolved, same.open_now) == (0, 1, 0), "the same facts: stays resolved"
    assert [f["id"] for f in rows(store)] == [fid]

    load(store, shipment("S1", "SO-1", [(GTIN, "L1", None, 5)], v=1))  # the warehouse corrects the quantity
    changed = refresh(store, T3)
    assert (changed.opened, changed.kept_resolved) == (1, 0), "the facts changed: a new episode opens"
    reopened = only(store, "expired_lot_shipped", "open")
    assert reopened["id"] != fid and reopened["details"]["qty"] == "5" and reopened["resolved_by"] is None

    entries = [(a["action"], a["key"], a["actor"]) for a in steward.audit_entries(store, entity="finding")]
    assert sorted(entries) == [("finding_acknowledge", str(fid), "sam"), ("finding_resolve", str(fid), "sam")]
