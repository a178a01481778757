"""Raw payloads are compressed with lz4 on PostgreSQL, where the server has it.

A payload of a few KB goes to TOAST, compressed with pglz by default; lz4 costs the server less
CPU to write and to read. Values already stored keep their compression until rewritten.

Revision ID: 0021_raw_payload_lz4
Revises: 0020_raw_pulled_key
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_raw_payload_lz4"
down_revision = "0020_raw_pulled_key"
branch_labels = None
depends_on = None

_HAS_LZ4 = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.execute(sa.text(_HAS_LZ4)).scalar():
        op.execute("ALTER TABLE raw_version ALTER COLUMN payload SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE raw_version ALTER COLUMN payload SET COMPRESSION DEFAULT")
