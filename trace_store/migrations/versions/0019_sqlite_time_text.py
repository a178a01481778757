"""SQLite times written in bulk as `2026-03-02 10:00:00` get the fraction every other statement
writes (`2026-03-02 10:00:00.000000`): SQLite compares times as text, and the shorter spelling
sorted before the same second, so a newer-wins guard or a cursor window could miss it.

Revision ID: 0019_sqlite_time_text
Revises: 0018_edge_moves_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_sqlite_time_text"
down_revision = "0018_edge_moves_index"
branch_labels = None
depends_on = None

_WHOLE_SECOND = "____-__-__ __:__:__"
"""The driver's spelling of a time with no microseconds: 19 characters, no fraction."""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL keeps timestamptz: there is no spelling to mend
    inspector = sa.inspect(bind)
    quote = bind.dialect.identifier_preparer.quote
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.DateTime):
                name = quote(column["name"])
                mend = f"UPDATE {quote(table)} SET {name} = {name} || '.000000' WHERE {name} LIKE :whole"
                op.execute(sa.text(mend).bindparams(whole=_WHOLE_SECOND))


def downgrade() -> None:
    """Nothing to undo: the mended spelling is the one SQLAlchemy writes and reads."""
