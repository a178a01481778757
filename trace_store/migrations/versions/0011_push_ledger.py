"""The write-back ledger: what was pushed to a shop, exactly once.

Revision ID: 0011_push_ledger
Revises: 0010_drop_files
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_push_ledger"
down_revision = "0010_drop_files"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "push_ledger",
        sa.Column("destination", sa.String(), nullable=False),
        sa.Column("order_number", sa.String(), nullable=False),
        sa.Column("shipment_source", sa.String(), nullable=False),
        sa.Column("shipment_id", sa.String(), nullable=False),
        sa.Column("tracking_no", sa.String(), nullable=False),
        sa.Column("order_ref", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=True),
        sa.Column("lots", sa.JSON(), nullable=False),
        sa.Column("remote_id", sa.String(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("intent_at", UTC_TIME, nullable=False),
        sa.Column("done_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint(
            "destination", "order_number", "shipment_source", "shipment_id", "tracking_no", name=op.f("pk_push_ledger")
        ),
    )
    op.create_index(
        op.f("ix_push_ledger_destination_shipment_source_shipment_id"),
        "push_ledger",
        ["destination", "shipment_source", "shipment_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_push_ledger_destination_shipment_source_shipment_id"), table_name="push_ledger")
    op.drop_table("push_ledger")
