"""Console sessions in the store, and sign-in throttling.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "app_session",
        sa.Column("session_hash", sa.String(), nullable=False),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("last_seen_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.Column("revoked_reason", sa.String(), nullable=True),
        sa.Column("client", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_app_session")),
    )
    op.create_index(op.f("ix_app_session_username"), "app_session", ["username"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", UTC_TIME, nullable=False),
        sa.Column("last_failure_at", UTC_TIME, nullable=False),
        sa.Column("locked_until", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.drop_index(op.f("ix_app_session_username"), table_name="app_session")
    op.drop_table("app_session")
