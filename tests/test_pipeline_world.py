"""End to end through the pipeline over real HTTP: exact quarantine, exact traces, idempotent re-runs."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa
from platforms import KIND_TO_SOURCE, comparable, running_platforms, sync_all

from simulators.formats import SHOP_TZ, parse_moment
from simulators.server import Faults
from simulators.world import expected_trace, generate_world
from trace_store import queries
from traceability.deliveries import trace_lot, trace_serial

WORLDS = [(11, True), (23, False)]
"""(seed, studio): the demo customer's Odoo with Studio fields, and a standard install."""


@pytest.fixture(scope="module", params=WORLDS, ids=[f"seed{s}-{'studio' if st else 'standard'}" for s, st in WORLDS])
def world(request):
    return generate_world(request.param[0], 0.4, studio=request.param[1])


def test_the_world_plants_every_real_shape(world):
    """The cases real accounts have (issue: real platforms, not our own) are all in the synced world."""
    orders = world.shipbob_orders
    assert any(o["type"] == "DropShip" for o in orders)
    assert any(s["status"] == "Processing" for o in orders for s in o["shipments"])
    assert any(
        len({i["lot"] for i in p["inventory_items"]}) > 1 for o in orders for s in o["shipments"] for p in s["products"]
    )
    assert any(len(m["move_line_ids"]) == 2 for m in world.odoo["stock.move"])
    assert any(p["active"] is False for p in world.odoo["product.product"])
    assert any(p["active"] is False for p in world.odoo["res.partner"])


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
    lots = {(r["gtin"], r["lot"]): r for r in queries.export(store, "lot")}
    for lot in world.odoo["stock.lot"]:
        gtin = next(p["barcode"] for p in world.odoo["product.product"] if p["id"] == lot["product_id"][0])
        if (gtin, lot["name"]) in lots:  # expiry as the company entered it, in Asia/Shanghai
            expected = parse_moment(lot["expiration_date"]).astimezone(SHOP_TZ).date().isoformat()
            assert lots[(gtin, lot["name"])]["expiry_date"] == expected
    devices = {r["gtin"] for r in queries.export(store, "device")}
    assert {p["barcode"] for p in world.odoo["product.product"] if p["active"] is False} <= devices
    pending = {str(s["id"]) for o in world.shipbob_orders for s in o["shipments"] if s["status"] != "Completed"}
    stored = {r["shipment_id"]: r["status"] for r in queries.export(store, "shipment")}
    assert pending and all(stored[i] == "pending" for i in pending)
    for key, deliveries in truth["lots"].items():
        gtin, lot = key.split("|", 1)
        assert delivered(trace_lot(store, gtin, lot)) == delivered(deliveries), key
    for key, deliveries in truth["serials"].items():
        gtin, serial = key.split("|", 1)
        assert delivered(trace_serial(store, gtin, serial)) == delivered(deliveries), key


RUN_LEDGER = {"sync_run", "sync_state", "audit_log"}
"""What a run writes however unchanged its data: its ledger row, its cursor and the audit entry of each batch."""

WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


@contextmanager
def rows_written(store) -> Iterator[Counter[str]]:
    """Rows each table had written while inside: every INSERT, UPDATE and DELETE the store's engine ran,
    and on PostgreSQL also every row version that changed (COPY passes no statement event)."""
    written: Counter[str] = Counter()

    def count(conn, cursor, statement, parameters, context, executemany):
        table = WRITE.match(statement)
        if table and cursor.rowcount:
            written[table[1]] += max(cursor.rowcount, 1)

    versions = _row_versions(store)
    sa.event.listen(store.engine, "after_cursor_execute", count)
    try:
        yield written
    finally:
        sa.event.remove(store.engine, "after_cursor_execute", count)
    after = _row_versions(store)
    for table in set(versions) | set(after):
        written[table] += len(after.get(table, set()) ^ versions.get(table, set()))


def _row_versions(store) -> dict[str, set[str]]:
    """PostgreSQL: each table's (ctid, xmin) pairs, which any write changes; nothing on SQLite."""
    if store.engine.dialect.name != "postgresql":
        return {}
    with store.engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        return {
            table: set(conn.execute(sa.text(f'select ctid::text || xmin::text from "{table}"')).scalars())
            for table in tables
        }


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full-window"])
def test_rerun_loads_nothing_and_changes_nothing(store, world, monkeypatch, full):
    with running_platforms(world, monkeypatch) as platforms:
        first = sync_all(platforms, store)
        before = queries.dump(store)
        with rows_written(store) as written:
            again = sync_all(platforms, store, full=full)
    assert all(r["loaded"] == 0 and r["quarantined"] == 0 for r in again), again
    assert all(r["unchanged"] == r["pulled"] for r in again), again
    if full:
        assert [r["pulled"] for r in again] == [r["pulled"] for r in first]
    assert queries.dump(store) == before
    assert {table for table, rows in written.items() if rows} <= RUN_LEDGER, written


@pytest.mark.slow
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
