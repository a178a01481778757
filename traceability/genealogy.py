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
from collections import defaultdict, namedtuple
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
        return rank(self)


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


def reach(conn: Connection, gtin: str, lot: str | None = None, serial: str | None = None) -> dict[str, Any]:
    """The edges of `forward` as plain rows (its columns but `supplier`) by edge id, each with its best path.

    For readers of the widest walks (a component lot in hundreds of finished lots): no object and
    no supplier lookup per edge, so a recall's cost stays close to the rows it reads.
    """
    return _walk("forward", conn, gtin, lot, serial, MAX_DEPTH, supplier=False)


def rank(edge: Any) -> tuple[bool, int]:
    """Of two paths to one edge keep the recorded one, then the shorter one (lowest rank wins)."""
    return edge.path_confidence != "recorded", edge.depth


def _trace(
    direction: Direction,
    conn_or_store: Store | Connection,
    gtin: str,
    lot: str | None,
    serial: str | None,
    depth: int | None,
) -> TraceResult:
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be 1 or more (edges from the start), got {depth}")
    limit = min(depth or MAX_DEPTH, MAX_DEPTH)
    with connection(conn_or_store) as conn:
        rows = _walk(direction, conn, gtin, lot, serial, limit, supplier=True)
    edges = sorted((TraceEdge(**r._asdict()) for r in rows.values()), key=_walk_order)
    return TraceResult(direction, gtin, lot, serial, limit, edges)


def _walk(
    direction: Direction, conn: Connection, gtin: str, lot: str | None, serial: str | None, limit: int, supplier: bool
) -> dict[str, Any]:
    """Edge id -> the row of its best path (`rank`)."""
    if (lot is None) == (serial is None):
        raise ValueError("trace one lot or one serial: give exactly one of lot and serial")
    query = _query(conn.dialect.name, direction, serial is not None, _registry(), supplier)
    result = conn.execute(query, {"gtin": gtin, "item": lot if serial is None else serial, "limit": limit})
    best: dict[str, Any] = {}
    for r in map(_plain_row(tuple(result.keys()))._make, result):
        seen = best.get(r.edge_id)
        if seen is None or rank(r) < rank(seen):
            best[r.edge_id] = r
    return best


@functools.lru_cache(maxsize=8)
def _plain_row(columns: tuple[str, ...]) -> Any:
    """A named tuple of the walk's columns: a wide recall reads some ten fields of each of tens of
    thousands of edges, and a named tuple's fields read far faster than a result row's."""
    return namedtuple("WalkRow", columns)  # type: ignore[misc]


def _walk_order(e: Any) -> tuple[Any, ...]:
    """Nearest first, then by time and document: the order of a trace's edges."""
    when = e.event_time.timestamp() if e.event_time else 0.0
    return e.depth, when, e.source, e.doc_id, e.line_no, e.lot or "", e.edge_id


def _key(gtin: sa.ColumnElement[Any], lot: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    return sa.func.coalesce(gtin, "") + _PAIR + sa.func.coalesce(lot, "")


def _registry() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k.name, k.shape) for k in evidence.EVIDENCE.values()))


@functools.lru_cache(maxsize=32)
def _query(
    dialect: str, direction: Direction, by_serial: bool, registry: tuple[tuple[str, str], ...], supplier: bool = True
) -> Any:
    """The walk as one statement: a recursive CTE over the produced edges (the lots reached), then
    one join of the edges that hang on each lot reached (shipments, returns), which never recurse.

    Keeping the shipment lines out of the recursion keeps its work table as small as the bill of
    materials: a component lot in hundreds of finished lots reaches tens of thousands of lines.
    Every edge comes back once per path that reaches it, as a walk over all edges would return it.
    Built once per direction, start kind, evidence registry and `supplier` (building costs more
    than running it); `gtin`, `item` (the lot or serial) and `limit` are bound per call.
    """
    gtin = sa.bindparam("gtin", type_=sa.String())
    item = sa.bindparam("item", type_=sa.String())
    limit = sa.bindparam("limit", type_=sa.Integer())
    produced = evidence.names("produced")
    inbound = evidence.names("inbound")
    attached = evidence.names("outbound", "inbound") if direction == "forward" else inbound
    e = trace_edge.alias("e")

    def near(edge: Any) -> tuple[Any, Any]:
        """The lot a produced edge hangs on, seen from the walk's direction."""
        if direction == "forward":
            return edge.c.gtin, edge.c.lot
        return edge.c.output_gtin, edge.c.output_lot

    def far(edge: Any) -> tuple[Any, Any]:
        """The lot a produced edge leads to."""
        if direction == "forward":
            return edge.c.output_gtin, edge.c.output_lot
        return edge.c.gtin, edge.c.lot

    def fields(edge: Any, depth: Any, path_confidence: Any) -> list[Any]:
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
        ]

    def columns(edge: Any, depth: Any, path: Any, path_confidence: Any, closes: Any) -> list[Any]:
        next_gtin, next_lot = far(edge)
        return [
            *fields(edge, depth, path_confidence),
            sa.cast(path, sa.Text).label("path"),
            next_gtin.label("next_gtin"),
            next_lot.label("next_lot"),
            sa.cast(closes, sa.Boolean).label("closes"),
        ]

    anchor_path = _SEP + _key(*near(e)) + _SEP + _key(*far(e)) + _SEP
    self_loop = _key(*near(e)) == _key(*far(e))
    walk = (
        sa.select(*columns(e, sa.literal(1, sa.Integer), anchor_path, e.c.confidence, self_loop))
        .where(_start(e, direction == "backward", by_serial, gtin, item, produced))
        .cte("walk", recursive=True)
    )
    step = trace_edge.alias("step")
    lot_of_step = near(step)
    joined = sa.and_(lot_of_step[0] == walk.c.next_gtin, lot_of_step[1] == walk.c.next_lot)
    position = sa.func.strpos if dialect == "postgresql" else sa.func.instr
    closes = position(walk.c.path, _SEP + _key(*far(step)) + _SEP) > 0

    def onward(walk: Any, edge: Any) -> Any:
        """The path confidence of `edge` reached from a walk row: inferred once any edge on it is."""
        return sa.case(
            (sa.or_(walk.c.path_confidence == "inferred", edge.c.confidence == "inferred"), "inferred"),
            else_="recorded",
        )

    def followed(walk: Any) -> tuple[Any, ...]:
        """Walk rows whose far lot the walk goes on from: within the depth limit, not closing a cycle."""
        return walk.c.depth < limit, sa.not_(walk.c.closes)

    walk = walk.union_all(
        sa.select(*columns(step, walk.c.depth + 1, walk.c.path + _key(*far(step)) + _SEP, onward(walk, step), closes))
        .select_from(walk.join(step, joined))
        .where(*followed(walk), _of_kinds(step.c.evidence, produced))
    )
    parts = [sa.select(*(c for c in walk.c if c.name not in ("path", "next_gtin", "next_lot", "closes")))]
    if attached:
        first = trace_edge.alias("first")
        parts.append(
            sa.select(*fields(first, sa.literal(1, sa.Integer), first.c.confidence)).where(
                _start(first, False, by_serial, gtin, item, attached)
            )
        )
        hung = trace_edge.alias("hung")
        on_lot = sa.and_(hung.c.gtin == walk.c.next_gtin, hung.c.lot == walk.c.next_lot)
        parts.append(
            sa.select(*fields(hung, walk.c.depth + 1, onward(walk, hung)))
            .select_from(walk.join(hung, on_lot))
            .where(*followed(walk), _of_kinds(hung.c.evidence, attached))
        )
    edges = sa.union_all(*parts).subquery("edges")
    if not supplier:
        return sa.select(*edges.c)
    return sa.select(*edges.c, lot_table.c.manufacturer.label("supplier")).select_from(
        edges.outerjoin(lot_table, sa.and_(lot_table.c.gtin == edges.c.gtin, lot_table.c.lot == edges.c.lot))
    )


def _of_kinds(column: Any, kinds: list[str]) -> Any:
    """`column IN kinds`, bounded by the kinds' range too: PostgreSQL plans an IN list on the third
    column of the (gtin, lot, evidence) index as a filter on each row fetched, so finding a finished
    lot's one batch input fetched all its shipment lines; a range is part of the index scan."""
    return sa.and_(column.in_(kinds), column.between(min(kinds), max(kinds)))


def _start(e: Any, by_output: bool, by_serial: bool, gtin: Any, item: Any, kinds: list[str]) -> Any:
    """Anchor edges of `kinds`: those on the start lot (or serial); `by_output`: those whose output
    is the start lot (or a lot the serial left in), where a backward walk starts."""
    of_kind = _of_kinds(e.c.evidence, kinds)
    if not by_output:
        return sa.and_(of_kind, e.c.gtin == gtin, e.c.serial == item if by_serial else e.c.lot == item)
    if not by_serial:
        return sa.and_(of_kind, e.c.output_gtin == gtin, e.c.output_lot == item)
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
    return sa.and_(of_kind, e.c.output_gtin == gtin, e.c.output_lot.in_(lots))
