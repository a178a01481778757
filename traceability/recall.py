"""Recalls: record one, mark its lots and serials, and answer its impact from the store.

`create_recall` validates every item against what the store knows, then writes the `recall`
row, its `recall_item` rows (they are the mark: `is_recalled` reads them) and an audit entry,
all in one transaction. A lot or serial already under an open recall is refused unless the caller
confirms (`allow_duplicate`): a second recall of the same units is rarely meant. `preview` answers
the same impact for items not yet recorded, so a person sees it before confirming; `close_recall`
ends a recall with a reason (its items stay marked: the units were recalled).

`impact` walks the trace graph forward from every item
(traceability/genealogy.py: component lots reach the finished lots made from them), and adds who
the consignees are (party), which invoices billed their orders, what is still on hand, and the
mass balance of every lot reached. Every query is keyed by indexed columns, so the report costs
a few index lookups per lot whatever the size of the store.

Mass balance of a lot: produced = at customers + returned + on hand + scrapped + unaccounted,
where at customers = shipped - returned. Returned medical devices wait in the returns
quarantine, never back in sellable stock, so they are not part of on hand. The ERP's serial
register (`serial_number`) names a serial's lot, so a unit that never shipped can be recalled and
its lot's stock and balance reported; it is never counted as stock itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_dictionary import collector
from data_dictionary.jsonable import to_jsonable
from trace_store import audit, evidence
from trace_store.schema import (
    batch_record,
    device,
    inventory_level,
    invoice,
    lot,
    party,
    recall,
    recall_item,
    scrap,
    serial_number,
    shipment,
    trace_edge,
)
from trace_store.sql import chunks, in_list, pairs_in, parts, values_table
from trace_store.store import Store, connection
from traceability import genealogy

ZERO = Decimal(0)
QTY = attrgetter("qty")
EARLIEST = datetime.min.replace(tzinfo=UTC)


class RecallError(ValueError):
    """A recall request the store cannot accept; nothing was written."""


class DuplicateRecall(RecallError):
    """Some items are already under an open recall; recording another needs an explicit confirmation."""

    def __init__(self, open_recalls: dict[str, list[int]]) -> None:
        self.open_recalls = open_recalls
        named = "; ".join(f"{label} in recall {', '.join(map(str, ids))}" for label, ids in open_recalls.items())
        super().__init__(f"already under an open recall: {named}")


@dataclass(frozen=True, slots=True)
class RecallItem:
    gtin: str
    lot: str | None = None
    serial: str | None = None

    @property
    def label(self) -> str:
        return f"{self.gtin} serial {self.serial}" if self.serial else f"{self.gtin} lot {self.lot}"


@dataclass(frozen=True, slots=True)
class Recall:
    recall_id: int
    created_at: datetime
    created_by: str
    reason: str
    status: str
    items: list[RecallItem]
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_reason: str | None = None


@dataclass(frozen=True, slots=True)
class AffectedLot:
    """A lot the recall reaches: a recalled one (depth 0) or one made from it (depth >= 1)."""

    gtin: str
    lot: str
    depth: int
    confidence: str
    made_from: list[str] = field(default_factory=list)
    """"GTIN|LOT" keys of the affected lots it was made from (empty for recalled lots)."""

    @property
    def key(self) -> str:
        return f"{self.gtin}|{self.lot}"


@dataclass(slots=True)
class Delivery:
    """Units of one lot (or its serials) in one shipment to one consignee.

    Not frozen: a frozen dataclass sets each field through `object.__setattr__`, a fifth of the
    consignee pass of the widest report (45,000 deliveries)."""

    gtin: str | None
    lot: str | None
    serials: list[str]
    qty: Decimal
    ship_date: datetime | None
    shipment_id: str
    source: str
    order_number: str | None
    invoices: list[str]
    confidence: str
    """`inferred` when the path from the recalled item to this shipment has an inferred edge."""


@dataclass(frozen=True, slots=True)
class ReturnedUnits:
    gtin: str | None
    lot: str | None
    serials: list[str]
    qty: Decimal
    return_date: datetime | None
    return_id: str
    order_number: str | None


@dataclass
class Consignee:
    """Who received recalled units, how to reach them, and what they got and sent back."""

    name: str
    role: str | None
    region: str | None
    email: str | None
    phone: str | None
    person: str | None = None
    """Who the goods were addressed to there (the latest shipment's recipient)."""
    deliveries: list[Delivery] = field(default_factory=list)
    returns: list[ReturnedUnits] = field(default_factory=list)

    @property
    def shipped(self) -> Decimal:
        return sum(map(QTY, self.deliveries), ZERO)

    @property
    def returned(self) -> Decimal:
        return sum(map(QTY, self.returns), ZERO)

    @property
    def contact(self) -> str:
        return " / ".join(v for v in (self.person, self.email, self.phone) if v)


@dataclass(frozen=True, slots=True)
class StockLine:
    gtin: str
    lot: str
    location: str
    on_hand: Decimal


@dataclass(frozen=True, slots=True)
class MassBalance:
    """produced = (shipped - returned) + returned + on_hand + scrapped + unaccounted.

    `produced` is None for a lot with no production record (a supplier's component lot);
    its `unaccounted` is then None too.
    """

    gtin: str
    lot: str
    produced: Decimal | None
    shipped: Decimal
    returned: Decimal
    on_hand: Decimal
    scrapped: Decimal
    unaccounted: Decimal | None

    @property
    def at_customers(self) -> Decimal:
        return self.shipped - self.returned


@dataclass
class ImpactReport:
    recall: Recall
    lots: list[AffectedLot]
    consignees: list[Consignee]
    stock: list[StockLine]
    mass_balance: list[MassBalance]

    def without_contacts(self) -> ImpactReport:
        """The report with no contact person, email or phone of any consignee (for readers not entitled to them)."""
        hidden = [replace(c, email=None, phone=None, person=None) for c in self.consignees]
        return replace(self, consignees=hidden)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly (decimals as strings, times ISO 8601), with the totals a reader wants first."""
        consignees = []
        for c in self.consignees:
            row = _fields(c)
            row.update(
                deliveries=[_fields(d) for d in c.deliveries],
                returns=[_fields(r) for r in c.returns],
                contact=c.contact,
                shipped=c.shipped,
                returned=c.returned,
            )
            consignees.append(row)
        balance = [{**asdict(m), "at_customers": m.at_customers} for m in self.mass_balance]
        data = {
            "recall": asdict(self.recall),
            "totals": {
                "consignees": len(self.consignees),
                "shipped": sum((c.shipped for c in self.consignees), ZERO),
                "returned": sum((c.returned for c in self.consignees), ZERO),
                "on_hand": sum((s.on_hand for s in self.stock), ZERO),
            },
            "lots": [{**asdict(a), "key": a.key} for a in self.lots],
            "consignees": consignees,
            "stock": [asdict(s) for s in self.stock],
            "mass_balance": balance,
        }
        return to_jsonable(data)


def _fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields, one level deep: `asdict` deep-copies every value, which is most of
    the cost of a wide report's tens of thousands of deliveries (`to_jsonable` copies anyway)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def create_recall(
    store: Store,
    gtin: str,
    lots: Sequence[str] = (),
    serials: Sequence[str] = (),
    reason: str = "",
    actor: str = "tracehub",
    allow_duplicate: bool = False,
) -> int:
    """Record a recall of `lots` and/or `serials` of `gtin`; returns its id.

    Raises RecallError (and writes nothing) for an empty reason or actor, no lot and no serial,
    an unknown GTIN, or a lot or serial the store has never seen for that GTIN; DuplicateRecall
    when an item is already under an open recall and `allow_duplicate` is not set.
    """
    reason, actor = reason.strip(), actor.strip()
    if not reason:
        raise RecallError("a recall needs a reason (--reason): say what is wrong with the units")
    if not actor:
        raise RecallError("a recall needs the name of who records it (--actor)")
    items = _items(gtin, lots, serials)
    now = datetime.now(UTC)
    with store.transaction() as conn:
        _check_known(conn, gtin, [i.lot for i in items if i.lot], [i.serial for i in items if i.serial])
        already = open_recalls_of(conn, items)
        if already and not allow_duplicate:
            raise DuplicateRecall(already)
        recall_id = int(
            conn.execute(
                recall.insert()
                .values(created_at=now, created_by=actor, reason=reason, status="open")
                .returning(recall.c.recall_id)
            ).scalar_one()
        )
        conn.execute(
            recall_item.insert(),
            [
                {"recall_id": recall_id, "item_no": n, "gtin": i.gtin, "lot": i.lot, "serial": i.serial}
                for n, i in enumerate(items, start=1)
            ],
        )
        details: dict[str, Any] = {"reason": reason, "items": [asdict(i) for i in items]}
        if already:
            details["also_in_open_recalls"] = already
        audit.append(conn, actor, "recall.create", "recall", str(recall_id), details)
    return recall_id


def _items(gtin: str, lots: Sequence[str], serials: Sequence[str]) -> list[RecallItem]:
    items = [RecallItem(gtin, lot=x) for x in dict.fromkeys(lots)] + [
        RecallItem(gtin, serial=s) for s in dict.fromkeys(serials)
    ]
    if not items:
        raise RecallError(f"recall of GTIN {gtin}: name at least one lot (--lot) or serial (--serial)")
    return items


def open_recalls_of(conn_or_store: Store | Connection, items: Sequence[RecallItem]) -> dict[str, list[int]]:
    """Item label -> the open recalls that already name this very lot or serial (none: not in the dict)."""
    r = recall_item.c
    found: dict[str, list[int]] = {}
    with connection(conn_or_store) as conn:
        for item in items:
            same = sa.and_(r.lot == item.lot, r.serial.is_(None)) if item.serial is None else r.serial == item.serial
            query = (
                sa.select(r.recall_id)
                .join(recall, recall.c.recall_id == r.recall_id)
                .where(r.gtin == item.gtin, same, recall.c.status == "open")
                .distinct()
                .order_by(r.recall_id)
            )
            ids = [int(i) for i in conn.execute(query).scalars()]
            if ids:
                found[item.label] = ids
    return found


def preview(
    conn_or_store: Store | Connection,
    gtin: str,
    lots: Sequence[str] = (),
    serials: Sequence[str] = (),
    reason: str = "",
    status: str = "preview",
) -> ImpactReport:
    """The impact a recall of these items would have, computed as for a recorded one; nothing is written.

    Raises RecallError for what `create_recall` would refuse in its items (unknown GTIN, lot or serial).
    """
    items = _items(gtin, lots, serials)
    with connection(conn_or_store) as conn:
        _check_known(conn, gtin, [i.lot for i in items if i.lot], [i.serial for i in items if i.serial])
        header = Recall(0, datetime.now(UTC), "", reason.strip(), status, items)
        return impact_of(conn, header)


def close_recall(store: Store, recall_id: int, reason: str, actor: str) -> Recall:
    """Close an open recall with the reason it ended (all units back, corrected on site...); audited.

    RecallError for an empty reason or actor, or a recall already closed; LookupError for no such recall.
    """
    reason, actor = reason.strip(), actor.strip()
    if not reason:
        raise RecallError("closing a recall needs a reason: say how it ended (units returned, field fix done)")
    if not actor:
        raise RecallError("closing a recall needs the name of who closes it (--actor)")
    now = datetime.now(UTC)
    with store.transaction() as conn:
        current = get_recall(conn, recall_id)
        if current.status != "open":
            raise RecallError(f"recall {recall_id} is already closed (by {current.closed_by} at {current.closed_at})")
        done = conn.execute(
            recall.update()
            .where(recall.c.recall_id == recall_id, recall.c.status == "open")
            .values(status="closed", closed_at=now, closed_by=actor, close_reason=reason)
        )
        if done.rowcount != 1:
            raise RecallError(f"recall {recall_id} was closed by someone else just now")
        audit.append(conn, actor, "recall.close", "recall", str(recall_id), {"reason": reason})
        return get_recall(conn, recall_id)


def _check_known(conn: Connection, gtin: str, lots: list[str], serials: list[str]) -> None:
    if conn.execute(sa.select(device.c.gtin).where(device.c.gtin == gtin)).first() is None:
        raise RecallError(f"GTIN {gtin} is not a device in the store; check the number (14 digits, GS1 check digit)")
    known: set[str] = set()
    for part in chunks(lots):
        for table, g, lt in (
            (lot, lot.c.gtin, lot.c.lot),
            (batch_record, batch_record.c.output_gtin, batch_record.c.output_lot),
            (trace_edge, trace_edge.c.gtin, trace_edge.c.lot),
            (inventory_level, inventory_level.c.gtin, inventory_level.c.lot),
        ):
            known.update(
                conn.execute(sa.select(lt).where(g == gtin, lt.in_(part)).distinct().select_from(table)).scalars()
            )
    unknown = [x for x in lots if x not in known]
    if unknown:
        raise RecallError(f"GTIN {gtin} has no lot {', '.join(map(repr, unknown))} in the store; check the lot numbers")
    seen: set[str] = set()
    for part in chunks(serials):
        e, n = trace_edge.c, serial_number.c
        seen.update(conn.execute(sa.select(e.serial).where(e.gtin == gtin, e.serial.in_(part)).distinct()).scalars())
        seen.update(conn.execute(sa.select(n.serial).where(n.gtin == gtin, n.serial.in_(part)).distinct()).scalars())
    missing = [x for x in serials if x not in seen]
    if missing:
        raise RecallError(f"GTIN {gtin} has no serial {', '.join(map(repr, missing))} in the store")


def is_recalled(
    conn_or_store: Store | Connection, gtin: str, lot: str | None = None, serial: str | None = None
) -> bool:
    """Whether a recall covers this lot, or this serial (itself, or its `lot` when given)."""
    r = recall_item.c
    matches = []
    if lot is not None:
        matches.append(sa.and_(r.lot == lot, r.serial.is_(None)))
    if serial is not None:
        matches.append(r.serial == serial)
    if not matches:
        raise ValueError("is_recalled needs a lot or a serial")
    with connection(conn_or_store) as conn:
        return conn.execute(sa.select(r.recall_id).where(r.gtin == gtin, sa.or_(*matches)).limit(1)).first() is not None


def get_recall(conn_or_store: Store | Connection, recall_id: int) -> Recall:
    """The recall and its items; LookupError if there is none with that id."""
    with connection(conn_or_store) as conn:
        row = conn.execute(sa.select(recall).where(recall.c.recall_id == recall_id)).first()
        if row is None:
            raise LookupError(f"no recall {recall_id}; `tracehub recall list` shows the recalls")
        items = conn.execute(
            sa.select(recall_item.c.gtin, recall_item.c.lot, recall_item.c.serial)
            .where(recall_item.c.recall_id == recall_id)
            .order_by(recall_item.c.item_no)
        )
        return Recall(
            row.recall_id,
            row.created_at,
            row.created_by,
            row.reason,
            row.status,
            [RecallItem(*i) for i in items],
            row.closed_at,
            row.closed_by,
            row.close_reason,
        )


def list_recalls(conn_or_store: Store | Connection) -> list[Recall]:
    """Every recall, newest first."""
    with connection(conn_or_store) as conn:
        ids = conn.execute(sa.select(recall.c.recall_id).order_by(recall.c.recall_id.desc())).scalars().all()
        return [get_recall(conn, i) for i in ids]


def impact(conn_or_store: Store | Connection, recall_id: int) -> ImpactReport:
    """Who received the recalled units (directly or inside products made from them), what is left, and
    whether every unit of every lot reached is accounted for."""
    with connection(conn_or_store) as conn:
        return impact_of(conn, get_recall(conn, recall_id))


def impact_of(conn_or_store: Store | Connection, header: Recall) -> ImpactReport:
    """The impact of the items of `header`, recorded or not (a preview, a drill)."""
    with connection(conn_or_store) as conn, collector.paused():
        # built in a call of its own, so the walk's rows are freed before the collector is back
        return _report(conn, header)


def _report(conn: Connection, header: Recall) -> ImpactReport:
    """Walk forward from each item; the lots reached, their consignees, stock and mass balance."""
    shapes = {name: kind.shape for name, kind in evidence.EVIDENCE.items()}
    edges: dict[str, Any] = {}
    affected: dict[tuple[str, str], dict[str, Any]] = {}
    for item in header.items:
        if item.lot is not None:
            _affect(affected, item.gtin, item.lot, 0, "recorded", None)
        for registered in _registered_lots(conn, item):
            _affect(affected, item.gtin, registered, 0, "recorded", None)
        reached = genealogy.reach(conn, item.gtin, lot=item.lot, serial=item.serial)
        if edges:  # several items may reach one edge: keep its best path
            for edge_id, e in reached.items():
                kept = edges.get(edge_id)
                if kept is None or genealogy.rank(e) < genealogy.rank(kept):
                    edges[edge_id] = e
        else:
            edges = reached
        for e in reached.values():
            if shapes[e.evidence] == "produced":
                if e.output_gtin and e.output_lot:
                    _affect(affected, e.output_gtin, e.output_lot, e.depth, e.path_confidence, f"{e.gtin}|{e.lot}")
            elif item.serial is not None and e.gtin and e.lot:
                _affect(affected, e.gtin, e.lot, 0, "recorded", None)
    lots = [
        AffectedLot(g, lt, a["depth"], a["confidence"], sorted(a["made_from"]))
        for (g, lt), a in sorted(affected.items(), key=lambda kv: (kv[1]["depth"], kv[0]))
    ]
    outbound, inbound = [], []
    for e in edges.values():
        shape = shapes[e.evidence]
        if shape == "outbound" and e.to_party:
            outbound.append(e)
        elif shape == "inbound" and e.from_party:
            inbound.append(e)
    consignees = _consignees(conn, outbound, inbound)
    pairs = [(a.gtin, a.lot) for a in lots]
    return ImpactReport(header, lots, consignees, _stock(conn, pairs), _balances(conn, pairs))


def _registered_lots(conn: Connection, item: RecallItem) -> list[str]:
    """The lots the serial register gives a recalled serial (none for a lot item)."""
    if item.serial is None:
        return []
    n = serial_number.c
    query = sa.select(n.lot).where(n.gtin == item.gtin, n.serial == item.serial, n.lot.is_not(None)).distinct()
    return sorted(conn.execute(query).scalars())


def _affect(
    affected: dict[tuple[str, str], dict[str, Any]],
    gtin: str,
    lot_name: str,
    depth: int,
    confidence: str,
    made_from: str | None,
) -> None:
    entry = affected.setdefault((gtin, lot_name), {"depth": depth, "confidence": confidence, "made_from": set()})
    entry["depth"] = min(entry["depth"], depth)
    if confidence == "recorded":
        entry["confidence"] = "recorded"
    if made_from:
        entry["made_from"].add(made_from)


def _consignees(conn: Connection, outbound: list[Any], inbound: list[Any]) -> list[Consignee]:
    """Deliveries and returns per consignee, from the walk's outbound and inbound edges.

    The edges come in any order (sorting tens of thousands in walk order cost a tenth of the
    widest report): each list is sorted on its own, by keys that decide every tie.
    """
    names = sorted({e.to_party for e in outbound} | {e.from_party for e in inbound})
    parties = _parties(conn, names)
    recipients = _recipients(conn, names)
    invoices = _invoices(conn, list({e.order_number for e in outbound if e.order_number}))
    regions: dict[str, tuple[tuple[Any, ...], str]] = {}  # the nearest, then earliest, line's region
    for e in outbound:
        if e.to_region:
            near = (e.depth, e.event_time or EARLIEST, e.source, e.doc_id, e.line_no)
            seen = regions.get(e.to_party)
            if seen is None or near < seen[0]:
                regions[e.to_party] = (near, e.to_region)
    result: dict[str, Consignee] = {}
    for name in names:
        p, r = parties.get(name, {}), recipients.get(name, {})
        email, phone = p.get("email") or r.get("email"), p.get("phone") or r.get("phone")
        region = p.get("region") or (regions[name][1] if name in regions else None)
        result[name] = Consignee(name, p.get("role"), region, email, phone, r.get("person"))
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for e in outbound:
        groups[(e.to_party, e.source, e.doc_id, e.gtin, e.lot)].append(e)
    for (name, source, doc_id, gtin, lot_name), group in groups.items():
        first = group[0]
        if len(group) == 1:  # most deliveries: one line of the lot in the shipment
            serials, qty, confidence = [first.serial] if first.serial else [], first.qty, first.path_confidence
        else:
            serials = sorted(e.serial for e in group if e.serial)
            qty = sum((e.qty for e in group), ZERO)
            confidence = "inferred" if any(e.path_confidence == "inferred" for e in group) else "recorded"
        result[name].deliveries.append(
            Delivery(
                gtin,
                lot_name,
                serials,
                qty,
                first.event_time,
                doc_id,
                source,
                first.order_number,
                invoices.get(first.order_number or "", []),
                confidence,
            )
        )
    returned: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for e in inbound:
        returned[(e.from_party, e.doc_id, e.gtin, e.lot)].append(e)
    for (name, doc_id, gtin, lot_name), group in returned.items():
        first = min(group, key=lambda e: (e.source, e.line_no, e.edge_id))  # one source's document may share its id
        result[name].returns.append(
            ReturnedUnits(
                gtin,
                lot_name,
                sorted(e.serial for e in group if e.serial),
                sum((e.qty for e in group), ZERO),
                first.event_time,
                doc_id,
                first.order_number,
            )
        )
    for c in result.values():
        c.deliveries.sort(key=lambda d: (d.ship_date or EARLIEST, d.shipment_id, d.lot or "", d.gtin or "", d.source))
        c.returns.sort(key=lambda r: (r.return_date or EARLIEST, r.return_id, r.lot or "", r.gtin or ""))
    return sorted(result.values(), key=lambda c: (-c.shipped, c.name))


def _parties(conn: Connection, names: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    p = party.c
    for part in parts(conn, names):
        query = (
            sa.select(p.name, p.role, p.region, p.email, p.phone).where(in_list(conn, p.name, part)).order_by(p.source)
        )
        for row in conn.execute(query):
            found.setdefault(row.name, dict(row._mapping))
    return found


def _recipients(conn: Connection, names: list[str]) -> dict[str, dict[str, Any]]:
    """Per consignee, the person, email and phone its latest shipped shipment was addressed to.

    A drop-shipped clinic is no ERP partner: the warehouse's recipient is all a recall can reach.
    Each consignee's latest addressed shipment is found by backward probes of the partial index
    `ix_shipment_recipient` (its source, then its id), not by ranking all its shipments: a wide
    recall reaches most consignees, and their shipments are most of the table.
    """
    if not names:
        return {}
    s, t = shipment.c, shipment.alias("t")
    listed = values_table(conn, names)

    def latest(column: Any) -> Any:
        return (
            sa.select(column)
            .where(t.c.ship_to_name == listed.c.value, t.c.ship_to_contact.is_not(None), t.c.ship_date.is_not(None))
            .order_by(t.c.ship_date.desc(), t.c.shipment_id.desc(), t.c.source.desc())
            .limit(1)
            .correlate(listed)
            .scalar_subquery()
        )

    chosen = sa.select(
        listed.c.value.label("name"), latest(t.c.source).label("source"), latest(t.c.shipment_id).label("id")
    ).subquery("chosen")
    query = sa.select(chosen.c.name, s.ship_to_contact, s.ship_to_email, s.ship_to_phone).join_from(
        chosen, shipment, sa.and_(s.source == chosen.c.source, s.shipment_id == chosen.c.id)
    )
    rows = conn.execute(query)
    return {name: {"person": person, "email": email, "phone": phone} for name, person, email, phone in rows}


def _invoices(conn: Connection, order_numbers: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    i = invoice.c
    for part in parts(conn, order_numbers):
        query = (
            sa.select(i.order_number, i.invoice_number)
            .where(in_list(conn, i.order_number, part))
            .order_by(i.invoice_number)
        )
        for row in conn.execute(query):
            found[row.order_number].append(row.invoice_number)
    return found


def _stock(conn: Connection, pairs: list[tuple[str, str]]) -> list[StockLine]:
    if not pairs:
        return []
    v = inventory_level.c
    found: list[list[StockLine]] = []
    for part in parts(conn, pairs):
        query = (
            sa.select(v.gtin, v.lot, v.location, sa.func.sum(v.on_hand))
            .where(pairs_in(conn, v.gtin, v.lot, part), v.on_hand > 0)
            .group_by(v.gtin, v.lot, v.location)
            .order_by(v.gtin, v.lot, v.location)
        )
        found.append([StockLine(*row) for row in conn.execute(query)])
    if len(found) == 1:  # in the database's collation
        return found[0]
    return sorted((s for lines in found for s in lines), key=lambda s: (s.gtin, s.lot, s.location))  # SQLite: binary


def _balances(conn: Connection, pairs: list[tuple[str, str]]) -> list[MassBalance]:
    """Each table is read once: grouped, index-backed sums over the lots reached."""
    if not pairs:
        return []
    e, v, s, b = trace_edge.c, inventory_level.c, scrap.c, batch_record.c

    def sums(gtin: Any, lot_col: Any, *figures: Any, where: Any = None) -> list[dict[tuple[str, str], Decimal]]:
        """Per lot reached, each figure's sum; several figures of one table in one pass over its rows."""
        found: list[dict[tuple[str, str], Decimal]] = [{} for _ in figures]
        for part in parts(conn, pairs):
            summed = [sa.func.sum(f) for f in figures]
            query = sa.select(gtin, lot_col, *summed).where(pairs_in(conn, gtin, lot_col, part))
            if where is not None:
                query = query.where(where)
            for g, lt, *totals in conn.execute(query.group_by(gtin, lot_col)):
                for into, total in zip(found, totals, strict=True):
                    if total is not None:
                        into[(g, lt)] = Decimal(total)
        return found

    def of(evidence_name: str) -> Any:
        return sa.case((e.evidence == evidence_name, e.qty))

    [produced] = sums(b.output_gtin, b.output_lot, b.output_qty)
    moved = e.evidence.in_(["shipped", "returned"])
    shipped, returned = sums(e.gtin, e.lot, of("shipped"), of("returned"), where=moved)
    [on_hand] = sums(v.gtin, v.lot, v.on_hand)
    [scrapped] = sums(s.gtin, s.lot, s.qty)
    rows = []
    for pair in pairs:
        made = produced.get(pair)
        out, back = shipped.get(pair, ZERO), returned.get(pair, ZERO)
        held, gone = on_hand.get(pair, ZERO), scrapped.get(pair, ZERO)
        missing = None if made is None else made - (out - back) - back - held - gone
        rows.append(MassBalance(pair[0], pair[1], made, out, back, held, gone, missing))
    return rows
