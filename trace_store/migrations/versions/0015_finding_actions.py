"""A steward's acknowledgement and resolution of a finding, each with who, when and a note.

Revision ID: 0015_finding_actions
Revises: 0014_corrections
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_finding_actions"
down_revision = "0014_corrections"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("finding") as table:
        table.add_column(sa.Column("acknowledged_at", UTC_TIME, nullable=True))
        table.add_column(sa.Column("acknowledged_by", sa.String(), nullable=True))
        table.add_column(sa.Column("acknowledge_note", sa.Text(), nullable=True))
        table.add_column(sa.Column("resolved_by", sa.String(), nullable=True))
        table.add_column(sa.Column("resolve_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("finding") as table:
        for name in ("resolve_note", "resolved_by", "acknowledge_note", "acknowledged_by", "acknowledged_at"):
            table.drop_column(name)
