"""Initial schema: raw landing, canonical tables, trace edges, quarantine, run ledger, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 01:19:22.776720
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(), nullable=False),
        sa.Column("hash", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "batch_record",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("production_order", sa.String(), nullable=False),
        sa.Column("output_gtin", sa.String(), nullable=False),
        sa.Column("output_lot", sa.String(), nullable=False),
        sa.Column("output_qty", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("qc_decision", sa.String(), nullable=True),
        sa.Column("inspector", sa.String(), nullable=True),
        sa.Column("record_date", sa.Date(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("source", "record_id", name=op.f("pk_batch_record")),
    )
    op.create_index(op.f("ix_batch_record_output_gtin_output_lot"), "batch_record", ["output_gtin", "output_lot"])

    op.create_table(
        "device",
        sa.Column("gtin", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("name_zh", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("registration_no", sa.String(), nullable=True),
        sa.Column("risk_class", sa.String(), nullable=True),
        sa.Column("tracking", sa.String(), nullable=False),
        sa.Column("unit", sa.String(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("gtin", name=op.f("pk_device")),
    )
    op.create_table(
        "invoice",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("invoice_number", sa.String(), nullable=False),
        sa.Column("order_number", sa.String(), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("customer_ref", sa.String(), nullable=True),
        sa.Column("customer_name", sa.String(), nullable=True),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("total_untaxed", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total_tax", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("source", "invoice_number", name=op.f("pk_invoice")),
    )
    op.create_index(op.f("ix_invoice_order_number"), "invoice", ["order_number"])

    op.create_table(
        "lot",
        sa.Column("gtin", sa.String(), nullable=False),
        sa.Column("lot", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("production_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("qc_status", sa.String(), nullable=True),
        sa.Column("manufacturer", sa.String(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("gtin", "lot", name=op.f("pk_lot")),
    )
    op.create_table(
        "party",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=True),
        sa.Column("licence_no", sa.String(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("source", "external_id", name=op.f("pk_party")),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("mapped", sa.JSON(), nullable=True),
        sa.Column("failures", sa.JSON(), nullable=False),
        sa.Column("rules", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'superseded')", name="ck_quarantine_status"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint(
            "source",
            "entity",
            "external_id",
            "content_hash",
            name=op.f("uq_quarantine_source_entity_external_id_content_hash"),
        ),
    )
    op.create_index(op.f("ix_quarantine_status_source_entity"), "quarantine", ["status", "source", "entity"])

    op.create_table(
        "raw_current",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.CheckConstraint("status IN ('loaded', 'quarantined')", name="ck_raw_current_status"),
        sa.PrimaryKeyConstraint("source", "entity", "external_id", name=op.f("pk_raw_current")),
    )
    op.create_table(
        "raw_version",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("landed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_version")),
        sa.UniqueConstraint(
            "source",
            "entity",
            "external_id",
            "content_hash",
            name=op.f("uq_raw_version_source_entity_external_id_content_hash"),
        ),
    )
    op.create_table(
        "sales_order",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("order_number", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("customer_ref", sa.String(), nullable=True),
        sa.Column("customer_name", sa.String(), nullable=True),
        sa.Column("channel", sa.String(), nullable=True),
        sa.Column("order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("source", "order_number", name=op.f("pk_sales_order")),
    )
    op.create_table(
        "shipment",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("shipment_id", sa.String(), nullable=False),
        sa.Column("order_number", sa.String(), nullable=True),
        sa.Column("ship_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("carrier", sa.String(), nullable=True),
        sa.Column("tracking_no", sa.String(), nullable=True),
        sa.Column("from_location", sa.String(), nullable=True),
        sa.Column("ship_to_ref", sa.String(), nullable=True),
        sa.Column("ship_to_name", sa.String(), nullable=False),
        sa.Column("ship_to_region", sa.String(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("source", "shipment_id", name=op.f("pk_shipment")),
    )
    op.create_index(op.f("ix_shipment_order_number"), "shipment", ["order_number"])

    op.create_table(
        "sync_run",
        sa.Column("run_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("pulled", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("loaded", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'success', 'failed', 'abandoned')", name="ck_sync_run_status"),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_sync_run")),
    )
    op.create_index(op.f("ix_sync_run_source_entity_status"), "sync_run", ["source", "entity", "status"])

    op.create_table(
        "sync_state",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("cursor", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "entity", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "trace_edge",
        sa.Column("edge_id", sa.String(), nullable=False),
        sa.Column("evidence", sa.String(), nullable=False),
        sa.Column("confidence", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("doc_id", sa.String(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("gtin", sa.String(), nullable=True),
        sa.Column("lot", sa.String(), nullable=True),
        sa.Column("serial", sa.String(), nullable=True),
        sa.Column("qty", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("output_gtin", sa.String(), nullable=True),
        sa.Column("output_lot", sa.String(), nullable=True),
        sa.Column("from_party", sa.String(), nullable=True),
        sa.Column("to_party", sa.String(), nullable=True),
        sa.Column("to_region", sa.String(), nullable=True),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_number", sa.String(), nullable=True),
        sa.CheckConstraint("confidence IN ('recorded', 'inferred')", name="ck_trace_edge_confidence"),
        sa.CheckConstraint("evidence IN ('shipped', 'produced_from')", name="ck_trace_edge_evidence"),
        sa.PrimaryKeyConstraint("edge_id", name=op.f("pk_trace_edge")),
    )
    op.create_index(op.f("ix_trace_edge_gtin_lot"), "trace_edge", ["gtin", "lot"])
    op.create_index(op.f("ix_trace_edge_gtin_serial"), "trace_edge", ["gtin", "serial"])
    op.create_index(op.f("ix_trace_edge_output_gtin_output_lot"), "trace_edge", ["output_gtin", "output_lot"])
    op.create_index(op.f("ix_trace_edge_source_doc_id"), "trace_edge", ["source", "doc_id"])

    op.create_table(
        "batch_input",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("gtin", sa.String(), nullable=True),
        sa.Column("lot", sa.String(), nullable=True),
        sa.Column("qty", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["source", "record_id"],
            ["batch_record.source", "batch_record.record_id"],
            name=op.f("fk_batch_input_batch_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "record_id", "line_no", name=op.f("pk_batch_input")),
    )
    op.create_index(op.f("ix_batch_input_gtin_lot"), "batch_input", ["gtin", "lot"])

    op.create_table(
        "invoice_line",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("invoice_number", sa.String(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("gtin", sa.String(), nullable=True),
        sa.Column("lot", sa.String(), nullable=True),
        sa.Column("qty", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["source", "invoice_number"],
            ["invoice.source", "invoice.invoice_number"],
            name=op.f("fk_invoice_line_invoice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "invoice_number", "line_no", name=op.f("pk_invoice_line")),
    )
    op.create_table(
        "order_line",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("order_number", sa.String(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("gtin", sa.String(), nullable=True),
        sa.Column("qty", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("discount", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["source", "order_number"],
            ["sales_order.source", "sales_order.order_number"],
            name=op.f("fk_order_line_sales_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "order_number", "line_no", name=op.f("pk_order_line")),
    )
    op.create_table(
        "shipment_line",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("shipment_id", sa.String(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("gtin", sa.String(), nullable=True),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("tracking", sa.String(), nullable=True),
        sa.Column("lot", sa.String(), nullable=True),
        sa.Column("serial", sa.String(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("production_date", sa.Date(), nullable=True),
        sa.Column("qty", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("udi_raw", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["source", "shipment_id"],
            ["shipment.source", "shipment.shipment_id"],
            name=op.f("fk_shipment_line_shipment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "shipment_id", "line_no", name=op.f("pk_shipment_line")),
    )
    op.create_index(op.f("ix_shipment_line_gtin_lot"), "shipment_line", ["gtin", "lot"])
    op.create_index(op.f("ix_shipment_line_gtin_serial"), "shipment_line", ["gtin", "serial"])


def downgrade() -> None:
    op.drop_table("shipment_line")
    op.drop_table("order_line")
    op.drop_table("invoice_line")
    op.drop_table("batch_input")
    op.drop_table("trace_edge")
    op.drop_table("sync_state")
    op.drop_table("sync_run")
    op.drop_table("shipment")
    op.drop_table("sales_order")
    op.drop_table("raw_version")
    op.drop_table("raw_current")
    op.drop_table("quarantine")
    op.drop_table("party")
    op.drop_table("lot")
    op.drop_table("invoice")
    op.drop_table("device")
    op.drop_table("batch_record")
    op.drop_table("audit_log")
