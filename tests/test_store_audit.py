"""The audit log is hash-chained: an edit made directly in SQL is found and named (architecture rule 7)."""

from __future__ import annotations

import sqlalchemy as sa

from trace_store import audit, schema
from trace_store.store import Store


def _load_three(store: Store, make) -> None:
    run = store.begin_run("shipbob", "shipment")
    for n in range(3):
        store.commit_batch(make.batch(run, [make.shipment(f"S{n}", [make.line(1)])]))


def test_verify_passes_on_an_untouched_chain(store: Store, make) -> None:
    _load_three(store, make)
    with store.connect() as conn:
        result = audit.verify(conn)
        details = conn.execute(sa.select(schema.audit_log.c.details).where(schema.audit_log.c.seq == 1)).scalar_one()
    assert (result.ok, result.checked, result.broken_seq) == (True, 3, None)
    assert details["counts"]["loaded"] == 1 and len(details["keys_sha256"]) == 64


def test_an_update_in_sql_is_detected_at_its_seq(store: Store, make) -> None:
    _load_three(store, make)
    with store.transaction() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    with store.connect() as conn:
        result = audit.verify(conn)
    assert (result.ok, result.broken_seq, result.checked) == (False, 2, 1)
    assert "entry 2 was changed" in (result.reason or "")


def test_a_deleted_entry_is_detected(store: Store, make) -> None:
    _load_three(store, make)
    with store.transaction() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 2"))
    with store.connect() as conn:
        assert audit.verify(conn).broken_seq == 2


def test_append_links_to_the_head(store: Store) -> None:
    with store.transaction() as conn:
        first = audit.append(conn, "steward", "accept", "shipment", "shipbob/S1", {"reason": "checked"})
        second = audit.append(conn, "steward", "reject", "shipment", "shipbob/S2", {"reason": "dup"})
    with store.connect() as conn:
        rows = conn.execute(sa.select(schema.audit_log).order_by(schema.audit_log.c.seq)).all()
        assert audit.verify(conn).ok
    assert (first, second) == (1, 2)
    assert rows[0].prev_hash == audit.GENESIS and rows[1].prev_hash == rows[0].hash
