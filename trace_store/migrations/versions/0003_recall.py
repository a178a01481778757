"""Recalls and the mass-balance inputs: inventory on hand, returns, scrap; party contacts.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)
QTY = sa.Numeric(precision=18, scale=6)


def _provenance() -> list[sa.Column]:
    return [
        sa.Column("source_updated_at", UTC_TIME, nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
    ]


def upgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.add_column(sa.Column("email", sa.String(), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(), nullable=True))
    op.create_index(op.f("ix_party_name"), "party", ["name"])
    op.create_table(
        "inventory_level",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("gtin", sa.String(), nullable=False),
        sa.Column("lot", sa.String(), nullable=False),
        sa.Column("location", sa.String(), nullable=False),
        sa.Column("on_hand", QTY, nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        *_provenance(),
        sa.PrimaryKeyConstraint("source", "gtin", "lot", "location", name=op.f("pk_inventory_level")),
    )
    op.create_index(op.f("ix_inventory_level_gtin_lot"), "inventory_level", ["gtin", "lot"])
    op.create_table(
        "customer_return",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("return_id", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=True),
        sa.Column("order_number", sa.String(), nullable=True),
        sa.Column("original_shipment_id", sa.String(), nullable=True),
        sa.Column("customer_name", sa.String(), nullable=True),
        sa.Column("location", sa.String(), nullable=True),
        sa.Column("return_date", UTC_TIME, nullable=False),
        sa.Column("status", sa.String(), nullable=True),
        *_provenance(),
        sa.PrimaryKeyConstraint("source", "return_id", name=op.f("pk_customer_return")),
    )
    op.create_index(op.f("ix_customer_return_order_number"), "customer_return", ["order_number"])
    op.create_table(
        "return_line",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("return_id", sa.String(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("gtin", sa.String(), nullable=True),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("lot", sa.String(), nullable=True),
        sa.Column("serial", sa.String(), nullable=True),
        sa.Column("qty", QTY, nullable=False),
        sa.ForeignKeyConstraint(
            ["source", "return_id"],
            ["customer_return.source", "customer_return.return_id"],
            name=op.f("fk_return_line_customer_return"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source", "return_id", "line_no", name=op.f("pk_return_line")),
    )
    op.create_index(op.f("ix_return_line_gtin_lot"), "return_line", ["gtin", "lot"])
    op.create_table(
        "scrap",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("scrap_id", sa.String(), nullable=False),
        sa.Column("reference", sa.String(), nullable=True),
        sa.Column("gtin", sa.String(), nullable=False),
        sa.Column("lot", sa.String(), nullable=True),
        sa.Column("qty", QTY, nullable=False),
        sa.Column("scrap_date", UTC_TIME, nullable=False),
        sa.Column("location", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=True),
        *_provenance(),
        sa.PrimaryKeyConstraint("source", "scrap_id", name=op.f("pk_scrap")),
    )
    op.create_index(op.f("ix_scrap_gtin_lot"), "scrap", ["gtin", "lot"])
    op.create_table(
        "recall",
        sa.Column("recall_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_recall_status")),
        sa.PrimaryKeyConstraint("recall_id", name=op.f("pk_recall")),
    )
    op.create_table(
        "recall_item",
        sa.Column("recall_id", sa.Integer(), nullable=False),
        sa.Column("item_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("gtin", sa.String(), nullable=False),
        sa.Column("lot", sa.String(), nullable=True),
        sa.Column("serial", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recall_id"], ["recall.recall_id"], name=op.f("fk_recall_item_recall"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("recall_id", "item_no", name=op.f("pk_recall_item")),
    )
    op.create_index(op.f("ix_recall_item_gtin_lot"), "recall_item", ["gtin", "lot"])
    op.create_index(op.f("ix_recall_item_gtin_serial"), "recall_item", ["gtin", "serial"])


def downgrade() -> None:
    op.drop_table("recall_item")
    op.drop_table("recall")
    op.drop_table("scrap")
    op.drop_table("return_line")
    op.drop_table("customer_return")
    op.drop_table("inventory_level")
    op.drop_index(op.f("ix_party_name"), table_name="party")
    with op.batch_alter_table("party") as batch:
        batch.drop_column("phone")
        batch.drop_column("email")
