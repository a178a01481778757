"""EPCIS 2.0 events from the trace store: what moved, when, where and why, one page at a time.

- A shipment is one ObjectEvent (OBSERVE, `shipping`, `in_transit`): serial units in `epcList`,
  lots in `quantityList`, shipped from our company at the warehouse to the consignee, under the
  order (`po`) and any invoice of that order (`inv`). No `bizLocation`: CBV puts objects at the
  business location they are at after the event, and shipped goods are in transit.
- A production batch record is one TransformationEvent (`commissioning`: the event that first
  identifies the output lot; CBV 2.0 has no `transforming` step): input lots with consumed
  quantity, the output lot with its quantity, the lot's number, production and expiry dates as
  ILMD, the production order as `prodorder` and, as a URI, as `transformationID`. That ID ties the
  records of one production order together and keeps an event whose inputs were not recorded
  valid (the schema wants inputs and outputs, or a transformationID). An input without a recorded
  lot is exported as the class-level GTIN (`https://id.gs1.org/01/{gtin}`): the source said which
  component, not which lot, and the export states what was recorded, not inferred candidates.
- A recall is one ObjectEvent (OBSERVE, `holding`, `recalled`) over every recalled serial and lot.

Identifiers: GS1 Digital Link for devices (see `gs1_uris`); our own HTTP URIs (under a configurable
base) for locations, parties and business documents, for which the store holds no GLN or GDTI.
Events with the same content get the same CBV event hash ID, so filters select whole events and
never change an event's ID.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trace_store.schema import batch_input, batch_record, device, invoice, lot, shipment, shipment_line
from trace_store.sql import chunks, in_list
from traceability.epcis.gs1_uris import gtin_uri
from traceability.epcis.hash_id import event_hash_id

PAGE = 500
DEFAULT_BASE_URI = "https://id.tracehub.example"
DEFAULT_TIMEZONE = "Asia/Shanghai"
Event = dict[str, Any]

QC_DISPOSITION = {"released": "active", "on_hold": "non_sellable_other", "rejected": "non_conformant"}
"""Batch QC decision -> CBV disposition of the output lot after production."""
UNIT_UOM = {"kg": "KGM", "g": "GRM", "mg": "MGM", "m": "MTR", "cm": "CMT", "mm": "MMT", "l": "LTR", "ml": "MLT"}
"""Device units that are measures (UN/CEFACT Rec. 20 codes); any other unit is a count, sent without uom."""


@dataclass(frozen=True, slots=True)
class EpcisConfig:
    """How our own things are named and which clock local event times are told in.

    `base_uri`: HTTP URI prefix for locations, parties and documents (`TRACEHUB_EPCIS_BASE_URI`);
    `company_uri`: our company as a party, e.g. `https://id.gs1.org/417/<GLN>` (`TRACEHUB_EPCIS_COMPANY_URI`);
    `timezone`: IANA zone of our sites, which sets `eventTimeZoneOffset` (`TRACEHUB_TIMEZONE`).
    """

    base_uri: str = DEFAULT_BASE_URI
    company_uri: str | None = None
    timezone: str = DEFAULT_TIMEZONE

    @classmethod
    def from_env(cls) -> EpcisConfig:
        return cls(
            base_uri=os.environ.get("TRACEHUB_EPCIS_BASE_URI", DEFAULT_BASE_URI).rstrip("/"),
            company_uri=os.environ.get("TRACEHUB_EPCIS_COMPANY_URI") or None,
            timezone=os.environ.get("TRACEHUB_TIMEZONE", DEFAULT_TIMEZONE),
        )

    def uri(self, kind: str, name: str) -> str:
        return f"{self.base_uri}/{kind}/{quote(name, safe='')}"

    @property
    def company(self) -> str:
        return self.company_uri or f"{self.base_uri}/party/self"


@dataclass(frozen=True, slots=True)
class Filters:
    """Which events to export: those touching GTIN `gtin` / lot `lot`, happening at or after `since`."""

    gtin: str | None = None
    lot: str | None = None
    since: datetime | None = None


@dataclass(slots=True)
class Skipped:
    """Lines the export could not identify (no GTIN), counted so that nothing is dropped silently."""

    lines: list[str] = field(default_factory=list)


class EventBuilder:
    """Builds the events of one store connection; `events()` yields them page by page."""

    def __init__(self, conn: Connection, config: EpcisConfig, filters: Filters) -> None:
        self.conn, self.config, self.filters = conn, config, filters
        self.zone = ZoneInfo(config.timezone)
        self.skipped = Skipped()
        self._units: dict[str, str | None] | None = None

    def events(self) -> Iterator[Event]:
        """Production, then shipments, then recalls; each in key order, so two exports list events alike."""
        yield from self._production()
        yield from self._shipments()
        yield from self._recalls()

    # -- shared helpers -------------------------------------------------------------------------

    def _finish(self, event: Event) -> Event:
        """The event with its CBV hash ID as `eventID`, placed right after `type`."""
        return {"type": event["type"], "eventID": event_hash_id(event), **event}

    def _when(self, moment: datetime) -> dict[str, str]:
        local = moment.astimezone(self.zone)
        offset = local.strftime("%z")
        return {
            "eventTime": local.isoformat(timespec="milliseconds"),
            "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
        }

    def _quantity(self, gtin: str, qty: Decimal, lot_no: str | None) -> dict[str, Any]:
        element: dict[str, Any] = {"epcClass": gtin_uri(gtin, lot=lot_no), "quantity": _json_number(qty)}
        uom = self._uom(gtin)
        if uom:
            element["uom"] = uom
        return element

    def _uom(self, gtin: str) -> str | None:
        if self._units is None:
            rows = self.conn.execute(sa.select(device.c.gtin, device.c.unit))
            self._units = {r.gtin: UNIT_UOM.get((r.unit or "").strip().lower()) for r in rows}
        return self._units.get(gtin)

    def _paged(self, table: sa.Table, key: Sequence[str], where: list[sa.ColumnElement[bool]]) -> Iterator[list[Any]]:
        """Header rows of `table` matching `where`, in key order, PAGE at a time (keyset pagination)."""
        cols = [table.c[k] for k in key]
        last: tuple[Any, ...] | None = None
        while True:
            query = sa.select(table).where(*where).order_by(*cols).limit(PAGE)
            if last is not None:
                query = query.where(sa.tuple_(*cols) > sa.tuple_(*(sa.literal(v) for v in last)))
            page = list(self.conn.execute(query))
            if not page:
                return
            yield page
            last = tuple(getattr(page[-1], k) for k in key)

    def _item_filter(self, gtin_col: Any, lot_col: Any) -> list[sa.ColumnElement[bool]]:
        where = []
        if self.filters.gtin:
            where.append(gtin_col == self.filters.gtin)
        if self.filters.lot:
            where.append(lot_col == self.filters.lot)
        return where

    # -- shipments ------------------------------------------------------------------------------

    def _shipments(self) -> Iterator[Event]:
        h, ln = shipment.c, shipment_line.c
        where: list[sa.ColumnElement[bool]] = [h.status == "shipped", h.ship_date.is_not(None)]  # left the warehouse
        if self.filters.since:
            where.append(h.ship_date >= self.filters.since)
        item = self._item_filter(ln.gtin, ln.lot)
        if item:
            where.append(sa.exists().where(ln.source == h.source, ln.shipment_id == h.shipment_id, *item))
        for page in self._paged(shipment, ("source", "shipment_id"), where):
            lines = self._shipment_lines(page)
            invoices = self._invoices({r.order_number for r in page if r.order_number})
            for r in page:
                event = self._shipping_event(r, lines.get((r.source, r.shipment_id), []), invoices)
                if event is not None:
                    yield self._finish(event)

    def _shipment_lines(self, page: list[Any]) -> dict[tuple[str, str], list[Any]]:
        return self._children(shipment_line, "shipment_id", page)

    def _invoices(self, order_numbers: set[str]) -> dict[str, list[str]]:
        inv = invoice.c
        found: dict[str, set[str]] = {}
        for part in chunks(sorted(order_numbers)):
            query = sa.select(inv.order_number, inv.invoice_number).where(in_list(self.conn, inv.order_number, part))
            for r in self.conn.execute(query):
                found.setdefault(r.order_number, set()).add(r.invoice_number)
        return {k: sorted(v) for k, v in found.items()}

    def _shipping_event(self, r: Any, lines: list[Any], invoices: dict[str, list[str]]) -> Event | None:
        epcs: set[str] = set()
        lots: dict[tuple[str, str | None], Decimal] = {}
        for line in lines:
            if not line.gtin:
                self.skipped.lines.append(f"shipment {r.source}/{r.shipment_id} line {line.line_no}: no GTIN")
            elif line.serial:
                epcs.add(gtin_uri(line.gtin, serial=line.serial))
            else:
                lots[(line.gtin, line.lot)] = lots.get((line.gtin, line.lot), Decimal(0)) + line.qty
        if not epcs and not lots:
            return None
        c = self.config
        event: Event = {"type": "ObjectEvent", **self._when(r.ship_date)}
        if epcs:
            event["epcList"] = sorted(epcs)
        if lots:
            event["quantityList"] = [self._quantity(g, q, lot_no) for (g, lot_no), q in sorted(lots.items(), key=_key)]
        event.update(action="OBSERVE", bizStep="shipping", disposition="in_transit")
        if r.from_location:
            event["readPoint"] = {"id": c.uri("location", r.from_location)}
        transactions = []
        if r.order_number:
            transactions.append({"type": "po", "bizTransaction": c.uri("po", r.order_number)})
            for number in invoices.get(r.order_number, []):
                transactions.append({"type": "inv", "bizTransaction": c.uri("inv", number)})
        if transactions:
            event["bizTransactionList"] = transactions
        sources = [{"type": "owning_party", "source": c.company}]
        if r.from_location:
            sources.append({"type": "location", "source": c.uri("location", r.from_location)})
        event["sourceList"] = sources
        consignee = c.uri("party", r.ship_to_name)
        event["destinationList"] = [
            {"type": "owning_party", "destination": consignee},
            {"type": "possessing_party", "destination": consignee},
        ]
        return event

    # -- production -----------------------------------------------------------------------------

    def _production(self) -> Iterator[Event]:
        h, i = batch_record.c, batch_input.c
        where: list[sa.ColumnElement[bool]] = []
        item = self._item_filter(h.output_gtin, h.output_lot)
        if item:
            inputs = sa.exists().where(
                i.source == h.source, i.record_id == h.record_id, *self._item_filter(i.gtin, i.lot)
            )
            where.append(sa.or_(sa.and_(*item), inputs))
        for page in self._paged(batch_record, ("source", "record_id"), where):
            inputs_by_record = self._batch_inputs(page)
            lots = self._lots({(r.output_gtin, r.output_lot) for r in page})
            for r in page:
                made = lots.get((r.output_gtin, r.output_lot))
                moment = self._production_time(r, made)
                if self.filters.since and moment < self.filters.since:
                    continue
                yield self._finish(
                    self._production_event(r, moment, made, inputs_by_record.get((r.source, r.record_id), []))
                )

    def _batch_inputs(self, page: list[Any]) -> dict[tuple[str, str], list[Any]]:
        return self._children(batch_input, "record_id", page)

    def _children(self, table: sa.Table, doc_column: str, page: list[Any]) -> dict[tuple[str, str], list[Any]]:
        """Line rows of a page of documents keyed (source, doc id), in line order, a few queries per page."""
        c = table.c
        found: dict[tuple[str, str], list[Any]] = {}
        for source in sorted({r.source for r in page}):
            ids = [getattr(r, doc_column) for r in page if r.source == source]
            for part in chunks(ids):
                query = (
                    sa.select(table)
                    .where(c.source == source, in_list(self.conn, c[doc_column], part))
                    .order_by(c[doc_column], c.line_no)
                )
                for row in self.conn.execute(query):
                    found.setdefault((row.source, getattr(row, doc_column)), []).append(row)
        return found

    def _lots(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        found: dict[tuple[str, str], Any] = {}
        for part in chunks(sorted(keys)):
            query = sa.select(lot).where(sa.tuple_(lot.c.gtin, lot.c.lot).in_(list(part)))
            found.update({(r.gtin, r.lot): r for r in self.conn.execute(query)})
        return found

    def _production_time(self, r: Any, made: Any) -> datetime:
        """Start of the record date (local time); else of the lot's production date; else when the source changed it."""
        day: date | None = r.record_date or (made.production_date if made is not None else None)
        if day is None:
            moment: datetime = r.source_updated_at
            return moment
        return datetime.combine(day, time(), self.zone).astimezone(UTC)

    def _production_event(self, r: Any, moment: datetime, made: Any, inputs: list[Any]) -> Event:
        consumed: dict[tuple[str, str | None], Decimal] = {}
        for row in inputs:
            if not row.gtin:
                self.skipped.lines.append(f"batch record {r.source}/{r.record_id} input {row.line_no}: no GTIN")
                continue
            consumed[(row.gtin, row.lot)] = consumed.get((row.gtin, row.lot), Decimal(0)) + row.qty
        event: Event = {"type": "TransformationEvent", **self._when(moment)}
        if consumed:
            event["inputQuantityList"] = [self._quantity(g, q, n) for (g, n), q in sorted(consumed.items(), key=_key)]
        event["outputQuantityList"] = [self._quantity(r.output_gtin, r.output_qty, r.output_lot)]
        event["transformationID"] = self.config.uri("transformation", r.production_order)
        event["bizStep"] = "commissioning"
        if r.qc_decision in QC_DISPOSITION:
            event["disposition"] = QC_DISPOSITION[r.qc_decision]
        event["bizTransactionList"] = [
            {"type": "prodorder", "bizTransaction": self.config.uri("prodorder", r.production_order)}
        ]
        ilmd = {"cbvmda:lotNumber": r.output_lot}
        if made is not None and made.production_date:
            ilmd["cbvmda:productionDate"] = made.production_date.isoformat()
        if made is not None and made.expiry_date:
            ilmd["cbvmda:itemExpirationDate"] = made.expiry_date.isoformat()
        event["ilmd"] = ilmd
        return event

    # -- recalls --------------------------------------------------------------------------------

    def _recalls(self) -> Iterator[Event]:
        """Recalls, when the recall tables exist (migration 0003); each recall is one event."""
        from trace_store import schema

        recall, items = getattr(schema, "recall", None), getattr(schema, "recall_item", None)
        if recall is None or items is None or not sa.inspect(self.conn).has_table(recall.name):
            return
        where: list[sa.ColumnElement[bool]] = []
        if self.filters.since:
            where.append(recall.c.created_at >= self.filters.since)
        item = self._item_filter(items.c.gtin, items.c.lot)
        if item:
            where.append(sa.exists().where(items.c.recall_id == recall.c.recall_id, *item))
        for page in self._paged(recall, ("recall_id",), where):
            ids = [r.recall_id for r in page]
            query = sa.select(items).where(items.c.recall_id.in_(ids)).order_by(items.c.recall_id, items.c.item_no)
            by_recall: dict[int, list[Any]] = {}
            for row in self.conn.execute(query):
                by_recall.setdefault(row.recall_id, []).append(row)
            for r in page:
                event = _recall_event(self._when(r.created_at), by_recall.get(r.recall_id, []))
                if event is not None:
                    yield self._finish(event)


def _recall_event(when: dict[str, str], items: list[Any]) -> Event | None:
    epcs = sorted({gtin_uri(i.gtin, serial=i.serial) for i in items if i.serial})
    classes = sorted({gtin_uri(i.gtin, lot=i.lot) for i in items if not i.serial and i.lot})
    if not epcs and not classes:
        return None
    event: Event = {"type": "ObjectEvent", **when}
    if epcs:
        event["epcList"] = epcs
    if classes:
        event["quantityList"] = [{"epcClass": c} for c in classes]
    event.update(action="OBSERVE", bizStep="holding", disposition="recalled")
    return event


def _key(item: tuple[tuple[str, str | None], Decimal]) -> tuple[str, str]:
    (gtin, lot_no), _ = item
    return gtin, lot_no or ""


def _json_number(qty: Decimal) -> int | float:
    """A quantity as a JSON number: an integer when whole (`3`, not `3.0`)."""
    return int(qty) if qty == qty.to_integral_value() else float(qty)
