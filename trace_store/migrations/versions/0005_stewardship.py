"""Quarantine lifecycle, its history, and console users.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_QUARANTINE_OLD = "status IN ('open', 'superseded')"
_QUARANTINE_NEW = "status IN ('open', 'superseded', 'replayed', 'accepted', 'rejected')"
_RAW_OLD = "status IN ('loaded', 'quarantined')"
_RAW_NEW = "status IN ('loaded', 'quarantined', 'accepted', 'rejected')"


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_constraint("ck_quarantine_status", type_="check")
        batch.create_check_constraint("ck_quarantine_status", _QUARANTINE_NEW)
        batch.add_column(sa.Column("kind", sa.String(), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("resolution_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("raw_current") as batch:
        batch.drop_constraint("ck_raw_current_status", type_="check")
        batch.create_check_constraint("ck_raw_current_status", _RAW_NEW)
    op.create_table(
        "quarantine_event",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("quarantine_id", _BIGID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["quarantine_id"], ["quarantine.id"], name=op.f("fk_quarantine_event_quarantine")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_event")),
    )
    op.create_index(op.f("ix_quarantine_event_quarantine_id"), "quarantine_event", ["quarantine_id"])
    op.create_table(
        "app_user",
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'steward', 'admin')", name="ck_app_user_role"),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_app_user")),
    )


def downgrade() -> None:
    op.drop_table("app_user")
    op.drop_index(op.f("ix_quarantine_event_quarantine_id"), table_name="quarantine_event")
    op.drop_table("quarantine_event")
    # Decisions have no place in the older schema: their records count as loaded / left behind.
    op.execute("UPDATE raw_current SET status = 'loaded' WHERE status = 'accepted'")
    op.execute("UPDATE raw_current SET status = 'quarantined' WHERE status = 'rejected'")
    op.execute("UPDATE quarantine SET status = 'superseded' WHERE status IN ('replayed', 'accepted', 'rejected')")
    with op.batch_alter_table("raw_current") as batch:
        batch.drop_constraint("ck_raw_current_status", type_="check")
        batch.create_check_constraint("ck_raw_current_status", _RAW_OLD)
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("resolution_reason")
        batch.drop_column("resolved_by")
        batch.drop_column("resolved_at")
        batch.drop_column("kind")
        batch.drop_constraint("ck_quarantine_status", type_="check")
        batch.create_check_constraint("ck_quarantine_status", _QUARANTINE_OLD)
