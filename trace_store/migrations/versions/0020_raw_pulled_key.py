"""`raw_current.pulled_key`: the fast hash of a payload as pulled, which a re-sync finds an
unchanged record by. Rows landed before it have none; the next sync that pulls them fills it in.

Revision ID: 0020_raw_pulled_key
Revises: 0019_sqlite_time_text
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_raw_pulled_key"
down_revision = "0019_sqlite_time_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("raw_current", sa.Column("pulled_key", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_current") as batch:
        batch.drop_column("pulled_key")
