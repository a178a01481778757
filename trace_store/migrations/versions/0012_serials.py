"""The ERP's serial register (ERPNext Serial No): each unit's lot, status and warehouse.

Revision ID: 0012_serials
Revises: 0011_push_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_serials"
down_revision = "0011_push_ledger"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "serial_number",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("serial", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("gtin", sa.String(), nullable=True),
        sa.Column("lot", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("location", sa.String(), nullable=True),
        sa.Column("customer_name", sa.String(), nullable=True),
        sa.Column("reference_type", sa.String(), nullable=True),
        sa.Column("reference_id", sa.String(), nullable=True),
        sa.Column("status_date", sa.Date(), nullable=True),
        sa.Column("source_updated_at", UTC_TIME, nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("source", "serial", name=op.f("pk_serial_number")),
    )
    op.create_index(op.f("ix_serial_number_gtin_serial"), "serial_number", ["gtin", "serial"])
    op.create_index(op.f("ix_serial_number_gtin_lot"), "serial_number", ["gtin", "lot"])


def downgrade() -> None:
    op.drop_index(op.f("ix_serial_number_gtin_lot"), table_name="serial_number")
    op.drop_index(op.f("ix_serial_number_gtin_serial"), table_name="serial_number")
    op.drop_table("serial_number")
