"""The trace store's tables, as SQLAlchemy Core: the loader and queries write plain SQL on these.

Raw history (`raw_version`) is append-only; `raw_current` is the hash index that lets a sync skip
unchanged records. Canonical tables are keyed by business keys (architecture rule 2) and carry the
source timestamp that decides newer-wins, plus the raw record they came from. `trace_edge` holds
the physical-evidence graph, built at load time so a recall is one indexed lookup.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from trace_store.coltypes import BIGID, MONEY, QTY, UtcDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _str(name: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _key(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(), primary_key=True)


def _line_table(name: str, header: str, doc_key: str, *columns: sa.schema.SchemaItem) -> sa.Table:
    """A document's lines: keyed by the document's key and `line_no`, deleted with their document."""
    return sa.Table(
        name,
        metadata,
        _key("source"),
        _key(doc_key),
        sa.Column("line_no", sa.Integer(), primary_key=True, autoincrement=False),
        *columns,
        sa.ForeignKeyConstraint(["source", doc_key], [f"{header}.source", f"{header}.{doc_key}"], ondelete="CASCADE"),
    )


def _provenance() -> list[sa.Column[Any]]:
    """Columns every canonical header carries: when the source changed it, and which raw version."""
    return [
        sa.Column("source_updated_at", UtcDateTime(), nullable=False),
        _str("raw_external_id"),
        _str("raw_content_hash"),
    ]


raw_version = sa.Table(
    "raw_version",
    metadata,
    sa.Column("id", BIGID, primary_key=True, autoincrement=True),
    _str("source", False),
    _str("entity", False),
    _str("external_id", False),
    _str("content_hash", False),
    sa.Column("source_updated_at", UtcDateTime(), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("run_id", sa.Integer(), nullable=False),
    sa.Column("landed_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("source", "entity", "external_id", "content_hash"),
)

raw_current = sa.Table(
    "raw_current",
    metadata,
    _key("source"),
    _key("entity"),
    _key("external_id"),
    _str("content_hash", False),
    sa.Column("source_updated_at", UtcDateTime(), nullable=False),
    _str("status", False),
    # xxh3-128 of the payload's text as pulled (keys in the platform's order, `batch.pulled_key`):
    # a re-sync finds an unchanged record by it without writing out its canonical text; None until
    # a sync pulls the current version again
    _str("pulled_key"),
    sa.CheckConstraint(
        "status IN ('loaded', 'quarantined', 'accepted', 'rejected', 'corrected')", name="ck_raw_current_status"
    ),
)

device = sa.Table(
    "device",
    metadata,
    _key("gtin"),
    _str("source", False),
    _str("sku"),
    _str("name_en", False),
    _str("name_zh"),
    _str("model"),
    _str("registration_no"),
    _str("risk_class"),
    _str("tracking", False),
    _str("unit"),
    sa.Column("list_price", MONEY),
    *_provenance(),
)

variant = sa.Table(
    "variant",
    metadata,
    _key("source"),
    _key("external_id"),
    _str("product_id"),
    _str("sku"),
    _str("gtin"),
    _str("title"),
    *_provenance(),
    sa.Index(None, "sku"),
)
"""A shop's variants: SKU and barcode. With `device` the identities that resolve a SKU to a GTIN."""

party = sa.Table(
    "party",
    metadata,
    _key("source"),
    _key("external_id"),
    _str("role", False),
    _str("name", False),
    _str("region"),
    _str("licence_no"),
    _str("email"),
    _str("phone"),
    *_provenance(),
)

lot = sa.Table(
    "lot",
    metadata,
    _key("gtin"),
    _key("lot"),
    _str("source", False),
    sa.Column("production_date", sa.Date()),
    sa.Column("expiry_date", sa.Date()),
    _str("qc_status"),
    _str("manufacturer"),
    *_provenance(),
)

batch_record = sa.Table(
    "batch_record",
    metadata,
    _key("source"),
    _key("record_id"),
    _str("production_order", False),
    _str("output_gtin", False),
    _str("output_lot", False),
    sa.Column("output_qty", QTY, nullable=False),
    _str("qc_decision"),
    _str("inspector"),
    sa.Column("record_date", sa.Date()),
    *_provenance(),
    sa.Index(None, "output_gtin", "output_lot"),
)

batch_input = _line_table(
    "batch_input",
    "batch_record",
    "record_id",
    _str("gtin"),
    _str("lot"),
    sa.Column("qty", QTY, nullable=False),
    sa.Index(None, "gtin", "lot"),
)

sales_order = sa.Table(
    "sales_order",
    metadata,
    _key("source"),
    _key("order_number"),
    _str("external_id", False),
    _str("customer_ref"),
    _str("customer_name"),
    _str("channel"),
    sa.Column("order_date", UtcDateTime(), nullable=False),
    _str("status"),
    _str("currency", False),
    sa.Column("total", MONEY),
    *_provenance(),
)

order_line = _line_table(
    "order_line",
    "sales_order",
    "order_number",
    _str("sku"),
    _str("gtin"),
    sa.Column("qty", QTY, nullable=False),
    sa.Column("unit_price", MONEY, nullable=False),
    sa.Column("discount", MONEY, nullable=False),
    sa.Column("tax", MONEY, nullable=False),
)

shipment = sa.Table(
    "shipment",
    metadata,
    _key("source"),
    _key("shipment_id"),
    _str("order_number"),
    sa.Column("status", sa.String(), nullable=False, server_default="shipped"),
    sa.Column("ship_date", UtcDateTime()),
    _str("carrier"),
    _str("tracking_no"),
    _str("from_location"),
    _str("ship_to_ref"),
    _str("ship_to_name", False),
    _str("ship_to_contact"),
    _str("ship_to_email"),
    _str("ship_to_phone"),
    _str("ship_to_region"),
    *_provenance(),
    sa.Index(None, "order_number"),
)
"""A shipment as the warehouse reports it. Only `status` 'shipped' ones (with a ship date) left
the warehouse: they alone have trace edges and count as shipped; pending ones wait."""

shipment_line = _line_table(
    "shipment_line",
    "shipment",
    "shipment_id",
    _str("gtin"),
    _str("sku"),
    _str("tracking"),
    _str("lot"),
    _str("serial"),
    sa.Column("expiry_date", sa.Date()),
    sa.Column("production_date", sa.Date()),
    sa.Column("qty", QTY, nullable=False),
    _str("udi_raw"),
    sa.Index(None, "gtin", "lot"),
    sa.Index(None, "gtin", "serial"),
)

invoice = sa.Table(
    "invoice",
    metadata,
    _key("source"),
    _key("invoice_number"),
    _str("order_number"),
    sa.Column("invoice_date", sa.Date(), nullable=False),
    _str("customer_ref"),
    _str("customer_name"),
    _str("currency", False),
    sa.Column("total_untaxed", MONEY),
    sa.Column("total_tax", MONEY),
    sa.Column("total", MONEY),
    *_provenance(),
    sa.Index(None, "order_number"),
)

invoice_line = _line_table(
    "invoice_line",
    "invoice",
    "invoice_number",
    _str("sku"),
    _str("gtin"),
    _str("lot"),
    sa.Column("qty", QTY, nullable=False),
    sa.Column("unit_price", MONEY, nullable=False),
)

trace_edge = sa.Table(
    "trace_edge",
    metadata,
    sa.Column("edge_id", sa.String(), primary_key=True),
    _str("evidence", False),
    _str("confidence", False),
    _str("source", False),
    _str("doc_id", False),
    sa.Column("line_no", sa.Integer(), nullable=False),
    _str("gtin"),
    _str("lot"),
    _str("serial"),
    sa.Column("qty", QTY, nullable=False),
    _str("output_gtin"),
    _str("output_lot"),
    _str("from_party"),
    _str("to_party"),
    _str("to_region"),
    sa.Column("event_time", UtcDateTime()),
    _str("order_number"),
    sa.CheckConstraint("confidence IN ('recorded', 'inferred')", name="ck_trace_edge_confidence"),
    # evidence and qty ride along: a recall's mass balance sums a lot's moves from the index alone
    sa.Index(None, "gtin", "lot", "evidence", "qty"),
    sa.Index(None, "gtin", "serial"),
    sa.Index(None, "output_gtin", "output_lot"),
    sa.Index(None, "source", "doc_id"),
)
"""Physical evidence only (architecture rule 6). `shipped`: gtin/lot/serial went to `to_party` in
shipment `doc_id`. `produced_from`: input gtin/lot (`qty` consumed) went into output_gtin/output_lot
by batch record `doc_id`. `inferred`: the record did not name the input lot, so every candidate lot
of that GTIN is linked (trace_store/inferred.py). `evidence` values are registered in
trace_store/evidence.py, not constrained here, so a new kind needs no migration."""

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", BIGID, primary_key=True, autoincrement=True),
    _str("source", False),
    _str("entity", False),
    _str("external_id", False),
    _str("content_hash", False),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("mapped", sa.JSON()),
    sa.Column("failures", sa.JSON(), nullable=False),
    _str("rules", False),
    _str("status", False),
    sa.Column("first_seen_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    sa.Column("run_id", sa.Integer(), nullable=False),
    sa.UniqueConstraint("source", "entity", "external_id", "content_hash"),
    _str("kind"),
    sa.Column("mapping_options", sa.JSON()),
    sa.Column("resolved_at", UtcDateTime()),
    _str("resolved_by"),
    sa.Column("resolution_reason", sa.Text()),
    sa.Column("superseded_by", BIGID),
    sa.CheckConstraint(
        "status IN ('open', 'superseded', 'replayed', 'accepted', 'rejected', 'corrected')",
        name="ck_quarantine_status",
    ),
    sa.Index(None, "status", "source", "entity"),
)

sync_state = sa.Table(
    "sync_state",
    metadata,
    _key("source"),
    _key("entity"),
    sa.Column("cursor", UtcDateTime()),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

sync_run = sa.Table(
    "sync_run",
    metadata,
    sa.Column("run_id", sa.Integer(), primary_key=True, autoincrement=True),
    _str("source", False),
    _str("entity", False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    _str("status", False),
    sa.Column("pulled", sa.Integer(), nullable=False),
    sa.Column("unchanged", sa.Integer(), nullable=False),
    sa.Column("loaded", sa.Integer(), nullable=False),
    sa.Column("quarantined", sa.Integer(), nullable=False),
    sa.Column("error", sa.Text()),
    sa.Column("requests", sa.JSON()),
    sa.CheckConstraint("status IN ('running', 'success', 'failed', 'abandoned')", name="ck_sync_run_status"),
    sa.Index(None, "source", "entity", "status"),
)
"""The run ledger. `requests`: what the run asked its platform, per endpoint: count, statuses, 429s,
retries and latency (connectors/metrics.py), kept with the run for `tracehub stats`."""

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    _str("actor", False),
    _str("action", False),
    _str("entity", False),
    _str("key", False),
    sa.Column("details", sa.JSON(), nullable=False),
    _str("prev_hash", False),
    _str("hash", False),
)
"""Hash-chained (architecture rule 7): `hash` covers the entry and `prev_hash`, so editing or deleting
any entry breaks every later link. `seq` is assigned by the writer holding the chain head."""

quarantine_event = sa.Table(
    "quarantine_event",
    metadata,
    sa.Column("id", BIGID, primary_key=True, autoincrement=True),
    sa.Column("quarantine_id", BIGID, sa.ForeignKey("quarantine.id"), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    _str("actor", False),
    _str("action", False),
    _str("from_status"),
    _str("to_status", False),
    sa.Column("reason", sa.Text()),
    sa.Column("run_id", sa.Integer()),
    sa.Column("details", sa.JSON()),
    sa.Index(None, "quarantine_id"),
)
"""Every steward transition of a quarantined record (replay, accept, reject), oldest first; the
same transitions are in the audit log, where they are tamper-evident. `kind` on `quarantine` is
the platform kind whose mapping made the record, so replay needs no sources file. `superseded_by`
on `quarantine` is the row of the newer version that closed it (None: that version loaded)."""

quarantine_correction = sa.Table(
    "quarantine_correction",
    metadata,
    sa.Column("id", BIGID, primary_key=True, autoincrement=True),
    sa.Column("quarantine_id", BIGID, sa.ForeignKey("quarantine.id"), nullable=False),
    _str("source", False),
    _str("entity", False),
    _str("external_id", False),
    _str("content_hash", False),
    sa.Column("record_no", sa.Integer(), nullable=False),
    _str("field", False),
    sa.Column("old_value", sa.JSON()),
    sa.Column("new_value", sa.JSON()),
    sa.Column("reason", sa.Text(), nullable=False),
    _str("actor", False),
    sa.Column("at", UtcDateTime(), nullable=False),
    _str("status", False),
    sa.Column("superseded_at", UtcDateTime()),
    sa.CheckConstraint("status IN ('active', 'superseded')", name="ck_quarantine_correction_status"),
    sa.Index(None, "source", "entity", "external_id"),
)
"""A steward's correction of one field of one mapped record (`record_no`, from 1) of a quarantined
raw version. It applies whenever that very version (`content_hash`) is checked again, and is
`superseded` when the platform sends a newer version of the record."""

app_user = sa.Table(
    "app_user",
    metadata,
    _key("username"),
    _str("password_hash", False),
    _str("role", False),
    sa.Column("disabled", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    _str("language"),
    sa.CheckConstraint("role IN ('viewer', 'steward', 'admin')", name="ck_app_user_role"),
)
"""Web console users; `password_hash` is an argon2id hash, the password itself is never stored.
`language` is the console language the user chose (NULL: the browser's)."""

finding = sa.Table(
    "finding",
    metadata,
    sa.Column("id", BIGID, primary_key=True, autoincrement=True),
    _str("rule", False),
    _str("key", False),
    _str("severity", False),
    sa.Column("details", sa.JSON(), nullable=False),
    sa.Column("first_seen_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Column("notified_at", UtcDateTime()),
    sa.Column("acknowledged_at", UtcDateTime()),
    _str("acknowledged_by"),
    sa.Column("acknowledge_note", sa.Text()),
    _str("resolved_by"),
    sa.Column("resolve_note", sa.Text()),
    sa.CheckConstraint("severity IN ('critical', 'warning')", name="ck_finding_severity"),
    sa.Index(None, "rule", "key", "resolved_at"),
    sa.Index(None, "severity", "notified_at"),
)
"""Cross-record findings (traceability/findings.py). One row per episode: a case (rule, key) that
holds again after it was resolved opens a new row, so each row's first_seen/resolved times stay true.
A steward may acknowledge an open finding or resolve it by hand (`resolved_by` set, with a note)."""

inventory_level = sa.Table(
    "inventory_level",
    metadata,
    _key("source"),
    _key("item_ref"),
    _key("lot"),
    _key("location"),
    _str("sku"),
    _str("gtin"),
    sa.Column("on_hand", QTY, nullable=False),
    sa.Column("expiry_date", sa.Date()),
    *_provenance(),
    sa.Index(None, "gtin", "lot"),
)
"""Units of a lot on hand per warehouse location, as the warehouse last reported them. Keyed by
the warehouse's own item id: its listing names SKUs, and the GTIN is resolved from the SKU."""

serial_number = sa.Table(
    "serial_number",
    metadata,
    _key("source"),
    _key("serial"),
    _str("sku"),
    _str("gtin"),
    _str("lot"),
    _str("status"),
    _str("location"),
    _str("customer_name"),
    _str("reference_type"),
    _str("reference_id"),
    sa.Column("status_date", sa.Date()),
    *_provenance(),
    sa.Index(None, "gtin", "serial"),
    sa.Index(None, "gtin", "lot"),
)
"""The ERP's serial register: each unit's lot, status and warehouse as last reported. Not stock: the
mass balance counts `inventory_level` only, so a delivered unit (its warehouse cleared) counts nowhere.
Keyed by source and serial (an ERPNext Serial No is unique per site); the GTIN is resolved from the SKU."""

customer_return = sa.Table(
    "customer_return",
    metadata,
    _key("source"),
    _key("return_id"),
    _str("reference"),
    _str("order_number"),
    _str("original_shipment_id"),
    _str("customer_name"),
    _str("location"),
    sa.Column("return_date", UtcDateTime(), nullable=False),
    _str("status"),
    *_provenance(),
    sa.Index(None, "order_number"),
)
"""Customer returns (canonical entity `return`; the table avoids the SQL keyword)."""

return_line = _line_table(
    "return_line",
    "customer_return",
    "return_id",
    _str("gtin"),
    _str("sku"),
    _str("lot"),
    _str("serial"),
    sa.Column("qty", QTY, nullable=False),
    sa.Index(None, "gtin", "lot"),
)

scrap = sa.Table(
    "scrap",
    metadata,
    _key("source"),
    _key("scrap_id"),
    _str("reference"),
    _str("gtin", False),
    _str("lot"),
    sa.Column("qty", QTY, nullable=False),
    sa.Column("scrap_date", UtcDateTime(), nullable=False),
    _str("location"),
    _str("reason"),
    *_provenance(),
    sa.Index(None, "gtin", "lot"),
)

recall = sa.Table(
    "recall",
    metadata,
    sa.Column("recall_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    _str("created_by", False),
    sa.Column("reason", sa.Text(), nullable=False),
    _str("status", False),
    sa.Column("closed_at", UtcDateTime()),
    _str("closed_by"),
    sa.Column("close_reason", sa.Text()),
    sa.CheckConstraint("status IN ('open', 'closed')", name="ck_recall_status"),
)
"""A recall decision. Its `recall_item` rows are the mark on the recalled lots and serials; closing it
(`closed_*`) ends the action, the mark stays."""

recall_item = sa.Table(
    "recall_item",
    metadata,
    sa.Column("recall_id", sa.Integer(), sa.ForeignKey("recall.recall_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_no", sa.Integer(), primary_key=True, autoincrement=False),
    _str("gtin", False),
    _str("lot"),
    _str("serial"),
    sa.Index(None, "gtin", "lot"),
    sa.Index(None, "gtin", "serial"),
)
"""What a recall covers: a lot (`serial` empty), one serialised unit, or both named."""

recall_drill = sa.Table(
    "recall_drill",
    metadata,
    sa.Column("drill_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("started_at", UtcDateTime(), nullable=False, index=True),
    _str("actor", False),
    _str("gtin", False),
    _str("lot", False),
    sa.Column("seed", sa.Integer()),
    sa.Column("consignees", sa.Integer(), nullable=False),
    sa.Column("shipments", sa.Integer(), nullable=False),
    sa.Column("seconds_to_consignees", sa.Float(), nullable=False),
    sa.Column("seconds_total", sa.Float(), nullable=False),
    sa.Column("steps", sa.JSON(), nullable=False),
    sa.Column("reports", sa.JSON(), nullable=False),
)
"""A mock recall (`tracehub drill`): the lot drilled, each step's seconds, the report files. No recall row."""

party_name_index = sa.Index("ix_party_name", party.c.name)
"""Recall reports join shipment consignees (ship_to_name) to parties by name."""

recipient_index = sa.Index(
    "ix_shipment_recipient",
    shipment.c.ship_to_name,
    shipment.c.ship_date,
    shipment.c.shipment_id,
    shipment.c.source,
    postgresql_where=shipment.c.ship_to_contact.is_not(None),
    sqlite_where=shipment.c.ship_to_contact.is_not(None),
)
"""A recall reads each consignee's latest addressed shipment as one backward index probe, not a
scan of all its shipments (a wide recall reaches most consignees)."""

app_session = sa.Table(
    "app_session",
    metadata,
    sa.Column("session_hash", sa.String(), primary_key=True),
    _str("username", False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
    _str("revoked_reason"),
    _str("client"),
    sa.Index(None, "username"),
)
"""Console sessions, kept in the store so that logging out, disabling a user or changing a role
or password ends them at once. The browser holds a random token; only its SHA-256 is stored."""

login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("key", sa.String(), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("last_failure_at", UtcDateTime(), nullable=False),
    sa.Column("locked_until", UtcDateTime()),
)
"""Failed sign-ins per account (`user:<name>`) and per client address (`client:<ip>`): the growing
delays and temporary lockouts of steward/sessions.py."""

alert = sa.Table(
    "alert",
    metadata,
    sa.Column("id", BIGID, primary_key=True, autoincrement=True),
    _str("kind", False),
    _str("source", False),
    _str("entity", False),
    sa.Column("details", sa.JSON(), nullable=False),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("resolved_at", UtcDateTime()),
    sa.Column("opened_sent_at", UtcDateTime()),
    sa.Column("resolved_sent_at", UtcDateTime()),
    sa.CheckConstraint("kind IN ('sync_failed', 'source_stale', 'quarantine_spike')", name="ck_alert_kind"),
    sa.Index(None, "kind", "source", "entity", "resolved_at"),
)
"""Operational incidents (pipeline/alerts.py): one row from the moment a source entity went wrong
until it recovered, so each incident is announced once when it opens and once when it resolves."""

payload_field = sa.Table(
    "payload_field",
    metadata,
    _key("source"),
    _key("entity"),
    _key("path"),
    _str("json_type", False),
    sa.Column("present", sa.BigInteger(), nullable=False),
    sa.Column("added", sa.Boolean(), nullable=False),
    sa.Column("first_seen_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
)
"""The fields each source's payloads have carried (pipeline/drift.py): how many payloads had each
path and its JSON type, path `$` counting every payload. `added`: first seen after the source
entity had a history, so it is a field the platform added (reported, and kept in the raw payload)."""

drop_file = sa.Table(
    "drop_file",
    metadata,
    _key("source"),
    _key("entity"),
    _key("name"),
    _key("sha256"),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("mtime", sa.Float(), nullable=False),
    _str("status", False),
    sa.Column("records", sa.Integer(), nullable=False),
    _str("error"),
    sa.Column("run_id", sa.Integer()),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('loaded', 'duplicate', 'rejected')", name="ck_drop_file_status"),
    sa.Index(None, "source", "entity", "sha256"),
)
"""The files a spreadsheet drop source has read (connectors/drops.py), by name and content sha256:
a content recorded once is never read again under any name; `rejected` keeps the one-line reason."""

push_ledger = sa.Table(
    "push_ledger",
    metadata,
    _key("destination"),
    _key("order_number"),
    _key("shipment_source"),
    _key("shipment_id"),
    _key("tracking_no"),
    _str("order_ref", False),
    _str("action", False),
    _str("state", False),
    _str("carrier"),
    sa.Column("lots", sa.JSON(), nullable=False),
    _str("remote_id"),
    sa.Column("error", sa.Text()),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("intent_at", UtcDateTime(), nullable=False),
    sa.Column("done_at", UtcDateTime()),
    sa.Index(None, "destination", "shipment_source", "shipment_id"),
)
"""What write-back told a shop, keyed by the natural idempotency key (destination, shop order, shipment,
tracking number). `pending` is written before the call and `pushed` / `failed` after it, so a row still
pending after a crash means "ask the shop whether it landed" before pushing again. `order_ref` is the
shop's own id of the order, `remote_id` the shop's id of what was made (a Shopify fulfilment), `lots` what
shipped (sku, lot, qty) whether or not the shop has a place for it."""
