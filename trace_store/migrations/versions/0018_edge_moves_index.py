"""The lot index of `trace_edge` also carries evidence and quantity, so a recall's mass balance
sums what each lot reached shipped and got back from the index alone.

Revision ID: 0018_edge_moves_index
Revises: 0017_recipient_index
"""

from __future__ import annotations

from alembic import op

revision = "0018_edge_moves_index"
down_revision = "0017_recipient_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_trace_edge_gtin_lot_evidence_qty", "trace_edge", ["gtin", "lot", "evidence", "qty"])
    op.drop_index("ix_trace_edge_gtin_lot", table_name="trace_edge")


def downgrade() -> None:
    op.create_index("ix_trace_edge_gtin_lot", "trace_edge", ["gtin", "lot"])
    op.drop_index("ix_trace_edge_gtin_lot_evidence_qty", table_name="trace_edge")
