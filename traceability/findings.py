"""Cross-record findings, re-evaluated after every load (sources arrive in any order).

A finding is a case that holds across records of several sources: an expired lot shipped, a
serial shipped twice, an invoice that bills what did not ship. Each rule is one set-based query
returning the cases that hold now, each with a stable `key` (its identity: the same shipment
and lot give the same key on every run). `refresh_findings` compares them with the open
findings: a new case opens a finding (`first_seen_at`), a case still holding moves
`last_seen_at` (and its details), an open finding whose case no longer holds gets
`resolved_at`. A case that holds again after being resolved opens a NEW row, so every row is one
episode with true first-seen and resolved times, and history is never rewritten.

Sources sync one after another (the ERP before the warehouse), so a case may hold only because
a source it depends on has not delivered yet: an invoice checked against shipments the warehouse
has not sent. Each rule therefore names the source entities it `depends` on and each case the
time of its event (`Case.at`); a NEW case opens only when every source syncing each of those
entities has synced past that time (its cursor or its last successful run's end). Until then it
is pending: counted, not stored, and not shown. A case already open is never held back.

A steward may acknowledge an open finding or resolve it by hand, each with a note (audited). A
finding resolved by hand stays resolved while its case holds with the same details; when the
underlying facts change (the details differ), the case opens again as a new episode.

Rules whose tables are missing (recalls before migration 0003, returns before they exist) are
not evaluated, and their open findings are left open rather than resolved by ignorance.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_dictionary.jsonable import to_jsonable
from trace_store import audit
from trace_store.coltypes import UtcDateTime
from trace_store.schema import (
    batch_record,
    device,
    finding,
    invoice,
    lot,
    order_line,
    payload_field,
    quarantine,
    raw_version,
    sales_order,
    shipment,
    shipment_line,
    sync_run,
    sync_state,
)
from trace_store.sql import chunks
from trace_store.sqltime import utc_day
from trace_store.store import Store, connection
from traceability import reconcile

Severity = Literal["critical", "warning"]
_LOCK = 0x7472_6669  # pg advisory lock id: one refresh at a time, so a case never opens twice
NOT_RELEASED = ("on_hold", "rejected")
DEFAULT_ERP_GRACE = timedelta(hours=24)
DEFAULT_PRICE_TOLERANCE = Decimal("0.10")

# Tables of the recall and returns work (migration 0003), read by name so that this module does
# not depend on their definitions; `_has` decides whether the rules that read them run.
recall = sa.table("recall", sa.column("recall_id"), sa.column("created_at", UtcDateTime()))
recall_item = sa.table("recall_item", sa.column("recall_id"), sa.column("gtin"), sa.column("lot"), sa.column("serial"))
customer_return = sa.table(
    "customer_return", sa.column("source"), sa.column("return_id"), sa.column("return_date", UtcDateTime())
)
return_line = sa.table(
    "return_line", sa.column("source"), sa.column("return_id"), sa.column("gtin"), sa.column("serial")
)
RETURN_TABLES = ("customer_return", "return_line")


class FindingConfigError(ValueError):
    """A finding threshold set in the environment is not a usable number: a person must fix it."""


@dataclass(frozen=True, slots=True)
class FindingConfig:
    """Thresholds of the rules; `from_env` reads TRACEHUB_ERP_GRACE_HOURS and TRACEHUB_PRICE_TOLERANCE."""

    erp_grace: timedelta = DEFAULT_ERP_GRACE
    """How long a shipped lot may stay unknown to the ERP after its shipment first loaded."""
    price_tolerance: Decimal = DEFAULT_PRICE_TOLERANCE
    """Allowed relative gap between an order line's net unit price and the device list price."""

    @classmethod
    def from_env(cls) -> FindingConfig:
        hours = os.environ.get("TRACEHUB_ERP_GRACE_HOURS")
        tolerance = os.environ.get("TRACEHUB_PRICE_TOLERANCE")
        try:
            grace = timedelta(hours=float(hours)) if hours else DEFAULT_ERP_GRACE
            share = Decimal(tolerance) if tolerance else DEFAULT_PRICE_TOLERANCE
            valid = grace >= timedelta(0) and share >= 0
        except (ValueError, ArithmeticError, OverflowError):
            valid = False
        if not valid:
            raise FindingConfigError(
                f"TRACEHUB_ERP_GRACE_HOURS={hours!r}, TRACEHUB_PRICE_TOLERANCE={tolerance!r}: expected numbers "
                "not below zero, e.g. 24 (hours) and 0.10 (10%)"
            )
        return cls(erp_grace=grace, price_tolerance=share)


@dataclass(frozen=True, slots=True)
class Case:
    """One case that holds now: its identity within the rule and what a person needs to act."""

    key: str
    details: dict[str, Any]
    at: datetime | None = None
    """When the event happened (a ship date, an order's last update): what the sources must have synced past."""


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    severity: Severity
    description: str
    cases: Callable[[Connection, FindingConfig, datetime], Iterable[Case]]
    needs: tuple[str, ...] = ()
    """Tables that must exist for the rule to be evaluated."""
    depends: tuple[str, ...] = ()
    """Source entities whose data the rule reads: each must have synced past a case's event before it opens."""


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    opened: int
    resolved: int
    still_open: int
    """Findings open before the refresh whose case still holds."""
    open_now: int = 0
    """Every finding open after the refresh (the new ones included)."""
    pending: int = 0
    """New cases not opened yet: a source they depend on has not synced past their event."""
    kept_resolved: int = 0
    """Cases resolved by hand that still hold with the same details, so stay resolved."""
    skipped_rules: tuple[str, ...] = field(default=())
    """Rules not evaluated because a table they read does not exist yet."""


SHIPPED = "shipped"
"""Shipment status of goods that left the warehouse; pending shipments are no evidence yet."""


def _shipped(*extra: Any) -> sa.Select[Any]:
    """Lines of shipments that left, with their shipment header: the base of every shipping rule."""
    s, sl = shipment.c, shipment_line.c
    return (
        sa.select(s.source, s.shipment_id, s.order_number, s.ship_date, sl.gtin, sl.lot, *extra)
        .select_from(shipment_line.join(shipment, sa.and_(s.source == sl.source, s.shipment_id == sl.shipment_id)))
        .where(s.status == SHIPPED)
    )


def _shipment_details(r: Any) -> dict[str, Any]:
    return {
        "source": r.source,
        "shipment_id": r.shipment_id,
        "order_number": r.order_number,
        "ship_date": r.ship_date,
        "gtin": r.gtin,
        "lot": r.lot,
        "qty": r.qty,
    }


def _lot_case(r: Any, **extra: Any) -> Case:
    return Case(f"{r.source}|{r.shipment_id}|{r.gtin}|{r.lot}", {**_shipment_details(r), **extra}, r.ship_date)


def _grouped_lot_lines(*extra: Any) -> tuple[sa.Select[Any], list[Any]]:
    """Shipped lot lines summed per (shipment, gtin, lot)."""
    s, sl = shipment.c, shipment_line.c
    group = [s.source, s.shipment_id, s.order_number, s.ship_date, sl.gtin, sl.lot, *extra]
    return _shipped(*extra, sa.func.sum(sl.qty).label("qty")).where(sl.lot.isnot(None)), group


def expired_lot_shipped(conn: Connection, _cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """The ERP says the lot had expired before the day it shipped."""
    sl, lt = shipment_line.c, lot.c
    query, group = _grouped_lot_lines(lt.expiry_date)
    query = query.join(lot, sa.and_(lt.gtin == sl.gtin, lt.lot == sl.lot)).where(
        lt.expiry_date < utc_day(conn.dialect, shipment.c.ship_date)
    )
    for r in conn.execute(query.group_by(*group)):
        yield _lot_case(r, expiry_date=r.expiry_date)


def unreleased_lot_shipped(conn: Connection, _cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """The lot was on hold or rejected, or shipped before the batch record that released it."""
    sl, lt, br = shipment_line.c, lot.c, batch_record.c
    released = (
        sa.select(br.output_gtin, br.output_lot, sa.func.min(br.record_date).label("release_date"))
        .where(br.qc_decision == "released", br.record_date.isnot(None))
        .group_by(br.output_gtin, br.output_lot)
        .subquery("released")
    )
    query, group = _grouped_lot_lines(lt.qc_status, released.c.release_date)
    query = (
        query.outerjoin(lot, sa.and_(lt.gtin == sl.gtin, lt.lot == sl.lot))
        .outerjoin(released, sa.and_(released.c.output_gtin == sl.gtin, released.c.output_lot == sl.lot))
        .where(
            sa.or_(
                lt.qc_status.in_(NOT_RELEASED),
                released.c.release_date > utc_day(conn.dialect, shipment.c.ship_date),
            )
        )
    )
    for r in conn.execute(query.group_by(*group)):
        reason = r.qc_status if r.qc_status in NOT_RELEASED else "shipped_before_release"
        yield _lot_case(r, reason=reason, qc_status=r.qc_status, release_date=r.release_date)


def recalled_lot_shipped(conn: Connection, _cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """A recalled lot or serial left after its recall was created (open or closed: it was recalled)."""
    sl, s, rc, ri = shipment_line.c, shipment.c, recall.c, recall_item.c
    query = (
        _shipped(sl.serial, rc.recall_id, rc.created_at, sa.func.sum(sl.qty).label("qty"))
        .join(
            recall_item,
            sa.and_(
                ri.gtin == sl.gtin,
                sa.or_(ri.lot.is_(None), ri.lot == sl.lot),
                sa.or_(ri.serial.is_(None), ri.serial == sl.serial),
            ),
        )
        .join(recall, rc.recall_id == ri.recall_id)
        .where(s.ship_date > rc.created_at)
        .group_by(s.source, s.shipment_id, s.order_number, s.ship_date, sl.gtin, sl.lot, sl.serial)
        .group_by(rc.recall_id, rc.created_at)
    )
    for r in conn.execute(query):
        key = f"{r.recall_id}|{r.source}|{r.shipment_id}|{r.gtin}|{r.lot or ''}|{r.serial or ''}"
        details = {**_shipment_details(r), "serial": r.serial, "recall_id": r.recall_id, "recalled_at": r.created_at}
        yield Case(key, details, r.ship_date)


def serial_shipped_twice(conn: Connection, _cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """One serialised unit left in two shipments with no return of it in between."""
    a, b = shipment_line.alias("a"), shipment_line.alias("b")
    sa_, sb = shipment.alias("sa"), shipment.alias("sb")
    earlier = sa.or_(
        sa_.c.ship_date < sb.c.ship_date,
        sa.and_(
            sa_.c.ship_date == sb.c.ship_date,
            sa.tuple_(sa_.c.source, sa_.c.shipment_id) < sa.tuple_(sb.c.source, sb.c.shipment_id),
        ),
    )
    query = (
        sa.select(
            a.c.gtin,
            a.c.serial,
            sa_.c.source.label("first_source"),
            sa_.c.shipment_id.label("first_shipment"),
            sa_.c.ship_date.label("first_date"),
            sb.c.source.label("second_source"),
            sb.c.shipment_id.label("second_shipment"),
            sb.c.ship_date.label("second_date"),
        )
        .select_from(
            a.join(sa_, sa.and_(sa_.c.source == a.c.source, sa_.c.shipment_id == a.c.shipment_id))
            .join(b, sa.and_(b.c.gtin == a.c.gtin, b.c.serial == a.c.serial))
            .join(sb, sa.and_(sb.c.source == b.c.source, sb.c.shipment_id == b.c.shipment_id))
        )
        .where(a.c.serial.isnot(None), earlier, sa_.c.status == SHIPPED, sb.c.status == SHIPPED)
        .distinct()
    )
    if _has(conn, *RETURN_TABLES):
        rh, rl = customer_return, return_line
        returned_between = (
            sa.select(sa.literal(1))
            .select_from(rl.join(rh, sa.and_(rh.c.source == rl.c.source, rh.c.return_id == rl.c.return_id)))
            .where(
                rl.c.gtin == a.c.gtin,
                rl.c.serial == a.c.serial,
                rh.c.return_date >= sa_.c.ship_date,
                rh.c.return_date <= sb.c.ship_date,
            )
        )
        query = query.where(~returned_between.exists())
    shipments: dict[tuple[str, str], dict[tuple[str, str], datetime]] = {}
    for r in conn.execute(query):
        seen = shipments.setdefault((r.gtin, r.serial), {})
        seen[(r.first_source, r.first_shipment)] = r.first_date
        seen[(r.second_source, r.second_shipment)] = r.second_date
    for (gtin, serial), seen in sorted(shipments.items()):
        listed = [{"source": s, "shipment_id": i, "ship_date": d} for (s, i), d in sorted(seen.items(), key=_by_date)]
        yield Case(f"{gtin}|{serial}", {"gtin": gtin, "serial": serial, "shipments": listed}, max(seen.values()))


def _by_date(item: tuple[tuple[str, str], datetime]) -> tuple[datetime, str, str]:
    (source, shipment_id), when = item
    return when, source, shipment_id


def lot_unknown_to_erp(conn: Connection, cfg: FindingConfig, now: datetime) -> Iterable[Case]:
    """A shipped lot the ERP's lot table still does not know, a grace period after the shipment loaded."""
    s, sl, lt, rv = shipment.c, shipment_line.c, lot.c, raw_version.c
    first_loaded = (
        sa.select(rv.source, rv.external_id, sa.func.min(rv.landed_at).label("loaded_at"))
        .where(rv.entity == "shipment")
        .group_by(rv.source, rv.external_id)
        .subquery("first_loaded")
    )
    known = sa.select(lt.gtin).where(lt.gtin == sl.gtin, lt.lot == sl.lot).exists()
    query = (
        sa.select(
            sl.gtin,
            sl.lot,
            sa.func.count(sa.distinct(s.shipment_id)).label("shipments"),
            sa.func.sum(sl.qty).label("qty"),
            sa.func.min(s.ship_date).label("first_ship_date"),
            sa.func.min(first_loaded.c.loaded_at).label("first_loaded_at"),
        )
        .select_from(
            shipment_line.join(shipment, sa.and_(s.source == sl.source, s.shipment_id == sl.shipment_id)).join(
                first_loaded,
                sa.and_(first_loaded.c.source == s.source, first_loaded.c.external_id == s.raw_external_id),
            )
        )
        .where(sl.lot.isnot(None), ~known, s.status == SHIPPED)
        .group_by(sl.gtin, sl.lot)
        .having(sa.func.min(first_loaded.c.loaded_at) <= sa.literal(now - cfg.erp_grace, first_loaded.c.loaded_at.type))
    )
    for r in conn.execute(query):
        yield Case(f"{r.gtin}|{r.lot}", dict(r._mapping), r.first_ship_date)


def item_unresolved(conn: Connection, _cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """A shipped line names a SKU the device master does not resolve to one GTIN (unknown or ambiguous).

    Until the master has it, the line cannot be traced by GTIN; it resolves by itself when the
    device loads (trace_store/resolve.py), and so does this finding.
    """
    sl = shipment_line.c
    query = (
        _shipped(sl.sku, sa.func.sum(sl.qty).label("qty"), sa.func.count().label("lines"))
        .where(sl.gtin.is_(None), sl.sku.isnot(None))
        .group_by(shipment.c.source, shipment.c.shipment_id, shipment.c.order_number, shipment.c.ship_date)
        .group_by(sl.gtin, sl.lot, sl.sku)
    )
    for r in conn.execute(query):
        details = {**_shipment_details(r), "sku": r.sku, "lines": r.lines}
        yield Case(f"{r.source}|{r.shipment_id}|{r.sku}|{r.lot or ''}", details, r.ship_date)


def lot_missing(conn: Connection, _cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """A shipped line of a lot-tracked device names no lot: a recall of that lot would miss it.

    A sync quarantines such a line when the device master already knows the device; this finds
    the lines that loaded before their device did and resolved later.
    """
    sl, d = shipment_line.c, device.c
    query = (
        _shipped(sl.sku, sa.func.sum(sl.qty).label("qty"))
        .join(device, d.gtin == sl.gtin)
        .where(sl.lot.is_(None), d.tracking == "lot")
        .group_by(shipment.c.source, shipment.c.shipment_id, shipment.c.order_number, shipment.c.ship_date)
        .group_by(sl.gtin, sl.lot, sl.sku)
    )
    for r in conn.execute(query):
        yield Case(f"{r.source}|{r.shipment_id}|{r.gtin}", {**_shipment_details(r), "sku": r.sku}, r.ship_date)


def invoice_qty_mismatch(conn: Connection, _cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """Per order and item, the invoiced quantity differs from the quantity shipped (reconciliation's kind)."""
    lines = reconcile.lines_query().subquery()
    query = sa.select(lines).where(lines.c.invoice_qty_mismatch == 1)
    updated = _order_updated_at(conn)
    for r in conn.execute(query):
        yield Case(
            f"{r.order_number}|{r.item}",
            {
                "order_number": r.order_number,
                "item": r.item,
                "sku": r.sku,
                "ordered_qty": r.ordered_qty,
                "shipped_qty": r.shipped_qty,
                "invoiced_qty": r.invoiced_qty,
            },
            updated.get(r.order_number),
        )


def _order_updated_at(conn: Connection) -> dict[str, datetime]:
    """Order number -> the latest platform update of its order, shipments and invoices."""
    touched = sa.union_all(
        *(
            sa.select(t.c.order_number, t.c.source_updated_at.label("at")).where(t.c.order_number.isnot(None))
            for t in (sales_order, shipment, invoice)
        )
    ).subquery("touched")
    query = sa.select(touched.c.order_number, sa.func.max(touched.c.at)).group_by(touched.c.order_number)
    return {number: at for number, at in conn.execute(query)}


def price_outside_tolerance(conn: Connection, cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """An order line's unit price net of discount is off the device list price by more than the tolerance."""
    so, ol = sales_order.c, order_line.c
    by_gtin, by_sku = device.alias("by_gtin"), device.alias("by_sku")
    listed = sa.func.coalesce(by_gtin.c.list_price, by_sku.c.list_price)
    net = ol.unit_price - ol.discount / ol.qty
    query = (
        sa.select(
            ol.source,
            ol.order_number,
            ol.line_no,
            ol.sku,
            sa.func.coalesce(ol.gtin, by_sku.c.gtin).label("gtin"),
            ol.qty,
            ol.unit_price,
            ol.discount,
            listed.label("list_price"),
            so.order_date,
            so.source_updated_at,
        )
        .select_from(
            order_line.join(sales_order, sa.and_(so.source == ol.source, so.order_number == ol.order_number))
            .outerjoin(by_gtin, by_gtin.c.gtin == ol.gtin)
            .outerjoin(by_sku, sa.and_(ol.gtin.is_(None), by_sku.c.sku == ol.sku))
        )
        .where(ol.qty > 0, listed > 0, sa.func.abs(net - listed) > listed * cfg.price_tolerance)
    )
    for r in conn.execute(query):
        details = dict(r._mapping)
        del details["source_updated_at"]
        details["net_unit_price"] = Decimal(str(r.unit_price)) - Decimal(str(r.discount)) / Decimal(str(r.qty))
        details["tolerance"] = cfg.price_tolerance
        yield Case(f"{r.source}|{r.order_number}|{r.line_no}", details, r.source_updated_at)


ADDED_FIELD_REPORTED = timedelta(days=7)
"""How long a field a platform added is reported after it was first seen."""


def schema_drift(conn: Connection, _cfg: FindingConfig, _now: datetime) -> Iterable[Case]:
    """A platform stopped sending a field it always sent, or sends it as another type (pipeline/drift.py).

    One case per source, entity and field, while records quarantined for it stay open; it resolves
    when they are replayed (after the mapping is fixed), accepted or rejected.
    """
    q = quarantine.c
    query = sa.select(q.source, q.entity, q.failures).where(q.status == "open", q.rules.like("%schema_drift%"))
    cases: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in conn.execute(query):
        for failure in r.failures or []:
            if failure.get("rule") != "schema_drift":
                continue
            key = (r.source, r.entity, str(failure.get("field")))
            case = cases.setdefault(
                key,
                {
                    "source": r.source,
                    "entity": r.entity,
                    "field": key[2],
                    "message": failure.get("message"),
                    "records": 0,
                },
            )
            case["records"] += 1
    for (source, entity, field_path), details in sorted(cases.items()):
        yield Case(f"{source}|{entity}|{field_path}", details)


def schema_field_added(conn: Connection, _cfg: FindingConfig, now: datetime) -> Iterable[Case]:
    """A field a platform started sending (kept in the raw payloads), for a week after it first appeared."""
    f = payload_field.c
    query = sa.select(f.source, f.entity, f.path, f.json_type, f.first_seen_at).where(
        f.added.is_(True), f.first_seen_at >= now - ADDED_FIELD_REPORTED
    )
    for r in conn.execute(query.order_by(f.source, f.entity, f.path)):
        details = {
            "source": r.source,
            "entity": r.entity,
            "field": r.path,
            "type": r.json_type,
            "since": r.first_seen_at,
        }
        yield Case(f"{r.source}|{r.entity}|{r.path}", details)


SHIPPING = ("shipment",)
RULES: tuple[Rule, ...] = (
    Rule(
        "expired_lot_shipped",
        "critical",
        "lot expiry (ERP) before the ship date",
        expired_lot_shipped,
        depends=(*SHIPPING, "lot"),
    ),
    Rule(
        "unreleased_lot_shipped",
        "critical",
        "lot on hold or rejected, or shipped before its releasing batch record",
        unreleased_lot_shipped,
        depends=(*SHIPPING, "lot", "batch_record"),
    ),
    Rule(
        "recalled_lot_shipped",
        "critical",
        "recalled lot or serial shipped after the recall",
        recalled_lot_shipped,
        needs=("recall", "recall_item"),
        depends=SHIPPING,
    ),
    Rule(
        "serial_shipped_twice",
        "critical",
        "a serial in two shipments with no return between",
        serial_shipped_twice,
        depends=(*SHIPPING, "return"),
    ),
    Rule(
        "lot_unknown_to_erp",
        "warning",
        "shipped lot unknown to the ERP after the grace period",
        lot_unknown_to_erp,
        depends=(*SHIPPING, "lot"),
    ),
    Rule(
        "item_unresolved",
        "warning",
        "shipped SKU the device master does not resolve to a GTIN",
        item_unresolved,
        depends=(*SHIPPING, "device", "variant"),
    ),
    Rule(
        "lot_missing",
        "critical",
        "shipped line of a lot-tracked device without a lot",
        lot_missing,
        depends=(*SHIPPING, "device"),
    ),
    Rule(
        "invoice_qty_mismatch",
        "warning",
        "invoiced quantity differs from shipped (order + item)",
        invoice_qty_mismatch,
        depends=("order", *SHIPPING, "invoice", "device", "variant"),
    ),
    Rule(
        "price_outside_tolerance",
        "warning",
        "order unit price (net of discount) off the list price beyond the tolerance",
        price_outside_tolerance,
        depends=("order", "device"),
    ),
    Rule("schema_drift", "critical", "a platform removed, renamed or retyped a field the mapping reads", schema_drift),
    Rule(
        "schema_field_added",
        "warning",
        "a platform sends a new field (kept in the raw payload)",
        schema_field_added,
        needs=("payload_field",),
    ),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}
SourceEntity = tuple[str, str]


def _has(conn: Connection, *tables: str) -> bool:
    inspector = sa.inspect(conn)
    return all(inspector.has_table(name) for name in tables)


def refresh_findings(
    conn_or_store: Store | Connection,
    config: FindingConfig | None = None,
    now: datetime | None = None,
    sources: Iterable[SourceEntity] = (),
) -> RefreshSummary:
    """Evaluate every rule and open, refresh or resolve findings, all in one transaction.

    `sources`: the configured (source, entity) pairs, so that one that never synced yet holds new
    cases back too; pairs the store has run ledger or cursors for count whether listed or not.
    """
    cfg = config or FindingConfig.from_env()
    moment = now or datetime.now(UTC)
    if isinstance(conn_or_store, Store):
        with conn_or_store.transaction() as conn:
            return _refresh(conn, cfg, moment, set(sources))
    return _refresh(conn_or_store, cfg, moment, set(sources))


def synced_until(conn: Connection, sources: set[SourceEntity]) -> dict[str, list[datetime | None]]:
    """Entity -> how far each source syncing it has synced: the later of its cursor and its last
    successful run's end (None: nothing delivered yet)."""
    r, st = sync_run.c, sync_state.c
    reached: dict[SourceEntity, datetime | None] = dict.fromkeys(sources)
    for source, entity in conn.execute(sa.select(r.source, r.entity).distinct()):
        reached.setdefault((source, entity), None)
    finished = sa.select(r.source, r.entity, sa.func.max(r.finished_at)).where(r.status == "success")
    cursors = sa.select(st.source, st.entity, st.cursor).where(st.cursor.isnot(None))
    for query in (finished.group_by(r.source, r.entity), cursors):
        for source, entity, at in conn.execute(query):
            if at is not None:
                known = reached.get((source, entity))
                reached[(source, entity)] = at if known is None else max(known, at)
    by_entity: dict[str, list[datetime | None]] = defaultdict(list)
    for (_source, entity), at in reached.items():
        by_entity[entity].append(at)
    return by_entity


def _ready(rule: Rule, at: datetime | None, until: dict[str, list[datetime | None]]) -> bool:
    """Has every source of every entity the rule depends on synced past `at`?"""
    return all(
        reached is not None and (at is None or reached >= at) for entity in rule.depends for reached in until[entity]
    )


def _refresh(conn: Connection, cfg: FindingConfig, now: datetime, sources: set[SourceEntity]) -> RefreshSummary:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
    evaluated = [rule for rule in RULES if _has(conn, *rule.needs)]
    skipped = tuple(rule.name for rule in RULES if rule not in evaluated)
    until = synced_until(conn, sources)
    current: dict[tuple[str, str], dict[str, Any]] = {}
    held_back: set[tuple[str, str]] = set()
    for rule in evaluated:
        for case in rule.cases(conn, cfg, now):
            current[(rule.name, case.key)] = to_jsonable(case.details)
            if not _ready(rule, case.at, until):
                held_back.add((rule.name, case.key))
    f = finding.c
    open_rows = {
        (r.rule, r.key): (r.id, r.details)
        for r in conn.execute(
            sa.select(f.id, f.rule, f.key, f.details).where(
                f.resolved_at.is_(None), f.rule.in_([rule.name for rule in evaluated])
            )
        )
    }
    candidates = set(current) - set(open_rows)
    pending = candidates & held_back
    by_hand = _resolved_by_hand(conn)
    kept = {k for k in candidates - pending if k in by_hand and by_hand[k] == current[k]}
    new = sorted(candidates - pending - kept)
    if new:
        conn.execute(
            finding.insert(),
            [
                {
                    "rule": rule,
                    "key": key,
                    "severity": RULES_BY_NAME[rule].severity,
                    "details": current[(rule, key)],
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for rule, key in new
            ],
        )
    still = sorted(set(current) & set(open_rows))
    _set(conn, [open_rows[k][0] for k in still], last_seen_at=now)
    changed = [{"fid": open_rows[k][0], "new_details": current[k]} for k in still if open_rows[k][1] != current[k]]
    if changed:
        conn.execute(
            finding.update().where(f.id == sa.bindparam("fid")).values(details=sa.bindparam("new_details")), changed
        )
    gone = sorted(set(open_rows) - set(current))
    _set(conn, [open_rows[k][0] for k in gone], resolved_at=now)
    return RefreshSummary(
        opened=len(new),
        resolved=len(gone),
        still_open=len(still),
        open_now=len(new) + len(still),
        pending=len(pending),
        kept_resolved=len(kept),
        skipped_rules=skipped,
    )


def _resolved_by_hand(conn: Connection) -> dict[tuple[str, str], Any]:
    """(rule, key) -> details of cases whose latest episode a steward resolved by hand."""
    f = finding.c
    latest = sa.select(sa.func.max(f.id)).group_by(f.rule, f.key)
    query = sa.select(f.rule, f.key, f.details).where(f.resolved_by.isnot(None), f.id.in_(latest))
    return {(r.rule, r.key): r.details for r in conn.execute(query)}


def _set(conn: Connection, ids: list[int], **values: Any) -> None:
    for part in chunks(ids):
        conn.execute(finding.update().where(finding.c.id.in_(part)).values(**values))


SEVERITIES: tuple[Severity, ...] = ("critical", "warning")
FINDING_STATUSES = ("open", "resolved", "all")


def list_findings(
    conn_or_store: Store | Connection, status: str = "open", rule: str | None = None, severity: str | None = None
) -> list[dict[str, Any]]:
    """Findings as JSON-ready dicts, newest first; `status` is open, resolved or all."""
    if status not in FINDING_STATUSES:
        raise LookupError(f"finding status {status!r} is not one of {', '.join(FINDING_STATUSES)}")
    if rule is not None and rule not in RULES_BY_NAME:
        raise LookupError(f"finding rule {rule!r} is unknown; rules: {', '.join(RULES_BY_NAME)}")
    if severity is not None and severity not in SEVERITIES:
        raise LookupError(f"finding severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    f = finding.c
    query = sa.select(finding).order_by(f.first_seen_at.desc(), f.id.desc())
    if status == "open":
        query = query.where(f.resolved_at.is_(None))
    elif status == "resolved":
        query = query.where(f.resolved_at.isnot(None))
    if rule is not None:
        query = query.where(f.rule == rule)
    if severity is not None:
        query = query.where(f.severity == severity)
    with connection(conn_or_store) as conn:
        return [to_jsonable(dict(r._mapping)) for r in conn.execute(query)]


def get_finding(conn_or_store: Store | Connection, finding_id: int) -> dict[str, Any]:
    """One finding as a JSON-ready dict; LookupError names the id when there is none."""
    with connection(conn_or_store) as conn:
        row = conn.execute(sa.select(finding).where(finding.c.id == finding_id)).first()
    if row is None:
        raise LookupError(f"there is no finding {finding_id}")
    return to_jsonable(dict(row._mapping))


def open_counts(conn_or_store: Store | Connection) -> dict[str, dict[str, int]]:
    """Open findings per severity: {"critical": {"open": n, "acknowledged": m}, "warning": {...}}."""
    f = finding.c
    acknowledged = sa.func.count(f.acknowledged_at)
    query = sa.select(f.severity, sa.func.count(), acknowledged).where(f.resolved_at.is_(None)).group_by(f.severity)
    counts: dict[str, dict[str, int]] = {severity: {"open": 0, "acknowledged": 0} for severity in SEVERITIES}
    with connection(conn_or_store) as conn:
        for severity, total, acked in conn.execute(query):
            counts[severity] = {"open": total, "acknowledged": acked}
    return counts


class FindingActionError(ValueError):
    """A steward's action on a finding refused (unknown, already resolved, no note); nothing changed."""


def acknowledge(store: Store, finding_id: int, note: str, actor: str) -> dict[str, Any]:
    """Mark an open finding as seen and being handled, with a note; it stays open (audited)."""
    return _act(store, finding_id, note, actor, "finding_acknowledge")


def resolve(store: Store, finding_id: int, note: str, actor: str) -> dict[str, Any]:
    """Close an open finding by hand with a note (audited).

    It stays resolved while its case holds with the same details; a change of the facts (new
    details) opens a new episode at the next refresh.
    """
    return _act(store, finding_id, note, actor, "finding_resolve")


def _act(store: Store, finding_id: int, note: str, actor: str, action: str) -> dict[str, Any]:
    if not note.strip() or not actor.strip():
        raise FindingActionError("a note and an actor are required: say why, for the audit log")
    f = finding.c
    now = datetime.now(UTC)
    with store.transaction() as conn:
        if conn.dialect.name == "postgresql":  # a refresh resolving the same finding waits, or goes first
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK)))
        row = conn.execute(sa.select(finding).where(f.id == finding_id)).first()
        if row is None:
            raise FindingActionError(f"there is no finding {finding_id}")
        if row.resolved_at is not None:
            raise FindingActionError(f"finding {finding_id} is already resolved")
        if action == "finding_acknowledge":
            values = {"acknowledged_at": now, "acknowledged_by": actor, "acknowledge_note": note}
        else:
            values = {"resolved_at": now, "resolved_by": actor, "resolve_note": note}
        conn.execute(finding.update().where(f.id == finding_id).values(**values))
        audit.append(conn, actor, action, "finding", str(finding_id), {"rule": row.rule, "key": row.key, "note": note})
        return to_jsonable(dict(conn.execute(sa.select(finding).where(f.id == finding_id)).one()._mapping))


def unnotified_critical(conn: Connection) -> list[dict[str, Any]]:
    """Critical findings never delivered to the webhook, oldest first."""
    f = finding.c
    query = sa.select(finding).where(f.severity == "critical", f.notified_at.is_(None)).order_by(f.id)
    return [to_jsonable(dict(r._mapping)) for r in conn.execute(query)]


def mark_notified(conn: Connection, ids: list[int], at: datetime) -> None:
    """Record delivery (after the receiver answered 2xx); never overwrites an earlier delivery time."""
    f = finding.c
    for part in chunks(ids):
        conn.execute(finding.update().where(f.id.in_(part), f.notified_at.is_(None)).values(notified_at=at))
