"""A partial index for each consignee's latest addressed shipment, read by recall reports.

Revision ID: 0017_recipient_index
Revises: 0016_recall_close
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_recipient_index"
down_revision = "0016_recall_close"
branch_labels = None
depends_on = None


def upgrade() -> None:
    addressed = sa.text("ship_to_contact IS NOT NULL")
    op.create_index(
        "ix_shipment_recipient",
        "shipment",
        ["ship_to_name", "ship_date", "shipment_id", "source"],
        postgresql_where=addressed,
        sqlite_where=addressed,
    )


def downgrade() -> None:
    op.drop_index("ix_shipment_recipient", table_name="shipment")
