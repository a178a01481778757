"""Quarantine rows: written with every failed rule, bumped when seen again, superseded on load."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from data_dictionary.failures import RuleFailure
from trace_store import schema
from trace_store.queries import quarantine_by_rule, quarantine_rows
from trace_store.store import Store

GTIN_RULE = RuleFailure(rule="gtin_check_digit", field="lines[0].gtin", value="123", message="bad check digit")
QTY_RULE = RuleFailure(rule="qty_positive", field="lines[0].qty", value=-1, message="qty must be > 0")


def _seen(store: Store) -> list[sa.Row]:
    q = schema.quarantine.c
    with store.connect() as conn:
        return conn.execute(
            sa.select(q.external_id, q.status, q.first_seen_at, q.last_seen_at, q.run_id).order_by(q.external_id)
        ).all()


def test_quarantine_insert_bump_and_supersede(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    store.commit_batch(
        make.batch(run, [], quarantined=[("S1", make.T0, [GTIN_RULE, QTY_RULE]), ("S2", make.T0, [QTY_RULE])])
    )
    (row, _) = quarantine_rows(store)
    assert row["rules"] == "gtin_check_digit,qty_positive"
    assert row["failures"][0] == GTIN_RULE.model_dump(mode="json")
    assert row["payload"] == {"id": "S1", "broken": True} and row["mapped"] == [{"id": "S1"}]
    assert quarantine_by_rule(store) == {"gtin_check_digit": 1, "qty_positive": 2}
    assert [r["external_id"] for r in quarantine_rows(store, rule="gtin_check_digit")] == ["S1"]
    with store.connect() as conn:
        statuses = dict(conn.execute(sa.select(schema.raw_current.c.external_id, schema.raw_current.c.status)).all())
    assert statuses == {"S1": "quarantined", "S2": "quarantined"}

    first = _seen(store)
    run2 = store.begin_run("shipbob", "shipment")
    store.commit_batch(make.batch(run2, [], quarantined=[("S1", make.T0, [GTIN_RULE, QTY_RULE])]))
    again = _seen(store)
    assert len(again) == 2
    assert again[0].first_seen_at == first[0].first_seen_at
    assert again[0].last_seen_at > first[0].last_seen_at and again[0].run_id == run2

    fixed = make.shipment("S1", [make.line(1)], updated=make.T0 + timedelta(hours=1))
    store.commit_batch(make.batch(run2, [fixed]))
    assert [r.status for r in _seen(store)] == ["superseded", "open"]
    assert quarantine_by_rule(store) == {"qty_positive": 1}
    assert [r["external_id"] for r in quarantine_rows(store, status="superseded")] == ["S1"]
    with store.connect() as conn:
        status = conn.execute(
            sa.select(schema.raw_current.c.status).where(schema.raw_current.c.external_id == "S1")
        ).scalar_one()
    assert status == "loaded"
