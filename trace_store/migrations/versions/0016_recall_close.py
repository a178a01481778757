"""Closing a recall (when, by whom, why) and the record of recall drills.

Revision ID: 0016_recall_close
Revises: 0015_finding_actions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_recall_close"
down_revision = "0015_finding_actions"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("recall") as table:
        table.add_column(sa.Column("closed_at", UTC_TIME, nullable=True))
        table.add_column(sa.Column("closed_by", sa.String(), nullable=True))
        table.add_column(sa.Column("close_reason", sa.Text(), nullable=True))
    op.create_table(
        "recall_drill",
        sa.Column("drill_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("gtin", sa.String(), nullable=False),
        sa.Column("lot", sa.String(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("consignees", sa.Integer(), nullable=False),
        sa.Column("shipments", sa.Integer(), nullable=False),
        sa.Column("seconds_to_consignees", sa.Float(), nullable=False),
        sa.Column("seconds_total", sa.Float(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("reports", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("drill_id", name=op.f("pk_recall_drill")),
    )
    op.create_index(op.f("ix_recall_drill_started_at"), "recall_drill", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_recall_drill_started_at"), table_name="recall_drill")
    op.drop_table("recall_drill")
    with op.batch_alter_table("recall") as table:
        table.drop_column("close_reason")
        table.drop_column("closed_by")
        table.drop_column("closed_at")
