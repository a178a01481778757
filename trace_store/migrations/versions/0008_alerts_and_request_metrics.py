"""Operational alerts, and per-run request metrics on the run ledger.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("sync_run", sa.Column("requests", sa.JSON(), nullable=True))
    op.create_table(
        "alert",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("opened_at", UTC_TIME, nullable=False),
        sa.Column("resolved_at", UTC_TIME, nullable=True),
        sa.Column("opened_sent_at", UTC_TIME, nullable=True),
        sa.Column("resolved_sent_at", UTC_TIME, nullable=True),
        sa.CheckConstraint("kind IN ('sync_failed', 'source_stale', 'quarantine_spike')", name="ck_alert_kind"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index(
        op.f("ix_alert_kind_source_entity_resolved_at"), "alert", ["kind", "source", "entity", "resolved_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_kind_source_entity_resolved_at"), table_name="alert")
    op.drop_table("alert")
    op.drop_column("sync_run", "requests")
