"""Forward and backward genealogy over the trace graph: one recursive CTE per direction.

Forward: from a lot (or one serial) to the lots made from it, to any depth, and every consignee
of each lot reached. Backward: from a lot (or the lot of a serial, from its shipment line) to the
lots consumed making it, recursively, each with its supplier (`lot.manufacturer`). The graph is
`trace_edge`, built at load time; which edge kinds are walked comes from trace_store/evidence.py.

The walk is cycle-safe (an edge back to a lot already on its path is listed, not followed) and
depth-limited. Every edge comes back
with its own evidence label and `path_confidence`: `inferred` when any edge between the start
and it is inferred, so a recall shows which consignees are certain and which are candidates.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store import evidence
from trace_store.schema import lot as lot_table
from trace_store.schema import trace_edge
from trace_store.store import Store, connection

Direction = Literal["forward", "backward"]
MAX_DEPTH = 64
"""The depth of "any depth": far beyond any real bill of materials, a bound on bad data."""
_SEP, _PAIR = "\x1f", "\x1e"
"""Path separators: control characters, which GS1 lot and serial values cannot contain."""


@dataclass(frozen=True, slots=True)
class TraceEdge:
    """One edge of a trace: what moved (gtin, lot, serial, qty) to where, on which evidence.

    `produced` kinds: the item went into output_gtin/output_lot. `outbound`: the item went to
    the consignee `to_party` in `to_region`. `inbound`: it came from `from_party`. `supplier` is
    the lot master's manufacturer of the item's lot. `doc_id` is the shipment id or batch record.
    """

    depth: int
    evidence: str
    confidence: str
    path_confidence: str
    gtin: str | None
    lot: str | None
    serial: str | None
    qty: Decimal
    output_gtin: str | None
    output_lot: str | None
    from_party: str | None
    to_party: str | None
    to_region: str | None
    event_time: datetime | None
    source: str
    doc_id: str
    line_no: int
    order_number: str | None
    supplier: str | None
    edge_id: str

    @property
    def shape(self) -> str:
        return evidence.EVIDENCE[self.evidence].shape

    def rank(self) -> tuple[bool, int]:
        """Of two paths to one edge keep the recorded one, then the shorter one (lowest rank wins)."""
        return self.path_confidence != "recorded", self.depth


@dataclass(frozen=True, slots=True)
class InputLot:
    """A lot consumed into `output_gtin`/`output_lot` (total over its batch inputs)."""

    gtin: str | None
    lot: str | None
    qty: Decimal
    supplier: str | None
    evidence: str
    path_confidence: str
    output_gtin: str | None
    output_lot: str | None
    depth: int
    documents: list[str] = field(default_factory=list)


@dataclass
class TraceResult:
    """The edges of one trace, nearest first, each edge once."""

    direction: Direction
    gtin: str
    lot: str | None
    serial: str | None
    depth: int
    edges: list[TraceEdge]

    def consignees(self, per: Literal["lot", "serial"] = "lot") -> dict[str, dict[str, Decimal]]:
        """Customer -> quantity per "GTIN|LOT" (per "GTIN|SERIAL" for serial units if `per` is serial)."""
        out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for e in self.edges:
            if e.shape == "outbound" and e.to_party is not None:
                item = e.serial if per == "serial" and e.serial else e.lot
                out[e.to_party][f"{e.gtin}|{item}"] += e.qty
        return {customer: dict(items) for customer, items in out.items()}

    def inputs(self) -> list[InputLot]:
        """Consumed lots with quantity, supplier and evidence, nearest first."""
        acc: dict[tuple[Any, ...], dict[str, Any]] = {}
        for e in self.edges:
            if e.shape != "produced":
                continue
            key = (e.gtin, e.lot, e.evidence, e.output_gtin, e.output_lot)
            row = acc.setdefault(
                key,
                {
                    "gtin": e.gtin,
                    "lot": e.lot,
                    "qty": Decimal(0),
                    "supplier": e.supplier,
                    "evidence": e.evidence,
                    "path_confidence": e.path_confidence,
                    "output_gtin": e.output_gtin,
                    "output_lot": e.output_lot,
                    "depth": e.depth,
                    "documents": [],
                },
            )
            row["qty"] += e.qty
            if e.doc_id not in row["documents"]:
                row["documents"].append(e.doc_id)
        return [InputLot(**row) for row in acc.values()]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: edges, plus consignees (forward) or inputs (backward)."""
        out: dict[str, Any] = {"direction": self.direction, "depth": self.depth, "edges": []}
        for e in self.edges:
            row = asdict(e)
            row["shape"] = e.shape
            out["edges"].append(row)
        if self.direction == "forward":
            out["consignees"] = self.consignees()
        else:
            out["inputs"] = [asdict(i) for i in self.inputs()]
        return out


def forward(
    conn_or_store: Store | Connection,
    gtin: str,
    lot: str | None = None,
    serial: str | None = None,
    depth: int | None = None,
) -> TraceResult:
    """Where a lot (or one serial) went: lots made from it, to any depth, and their consignees."""
    return _trace("forward", conn_or_store, gtin, lot, serial, depth)


def backward(
    conn_or_store: Store | Connection,
    gtin: str,
    lot: str | None = None,
    serial: str | None = None,
    depth: int | None = None,
) -> TraceResult:
    """What a lot (or a serial's lot) was made from, recursively, with each input lot's supplier."""
    return _trace("backward", conn_or_store, gtin, lot, serial, depth)


def _trace(
    direction: Direction,
    conn_or_store: Store | Connection,
    gtin: str,
    lot: str | None,
    serial: str | None,
    depth: int | None,
) -> TraceResult:
    if (lot is None) == (serial is None):
        raise ValueError("trace one lot or one serial: give exactly one of lot and serial")
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be 1 or more (edges from the start), got {depth}")
    limit = min(depth or MAX_DEPTH, MAX_DEPTH)
    with connection(conn_or_store) as conn:
        query = _query(conn.dialect.name, direction, serial is not None, _registry())
        best: dict[str, TraceEdge] = {}
        for r in conn.execute(query, {"gtin": gtin, "item": lot if serial is None else serial, "limit": limit}):
            edge = TraceEdge(**r._mapping)
            seen = best.get(edge.edge_id)
            if seen is None or edge.rank() < seen.rank():
                best[edge.edge_id] = edge
    edges = sorted(best.values(), key=_order)
    return TraceResult(direction, gtin, lot, serial, limit, edges)


def _order(e: TraceEdge) -> tuple[Any, ...]:
    when = e.event_time.timestamp() if e.event_time else 0.0
    return e.depth, when, e.source, e.doc_id, e.line_no, e.lot or "", e.edge_id


def _key(gtin: sa.ColumnElement[Any], lot: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return sa.func.coalesce(gtin, "") + _PAIR + sa.func.coalesce(lot, "")


def _registry() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k.name, k.shape) for k in evidence.EVIDENCE.values()))


@functools.lru_cache(maxsize=32)
def _query(dialect: str, direction: Direction, by_serial: bool, registry: tuple[tuple[str, str], ...]) -> Any:
    """The recursive walk; one statement: anchor edges, edges of the lots they lead to, and so on.

    Built once per direction, start kind and evidence registry (building costs more than running
    it); `gtin`, `item` (the lot or serial) and `limit` are bound per call.
    """
    gtin = sa.bindparam("gtin", type_=sa.String())
    item = sa.bindparam("item", type_=sa.String())
    limit = sa.bindparam("limit", type_=sa.Integer())
    produced = evidence.names("produced")
    inbound = evidence.names("inbound")
    attached = evidence.names("outbound", "inbound") if direction == "forward" else inbound
    e = trace_edge.alias("e")
    is_produced = e.c.evidence.in_(produced)

    def near(edge: Any) -> tuple[Any, Any]:
        """The lot an edge hangs on, seen from the walk's direction."""
        if direction == "forward":
            return edge.c.gtin, edge.c.lot
        return (
            sa.case((edge.c.evidence.in_(produced), edge.c.output_gtin), else_=edge.c.gtin),
            sa.case((edge.c.evidence.in_(produced), edge.c.output_lot), else_=edge.c.lot),
        )

    def far(edge: Any) -> tuple[Any, Any]:
        """The lot a produced edge leads to (NULL for edges that end the walk)."""
        inside = edge.c.evidence.in_(produced)
        if direction == "forward":
            return sa.case((inside, edge.c.output_gtin)), sa.case((inside, edge.c.output_lot))
        return sa.case((inside, edge.c.gtin)), sa.case((inside, edge.c.lot))

    def columns(edge: Any, depth: Any, path: Any, path_confidence: Any, closes: Any) -> list[Any]:
        next_gtin, next_lot = far(edge)
        c = edge.c
        return [
            depth.label("depth"),
            c.evidence,
            c.confidence,
            sa.cast(path_confidence, sa.Text).label("path_confidence"),
            c.gtin,
            c.lot,
            c.serial,
            c.qty,
            c.output_gtin,
            c.output_lot,
            c.from_party,
            c.to_party,
            c.to_region,
            c.event_time,
            c.source,
            c.doc_id,
            c.line_no,
            c.order_number,
            c.edge_id,
            sa.cast(path, sa.Text).label("path"),
            next_gtin.label("next_gtin"),
            next_lot.label("next_lot"),
            sa.cast(closes, sa.Boolean).label("closes"),
        ]

    start = _start(e, direction, by_serial, gtin, item, produced, attached)
    anchor_path = _SEP + _key(*near(e)) + _SEP + _key(*far(e)) + _SEP
    self_loop = sa.and_(is_produced, _key(*near(e)) == _key(*far(e)))
    walk = (
        sa.select(*columns(e, sa.literal(1, sa.Integer), anchor_path, e.c.confidence, self_loop))
        .where(start, e.c.evidence.in_(produced + attached))
        .cte("walk", recursive=True)
    )
    step = trace_edge.alias("step")
    if direction == "forward":
        joined = sa.and_(step.c.gtin == walk.c.next_gtin, step.c.lot == walk.c.next_lot)
        allowed: sa.ColumnElement[bool] = step.c.evidence.in_(produced + attached)
    else:
        by_output = sa.and_(
            step.c.evidence.in_(produced), step.c.output_gtin == walk.c.next_gtin, step.c.output_lot == walk.c.next_lot
        )
        by_item = sa.and_(step.c.evidence.in_(inbound), step.c.gtin == walk.c.next_gtin, step.c.lot == walk.c.next_lot)
        joined = sa.or_(by_output, by_item) if inbound else by_output
        allowed = sa.true()
    position = sa.func.strpos if dialect == "postgresql" else sa.func.instr
    closes = sa.and_(step.c.evidence.in_(produced), position(walk.c.path, _SEP + _key(*far(step)) + _SEP) > 0)
    path_confidence = sa.case(
        (sa.or_(walk.c.path_confidence == "inferred", step.c.confidence == "inferred"), "inferred"),
        else_="recorded",
    )
    walk = walk.union_all(
        sa.select(*columns(step, walk.c.depth + 1, walk.c.path + _key(*far(step)) + _SEP, path_confidence, closes))
        .select_from(walk.join(step, joined))
        .where(walk.c.depth < limit, walk.c.evidence.in_(produced), sa.not_(walk.c.closes), allowed)
    )
    supplier = lot_table.c.manufacturer.label("supplier")
    keep = [c for c in walk.c if c.name not in ("path", "next_gtin", "next_lot", "closes")]
    return sa.select(*keep, supplier).select_from(
        walk.outerjoin(lot_table, sa.and_(lot_table.c.gtin == walk.c.gtin, lot_table.c.lot == walk.c.lot))
    )


def _start(
    e: Any,
    direction: Direction,
    by_serial: bool,
    gtin: Any,
    item: Any,
    produced: list[str],
    attached: list[str],
) -> sa.ColumnElement[bool]:
    """Anchor edges: those hanging on the start lot, or on the serial (its lot, going backward)."""
    if direction == "forward":
        return sa.and_(e.c.gtin == gtin, e.c.serial == item if by_serial else e.c.lot == item)
    if not by_serial:
        made = sa.and_(e.c.evidence.in_(produced), e.c.output_gtin == gtin, e.c.output_lot == item)
        own = e.c.lot == item
    else:
        seen = trace_edge.alias("seen")
        lots = (
            sa.select(seen.c.lot)
            .where(
                seen.c.gtin == gtin,
                seen.c.serial == item,
                seen.c.lot.is_not(None),
                seen.c.evidence.in_(evidence.names("outbound", "inbound")),
            )
            .distinct()
        )
        made = sa.and_(e.c.evidence.in_(produced), e.c.output_gtin == gtin, e.c.output_lot.in_(lots))
        own = e.c.serial == item
    if not attached:
        return made
    return sa.or_(made, sa.and_(e.c.evidence.in_(attached), e.c.gtin == gtin, own))
