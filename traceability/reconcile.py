"""Three-way reconciliation: what was ordered (shop), shipped (warehouse) and invoiced (ERP).

The three systems meet on the order number. Order lines name a SKU, shipment and invoice lines
a GTIN (and usually a SKU); the `device` table resolves SKU to GTIN, so every line lands on an
item key `coalesce(line gtin, device gtin of line sku, 'sku:' || sku)`. The grain is one row per
(order number, item): a shipment or invoice line cannot say which of two order lines of the same
item it fulfils, so lines of one item are summed (their line numbers are listed).

Discrepancy kinds of a row (several may hold at once):

- `order_missing`: shipped or invoiced against an order number the store does not hold (the
  order is quarantined or not synced yet);
- `short_shipped`: the order has shipments, but fewer units of this item went (or are in a
  shipment still pending) than were ordered (an order with no shipment at all is awaiting
  shipment, which the on-time figure measures);
- `over_shipped`: more units went than ordered (anything shipped on a cancelled order);
- `not_invoiced`: units shipped, and the order has no invoice at all yet;
- `invoice_qty_mismatch`: the order has an invoice, and its quantity of this item differs from
  the quantity shipped (also when invoiced with nothing shipped);
- `amount_mismatch`: the invoiced amount differs from the invoiced quantity at the ordered net
  unit price (unit price less discount) by more than a cent.

Figures: order-to-ship cycle time (order date to first shipment) p50/p90 over shipped orders,
and the on-time rate = orders shipped within the SLA / orders due (shipped, or unshipped with
the SLA already past). Cancelled orders count in neither. Everything is a handful of set-based
queries, whatever the number of orders.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_dictionary.jsonable import to_jsonable
from trace_store.coltypes import UtcDateTime
from trace_store.schema import device, invoice, invoice_line, order_line, sales_order, shipment, shipment_line
from trace_store.sqltime import seconds_between
from trace_store.store import Store, connection

KINDS = (
    "order_missing",
    "short_shipped",
    "over_shipped",
    "not_invoiced",
    "invoice_qty_mismatch",
    "amount_mismatch",
)
DEFAULT_SLA_DAYS = 3.0
QTY_EPS = Decimal("0.000001")
MONEY_EPS = Decimal("0.01")
CANCELLED = "cancelled"
SHIPPED, PENDING = "shipped", "pending"
"""Shipment statuses: only shipped goods count as shipped; pending ones are on their way out."""


@dataclass(frozen=True, slots=True)
class ReconciledLine:
    """One order number and item across the three systems, with the discrepancies found."""

    order_number: str
    item: str
    sku: str | None
    order_source: str | None
    order_status: str | None
    order_lines: str | None
    """Order line numbers of the item, comma-separated (None: not on the order)."""
    ordered_qty: Decimal
    shipped_qty: Decimal
    invoiced_qty: Decimal
    ordered_amount: Decimal | None
    shipped_amount: Decimal | None
    invoiced_amount: Decimal | None
    kinds: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["kinds"] = list(self.kinds)
        return to_jsonable(row)


@dataclass(frozen=True, slots=True)
class CycleFigures:
    """Order-to-ship cycle time and on-time rate (hours; None when there is nothing to measure)."""

    sla_days: float
    shipped_orders: int
    p50_hours: float | None
    p90_hours: float | None
    due_orders: int
    on_time_orders: int
    on_time_rate: float | None


@dataclass(slots=True)
class Reconciliation:
    """The rows asked for (discrepancies, or every row with `all_lines`), counts and figures."""

    lines: list[ReconciledLine]
    counts: dict[str, int]
    figures: CycleFigures
    checked: int = 0
    """Rows compared (order number x item), discrepant or not."""
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "checked": self.checked,
            "counts": self.counts,
            "figures": asdict(self.figures),
            "lines": [line.as_dict() for line in self.lines],
        }


def reconcile(
    conn_or_store: Store | Connection,
    sla_days: float = DEFAULT_SLA_DAYS,
    all_lines: bool = False,
    as_of: datetime | None = None,
) -> Reconciliation:
    """Reconcile every order number in the store; see the module docstring for the kinds."""
    now = as_of or datetime.now(UTC)
    with connection(conn_or_store) as conn:
        query = lines_query()
        rows = [_line(r) for r in conn.execute(query)]
        figures = cycle_figures(conn, sla_days, now)
    counts = Counter(kind for row in rows for kind in row.kinds)
    shown = rows if all_lines else [r for r in rows if r.kinds]
    return Reconciliation(shown, {k: counts[k] for k in KINDS}, figures, len(rows), now)


def _item(line: sa.Table, skus: sa.Subquery) -> sa.ColumnElement[str]:
    return sa.func.coalesce(line.c.gtin, skus.c.gtin, sa.literal("sku:") + line.c.sku)


def _sku_gtin() -> sa.Subquery:
    d = device.c
    return sa.select(d.sku, sa.func.min(d.gtin).label("gtin")).where(d.sku.isnot(None)).group_by(d.sku).subquery()


def lines_query() -> sa.Select[Any]:
    """One row per (order number, item) with quantities, amounts and a flag per discrepancy kind."""
    so, ol, s, sl, inv, il = sales_order, order_line, shipment, shipment_line, invoice, invoice_line
    skus_o, skus_s, skus_i = _sku_gtin(), _sku_gtin(), _sku_gtin()
    item_o, item_s, item_i = _item(ol, skus_o), _item(sl, skus_s), _item(il, skus_i)
    ordered = (
        sa.select(
            so.c.order_number,
            item_o.label("item"),
            sa.func.min(ol.c.sku).label("sku"),
            sa.func.sum(ol.c.qty).label("qty"),
            sa.func.sum(ol.c.qty * ol.c.unit_price - ol.c.discount).label("amount"),
            sa.func.aggregate_strings(sa.cast(ol.c.line_no, sa.String), ",").label("line_nos"),
        )
        .select_from(ol.join(so, sa.and_(so.c.source == ol.c.source, so.c.order_number == ol.c.order_number)))
        .outerjoin(skus_o, skus_o.c.sku == ol.c.sku)
        .group_by(so.c.order_number, item_o)
        .cte("ordered")
    )

    def shipment_qty(status: str) -> sa.CTE:
        return (
            sa.select(
                s.c.order_number,
                item_s.label("item"),
                sa.func.min(sl.c.sku).label("sku"),
                sa.func.sum(sl.c.qty).label("qty"),
            )
            .select_from(sl.join(s, sa.and_(s.c.source == sl.c.source, s.c.shipment_id == sl.c.shipment_id)))
            .outerjoin(skus_s, skus_s.c.sku == sl.c.sku)
            .where(s.c.order_number.isnot(None), s.c.status == status)
            .group_by(s.c.order_number, item_s)
            .cte(status)
        )

    shipped, pending = shipment_qty(SHIPPED), shipment_qty(PENDING)
    invoiced = (
        sa.select(
            inv.c.order_number,
            item_i.label("item"),
            sa.func.min(il.c.sku).label("sku"),
            sa.func.sum(il.c.qty).label("qty"),
            sa.func.sum(il.c.qty * il.c.unit_price).label("amount"),
        )
        .select_from(il.join(inv, sa.and_(inv.c.source == il.c.source, inv.c.invoice_number == il.c.invoice_number)))
        .outerjoin(skus_i, skus_i.c.sku == il.c.sku)
        .where(inv.c.order_number.isnot(None))
        .group_by(inv.c.order_number, item_i)
        .cte("invoiced")
    )
    keys = sa.union(
        sa.select(ordered.c.order_number, ordered.c.item),
        sa.select(shipped.c.order_number, shipped.c.item),
        sa.select(invoiced.c.order_number, invoiced.c.item),
    ).subquery("keys")
    orders = (
        sa.select(so.c.order_number, sa.func.min(so.c.source).label("source"), sa.func.min(so.c.status).label("status"))
        .group_by(so.c.order_number)
        .subquery("orders")
    )
    with_shipment = (
        sa.select(s.c.order_number)
        .where(s.c.order_number.isnot(None), s.c.status == SHIPPED)
        .distinct()
        .subquery("with_ship")
    )
    with_invoice = sa.select(inv.c.order_number).where(inv.c.order_number.isnot(None)).distinct().subquery("with_inv")

    o = sa.func.coalesce(ordered.c.qty, 0)
    q_s = sa.func.coalesce(shipped.c.qty, 0)
    q_p = sa.func.coalesce(pending.c.qty, 0)
    q_i = sa.func.coalesce(invoiced.c.qty, 0)
    known = orders.c.order_number.isnot(None)
    cancelled = sa.func.coalesce(orders.c.status, "") == CANCELLED
    has_ship = with_shipment.c.order_number.isnot(None)
    has_inv = with_invoice.c.order_number.isnot(None)
    allowed = sa.case((cancelled, 0), else_=o)
    net_unit = ordered.c.amount / sa.func.nullif(ordered.c.qty, 0)

    def flag(condition: sa.ColumnElement[bool], name: str) -> sa.Label[int]:
        return sa.case((condition, 1), else_=0).label(name)

    on = sa.and_
    return (
        sa.select(
            keys.c.order_number,
            keys.c.item,
            sa.func.coalesce(ordered.c.sku, shipped.c.sku, invoiced.c.sku).label("sku"),
            orders.c.source.label("order_source"),
            orders.c.status.label("order_status"),
            ordered.c.line_nos,
            o.label("ordered_qty"),
            q_s.label("shipped_qty"),
            q_i.label("invoiced_qty"),
            ordered.c.amount.label("ordered_amount"),
            (q_s * net_unit).label("shipped_amount"),
            invoiced.c.amount.label("invoiced_amount"),
            flag(sa.and_(~known, sa.or_(q_s > 0, q_i > 0)), "order_missing"),
            flag(sa.and_(known, ~cancelled, has_ship, q_s + q_p < o - QTY_EPS), "short_shipped"),
            flag(sa.and_(known, q_s > allowed + QTY_EPS), "over_shipped"),
            flag(sa.and_(q_s > QTY_EPS, ~has_inv), "not_invoiced"),
            flag(sa.and_(has_inv, sa.func.abs(q_i - q_s) > QTY_EPS), "invoice_qty_mismatch"),
            flag(
                sa.and_(q_i > QTY_EPS, o > QTY_EPS, sa.func.abs(invoiced.c.amount - q_i * net_unit) > MONEY_EPS),
                "amount_mismatch",
            ),
        )
        .select_from(keys)
        .outerjoin(ordered, on(ordered.c.order_number == keys.c.order_number, ordered.c.item == keys.c.item))
        .outerjoin(shipped, on(shipped.c.order_number == keys.c.order_number, shipped.c.item == keys.c.item))
        .outerjoin(pending, on(pending.c.order_number == keys.c.order_number, pending.c.item == keys.c.item))
        .outerjoin(invoiced, on(invoiced.c.order_number == keys.c.order_number, invoiced.c.item == keys.c.item))
        .outerjoin(orders, orders.c.order_number == keys.c.order_number)
        .outerjoin(with_shipment, with_shipment.c.order_number == keys.c.order_number)
        .outerjoin(with_invoice, with_invoice.c.order_number == keys.c.order_number)
        .order_by(keys.c.order_number, keys.c.item)
    )


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _line(r: Any) -> ReconciledLine:
    lines = ",".join(sorted(r.line_nos.split(","), key=int)) if r.line_nos else None
    return ReconciledLine(
        order_number=r.order_number,
        item=r.item,
        sku=r.sku,
        order_source=r.order_source,
        order_status=r.order_status,
        order_lines=lines,
        ordered_qty=Decimal(str(r.ordered_qty)),
        shipped_qty=Decimal(str(r.shipped_qty)),
        invoiced_qty=Decimal(str(r.invoiced_qty)),
        ordered_amount=_money(r.ordered_amount),
        shipped_amount=_money(r.shipped_amount),
        invoiced_amount=_money(r.invoiced_amount),
        kinds=tuple(k for k in KINDS if getattr(r, k)),
    )


def _money(value: Any) -> Decimal | None:
    amount = _dec(value)
    return None if amount is None else amount.quantize(Decimal("0.01"))


def cycle_figures(conn: Connection, sla_days: float, as_of: datetime) -> CycleFigures:
    """Cycle-time percentiles (nearest rank) and on-time rate, computed in SQL."""
    so, s = sales_order.c, shipment.c
    sla = sla_days * 86400.0
    orders = (
        sa.select(so.order_number, sa.func.min(so.order_date).label("order_date"))
        .where(sa.func.coalesce(so.status, "") != CANCELLED)
        .group_by(so.order_number)
        .subquery("orders")
    )
    first_ship = (
        sa.select(s.order_number, sa.func.min(s.ship_date).label("first_ship"))
        .where(s.order_number.isnot(None), s.status == SHIPPED)
        .group_by(s.order_number)
        .subquery("first_ship")
    )
    dialect = conn.dialect
    cycle = (
        sa.select(seconds_between(dialect, first_ship.c.first_ship, orders.c.order_date).label("secs"))
        .select_from(orders.join(first_ship, first_ship.c.order_number == orders.c.order_number))
        .subquery("cycle")
    )
    ranked = sa.select(
        cycle.c.secs,
        sa.func.row_number().over(order_by=cycle.c.secs).label("rn"),
        sa.func.count().over().label("n"),
    ).subquery("ranked")

    def rank(pct: int) -> sa.ColumnElement[Any]:
        return sa.func.min(sa.case((ranked.c.rn * 100 >= ranked.c.n * pct, ranked.c.secs)))

    shipped, p50, p90, on_time = conn.execute(
        sa.select(
            sa.func.count(),
            rank(50),
            rank(90),
            sa.func.coalesce(sa.func.sum(sa.case((ranked.c.secs <= sla, 1), else_=0)), 0),
        )
    ).one()
    overdue = conn.execute(
        sa.select(sa.func.count())
        .select_from(orders.outerjoin(first_ship, first_ship.c.order_number == orders.c.order_number))
        .where(
            first_ship.c.order_number.is_(None),
            seconds_between(dialect, sa.literal(as_of, UtcDateTime()), orders.c.order_date) > sla,
        )
    ).scalar_one()
    due = shipped + overdue
    return CycleFigures(
        sla_days=sla_days,
        shipped_orders=shipped,
        p50_hours=None if p50 is None else round(float(p50) / 3600, 2),
        p90_hours=None if p90 is None else round(float(p90) / 3600, 2),
        due_orders=due,
        on_time_orders=int(on_time),
        on_time_rate=round(on_time / due, 4) if due else None,
    )
