"""Findings (first seen / resolved) and the device list price reconciliation checks against.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("list_price", sa.Numeric(precision=18, scale=4), nullable=True))
    op.create_table(
        "finding",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("severity", sa.String(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("severity IN ('critical', 'warning')", name="ck_finding_severity"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
    )
    op.create_index(op.f("ix_finding_rule_key_resolved_at"), "finding", ["rule", "key", "resolved_at"])
    op.create_index(op.f("ix_finding_severity_notified_at"), "finding", ["severity", "notified_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_finding_severity_notified_at"), table_name="finding")
    op.drop_index(op.f("ix_finding_rule_key_resolved_at"), table_name="finding")
    op.drop_table("finding")
    with op.batch_alter_table("device") as batch:
        batch.drop_column("list_price")
