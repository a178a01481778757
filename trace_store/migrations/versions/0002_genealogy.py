"""Trace graph: produced-from edges with inferred candidates, backward-trace indexes.

`trace_edge.evidence` loses its CHECK: evidence kinds (now also `inferred`, soon `returned`) are
registered in trace_store/evidence.py, so adding one needs no migration.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trace_edge") as batch:
        batch.drop_constraint("ck_trace_edge_evidence", type_="check")


def downgrade() -> None:
    op.execute("DELETE FROM trace_edge WHERE evidence NOT IN ('shipped', 'produced_from')")
    with op.batch_alter_table("trace_edge") as batch:
        batch.create_check_constraint("ck_trace_edge_evidence", "evidence IN ('shipped', 'produced_from')")
