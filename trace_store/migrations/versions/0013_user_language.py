"""The console language each user chose.

Revision ID: 0013_user_language
Revises: 0012_serials
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_user_language"
down_revision = "0012_serials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as table:
        table.add_column(sa.Column("language", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as table:
        table.drop_column("language")
