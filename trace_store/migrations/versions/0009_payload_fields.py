"""The fields each source's payloads carry, for schema drift.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payload_field",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("json_type", sa.String(), nullable=False),
        sa.Column("present", sa.BigInteger(), nullable=False),
        sa.Column("added", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", UTC_TIME, nullable=False),
        sa.Column("last_seen_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("source", "entity", "path", name=op.f("pk_payload_field")),
    )


def downgrade() -> None:
    op.drop_table("payload_field")
