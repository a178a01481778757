"""Reconciliation and findings of a generated world synced over HTTP: exactly the planted defects.

Orders, shipments and invoices of a world agree except where the defect plan breaks them:
`invoice_qty_mismatch` invoices (expected as findings) and records that are quarantined. A
quarantined Shopify order is absent from the store, so its shipments and invoice are reported as
`order_missing`; a quarantined ShipBob shipment leaves its items unshipped while the invoice
billed them, an `invoice_qty_mismatch` too (and `short_shipped` when another shipment of the
order did leave). Unshipped, cancelled, split-shipped orders and the order whose last shipment
is still processing must give no discrepancy at all.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from platforms import running_platforms, sync_all

from simulators.formats import parse_moment
from simulators.world import World, generate_world
from traceability.findings import FindingConfig, list_findings, refresh_findings
from traceability.reconcile import reconcile

AS_OF = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.fixture(scope="module", params=[(5, True), (23, False)], ids=["seed5-studio", "seed23-standard"])
def world(request) -> World:
    return generate_world(request.param[0], 0.4, studio=request.param[1])


def planted(world: World) -> tuple[set[str], set[str], dict[str, set[str]]]:
    """Order numbers of: invoice qty mismatches, quarantined shop orders, and per order number with a
    quarantined warehouse shipment the discrepancies that leaves."""
    mismatch, shop, warehouse = set(), set(), {}
    quarantined = {d["external_id"] for d in world.defect_plan if d["platform"] == "shipbob"}
    for d in world.defect_plan:
        record = world.record(d["platform"], d["external_id"])
        if d["defect"] == "invoice_qty_mismatch":
            mismatch.add(record["invoice_origin"].lstrip("#"))
        elif d["expect"] == "quarantine" and d["platform"] == "shopify":
            shop.add(str(record["order_number"]))
        elif d["expect"] == "quarantine" and d["platform"] == "shipbob":
            order = world.shipbob_order_of(d["external_id"])
            others = [s for s in order["shipments"] if str(s["id"]) not in quarantined and s["status"] == "Completed"]
            warehouse[order["order_number"]] = {"invoice_qty_mismatch"} | ({"short_shipped"} if others else set())
    return mismatch, shop, warehouse


def test_world_reconciles_to_exactly_the_planted_defects(store, world, monkeypatch):
    shipments_per_order: dict[str, int] = defaultdict(int)
    for o in world.shipbob_orders:
        shipments_per_order[o["order_number"]] += len(o["shipments"])
    shipped = set(shipments_per_order)
    assert any(n > 1 for n in shipments_per_order.values()), "the world splits some shipments"
    assert any(o["cancelled_at"] for o in world.shopify_orders), "the world cancels some orders"
    assert any(str(o["order_number"]) not in shipped for o in world.shopify_orders if not o["cancelled_at"])
    assert any(s["status"] == "Processing" for o in world.shipbob_orders for s in o["shipments"])

    with running_platforms(world, monkeypatch) as platforms:
        sync_all(platforms, store)
    mismatch, shop_q, warehouse_q = planted(world)
    assert mismatch and not mismatch & (shop_q | set(warehouse_q))

    result = reconcile(store, as_of=AS_OF)
    by_order: dict[str, set[str]] = defaultdict(set)
    for line in result.lines:
        by_order[line.order_number].update(line.kinds)
    assert by_order == {
        **{n: {"invoice_qty_mismatch"} for n in mismatch},
        **{n: {"order_missing"} for n in shop_q & shipped},
        **warehouse_q,
    }
    for line in result.lines:
        if line.order_number in mismatch:
            assert abs(line.invoiced_qty - line.shipped_qty) == 1 and line.shipped_qty == line.ordered_qty

    summary = refresh_findings(store, FindingConfig(), now=datetime.now(UTC))
    findings = list_findings(store)
    assert {f["rule"] for f in findings} == {"invoice_qty_mismatch"}, findings
    assert {f["key"].split("|")[0] for f in findings} == mismatch | set(warehouse_q)
    assert summary.opened == len(findings)
    later = refresh_findings(store, FindingConfig(), now=datetime.now(UTC) + timedelta(days=2))
    assert (later.opened, later.resolved, later.still_open) == (0, 0, len(findings))

    _check_figures(world, result.figures, shop_q, warehouse_q)


def _check_figures(world: World, figures, shop_q: set[str], warehouse_q: dict[str, set[str]]) -> None:
    """Cycle time and on-time rate recomputed from the world's own records, as the store sees them:
    a quarantined order is absent; a quarantined or pending shipment has not left."""
    quarantined = {d["external_id"] for d in world.defect_plan if d["platform"] == "shipbob"}
    first_ship: dict[str, datetime] = {}
    for o in world.shipbob_orders:
        for s in o["shipments"]:
            if str(s["id"]) in quarantined or s["status"] != "Completed":
                continue
            when = parse_moment(s["actual_fulfillment_date"])
            first_ship[o["order_number"]] = min(first_ship.get(o["order_number"], when), when)
    hours, due, on_time = [], 0, 0
    for o in world.shopify_orders:
        number = str(o["order_number"])
        if number in shop_q or o["cancelled_at"]:
            continue
        created = parse_moment(o["created_at"])
        if number in first_ship:
            h = (first_ship[number] - created).total_seconds() / 3600
            hours.append(h)
            due += 1
            on_time += h <= 72
        elif AS_OF - created > timedelta(days=3):
            due += 1
    hours.sort()
    assert figures.shipped_orders == len(hours)
    assert figures.p50_hours == pytest.approx(hours[-(-len(hours) * 50 // 100) - 1], abs=0.01)
    assert figures.p90_hours == pytest.approx(hours[-(-len(hours) * 90 // 100) - 1], abs=0.01)
    assert (figures.due_orders, figures.on_time_orders) == (due, on_time)
