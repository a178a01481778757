"""The KPI page (/kpi) over a synced world, on SQLite and PostgreSQL: every figure is checked
against values worked out here from the store's tables in Python, not by the same queries."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from webconsole import fill_store, sign_in, store_url

from trace_store.schema import (
    customer_return,
    quarantine,
    return_line,
    sales_order,
    shipment,
    shipment_line,
    sync_run,
)
from traceability import reconcile
from traceability.drill import DrillStep, pick_lot, record_drill
from traceability.kpi import kpis
from tracehub.web import create_app
from tracehub.web.routes.kpi import sla_days

SECRET = "kpi-secret-key-" * 4


def _rows(conn: Any, table: sa.Table) -> list[Any]:
    return list(conn.execute(sa.select(table)).all())


def _expected(conn: Any, sla: float, now: datetime) -> dict[str, Any]:
    """The figures from plain rows: orders, shipments, returns, runs, quarantine."""
    orders: dict[str, datetime] = {}
    for o in _rows(conn, sales_order):
        if (o.status or "") != "cancelled":
            orders[o.order_number] = min(o.order_date, orders.get(o.order_number, o.order_date))
    first_ship: dict[str, datetime] = {}
    shipped_ids = set()
    for s in _rows(conn, shipment):
        if s.status == "shipped":
            shipped_ids.add((s.source, s.shipment_id))
            if s.order_number is not None and s.ship_date is not None:
                first_ship[s.order_number] = min(s.ship_date, first_ship.get(s.order_number, s.ship_date))
    limit = timedelta(days=sla)
    shipped_orders = [n for n in orders if n in first_ship]
    on_time = sum(1 for n in shipped_orders if first_ship[n] - orders[n] <= limit)
    overdue = sum(1 for n in orders if n not in first_ship and now - orders[n] > limit)
    shipped_units = sum(
        (
            Decimal(str(line.qty))
            for line in _rows(conn, shipment_line)
            if (line.source, line.shipment_id) in shipped_ids
        ),
        Decimal(0),
    )
    returns = {(r.source, r.return_id) for r in _rows(conn, customer_return)}
    returned_units = sum(
        (Decimal(str(line.qty)) for line in _rows(conn, return_line) if (line.source, line.return_id) in returns),
        Decimal(0),
    )
    runs = _rows(conn, sync_run)
    quarantined = sum(r.quarantined for r in runs)
    processed = sum(r.loaded + r.quarantined for r in runs)
    ages = [(now - q.first_seen_at).total_seconds() / 3600 for q in _rows(conn, quarantine) if q.status == "open"]
    return {
        "due": len(shipped_orders) + overdue,
        "on_time": on_time,
        "shipped_units": shipped_units,
        "returned_units": returned_units,
        "quarantined": quarantined,
        "processed": processed,
        "open": len(ages),
        "median_age": statistics.median(ages) if ages else None,
        "oldest_age": max(ages) if ages else None,
    }


def _differences(conn: Any) -> dict[str, int]:
    """Counts by kind from the reconciliation's own rows (the report people already read)."""
    found: dict[str, int] = defaultdict(int)
    for line in reconcile.reconcile(conn, all_lines=True).lines:
        for kind in line.kinds:
            found[kind] += 1
    return {k: found[k] for k in reconcile.KINDS}


def test_the_kpi_page_shows_the_figures_of_the_store(store, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("TRACEHUB_HOME", str(tmp_path))
    fill_store(store, monkeypatch)
    with store.connect() as conn:
        gtin, lot = pick_lot(conn, seed=1)
    for seconds in (12.5, 71.25):
        steps = [DrillStep("impact", seconds / 2), DrillStep("consignees", seconds / 2)]
        record_drill(store, started_at=datetime.now(UTC), actor="qa", gtin=gtin, lot=lot, seed=1, consignees=3,
                     shipments=4, seconds_to_consignees=seconds, steps=steps, reports=[])  # fmt: skip
    now = datetime.now(UTC)
    with store.connect() as conn:
        want = _expected(conn, 2.0, now)
        differences = _differences(conn)
        got = kpis(conn, 2.0, as_of=now)

    assert want["processed"] > 0 and want["quarantined"] > 0 and want["open"] > 0, "the world quarantines records"
    assert want["due"] > 0 and want["shipped_units"] > 0, "the world ships orders"
    assert (got.on_time.due_orders, got.on_time.on_time_orders) == (want["due"], want["on_time"])
    assert got.returns.shipped_units == want["shipped_units"]
    assert got.returns.returned_units == want["returned_units"]
    assert got.differences == differences and sum(differences.values()) > 0
    q = got.quarantine
    assert (q.quarantined, q.processed, q.open) == (want["quarantined"], want["processed"], want["open"])
    assert q.median_age_hours == pytest.approx(want["median_age"], abs=0.01)
    assert q.oldest_age_hours == pytest.approx(want["oldest_age"], abs=0.01)
    assert [(d.lot, d.seconds_to_consignees) for d in got.drills] == [(lot, 71.25), (lot, 12.5)]

    app = create_app(store_url(store), SECRET)
    try:
        client = TestClient(app, follow_redirects=False)
        sign_in(client, "viewer")
        page = client.get("/kpi")
        assert page.status_code == 200
        html = page.text
        assert f"{want['on_time'] / want['due'] * 100:.1f}%" in html
        assert f"{want['on_time']} of {want['due']} orders due were shipped within 2 days" in html
        assert f"{float(want['returned_units'] / want['shipped_units']) * 100:.1f}%" in html
        assert f"{want['quarantined'] / want['processed'] * 100:.1f}%" in html
        assert f"Open now: {want['open']};" in html
        for kind, n in differences.items():
            assert f'<tr data-kind="{kind}">' in html and f'<td class="num">{n}</td></tr>' in html
        assert '<span class="ok">12.5 s</span>' in html and '<span class="bad">71.2 s</span>' in html
        assert lot in html and "TRACEHUB_SLA_DAYS" in html
        chinese = TestClient(app, follow_redirects=False, headers={"Accept-Language": "zh-CN"})
        sign_in(chinese, "viewer")
        html_zh = chinese.get("/kpi").text
        assert "关键指标" in html_zh and f"{want['on_time']}" in html_zh
    finally:
        app.state.store.close()


def test_no_drill_yet_and_an_empty_store_show_dashes(store, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.connect() as conn:
        got = kpis(conn)
    assert got.drills == [] and got.on_time.on_time_rate is None and got.returns.rate is None
    assert got.quarantine.open == 0 and got.quarantine.median_age_hours is None
    assert set(got.differences.values()) == {0}


@pytest.mark.parametrize("value", ["0", "-1", "two", "nan"])
def test_a_wrong_sla_stops_the_console_at_start(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEHUB_SLA_DAYS", value)
    with pytest.raises(ValueError, match=r"TRACEHUB_SLA_DAYS=.* must be a positive number of days"):
        sla_days()
    monkeypatch.setenv("TRACEHUB_SLA_DAYS", "1.5")
    assert sla_days() == 1.5
