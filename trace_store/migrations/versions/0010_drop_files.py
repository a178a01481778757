"""The files spreadsheet drop sources have read, fingerprinted by content.

Revision ID: 0010_drop_files
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_drop_files"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drop_file",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime", sa.Float(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.CheckConstraint("status IN ('loaded', 'duplicate', 'rejected')", name="ck_drop_file_status"),
        sa.PrimaryKeyConstraint("source", "entity", "name", "sha256", name=op.f("pk_drop_file")),
    )
    op.create_index(op.f("ix_drop_file_source_entity_sha256"), "drop_file", ["source", "entity", "sha256"])


def downgrade() -> None:
    op.drop_index(op.f("ix_drop_file_source_entity_sha256"), table_name="drop_file")
    op.drop_table("drop_file")
