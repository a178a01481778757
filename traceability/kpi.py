"""The key figures quality staff report on: on-time shipping, returns, reconciliation differences,
quarantine rate and age, and recall drill times.

Each figure is one or two set-based queries over the store, the same on SQLite and PostgreSQL,
whatever the number of orders: nothing is loaded row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store.coltypes import UtcDateTime
from trace_store.schema import customer_return, quarantine, return_line, shipment, shipment_line, sync_run
from trace_store.sqltime import seconds_between
from traceability.drill import Drill, recent_drills
from traceability.reconcile import KINDS, SHIPPED, CycleFigures, cycle_figures, lines_query

DEFAULT_SLA_DAYS = 2.0
"""Orders count as on time when shipped within this many days of the order (console: TRACEHUB_SLA_DAYS)."""
RECENT_DRILLS = 20


@dataclass(frozen=True, slots=True)
class Returns:
    returned_lines: int
    returned_units: Decimal
    shipped_lines: int
    shipped_units: Decimal
    rate: float | None
    """Returned units / shipped units (None when nothing shipped)."""


@dataclass(frozen=True, slots=True)
class QuarantineFigures:
    processed: int
    """Records validated by sync runs (loaded + quarantined; unchanged ones were not validated again)."""
    quarantined: int
    rate: float | None
    open: int
    median_age_hours: float | None
    oldest_age_hours: float | None


@dataclass(frozen=True, slots=True)
class Kpis:
    as_of: datetime
    on_time: CycleFigures
    returns: Returns
    differences: dict[str, int]
    """Reconciliation rows with each discrepancy kind (traceability/reconcile.py)."""
    quarantine: QuarantineFigures
    drills: list[Drill]


def kpis(conn: Connection, sla_days: float = DEFAULT_SLA_DAYS, as_of: datetime | None = None) -> Kpis:
    now = as_of or datetime.now(UTC)
    return Kpis(
        as_of=now,
        on_time=cycle_figures(conn, sla_days, now),
        returns=returns(conn),
        differences=differences(conn),
        quarantine=quarantine_figures(conn, now),
        drills=recent_drills(conn, RECENT_DRILLS),
    )


def returns(conn: Connection) -> Returns:
    """Customer-returned units against units shipped (shipments with status shipped)."""
    s, sl, r, rl = shipment.c, shipment_line.c, customer_return.c, return_line.c
    shipped_lines, shipped_units = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sl.qty), 0))
        .select_from(shipment_line.join(shipment, sa.and_(s.source == sl.source, s.shipment_id == sl.shipment_id)))
        .where(s.status == SHIPPED)
    ).one()
    returned_lines, returned_units = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(rl.qty), 0)).select_from(
            return_line.join(customer_return, sa.and_(r.source == rl.source, r.return_id == rl.return_id))
        )
    ).one()
    shipped, returned = Decimal(str(shipped_units)), Decimal(str(returned_units))
    return Returns(
        returned_lines=int(returned_lines),
        returned_units=returned,
        shipped_lines=int(shipped_lines),
        shipped_units=shipped,
        rate=round(float(returned / shipped), 4) if shipped else None,
    )


def differences(conn: Connection) -> dict[str, int]:
    """How many reconciliation rows (order number x item) show each discrepancy kind."""
    rows = lines_query().order_by(None).subquery("reconciled")
    counts = conn.execute(sa.select(*(sa.func.coalesce(sa.func.sum(rows.c[k]), 0).label(k) for k in KINDS))).one()
    return {k: int(counts._mapping[k]) for k in KINDS}


def quarantine_figures(conn: Connection, as_of: datetime) -> QuarantineFigures:
    """Share of processed records quarantined over all runs; open records' count, median and oldest age."""
    r, q = sync_run.c, quarantine.c
    loaded, quarantined = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(r.loaded), 0), sa.func.coalesce(sa.func.sum(r.quarantined), 0))
    ).one()
    processed = int(loaded) + int(quarantined)
    age = seconds_between(conn.dialect, sa.literal(as_of, UtcDateTime()), q.first_seen_at).label("age")
    ranked = (
        sa.select(
            age,
            sa.func.row_number().over(order_by=q.first_seen_at.desc()).label("rn"),
            sa.func.count().over().label("n"),
        )
        .where(q.status == "open")
        .subquery("ranked")
    )
    # median: the middle row, or the mean of the middle two
    middle = sa.or_(ranked.c.rn * 2 == ranked.c.n, ranked.c.rn * 2 == ranked.c.n + 1, ranked.c.rn * 2 == ranked.c.n + 2)
    open_count, median, oldest = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.avg(sa.case((middle, ranked.c.age))),
            sa.func.max(ranked.c.age),
        )
    ).one()
    return QuarantineFigures(
        processed=processed,
        quarantined=int(quarantined),
        rate=round(int(quarantined) / processed, 4) if processed else None,
        open=int(open_count),
        median_age_hours=_hours(median),
        oldest_age_hours=_hours(oldest),
    )


def _hours(seconds: Any) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 2)
