"""Quarantine triage and corrections: superseded rows link their successor; stewards' corrections.

Existing open rows whose record has a newer current version are closed as superseded here, linked
to the newer version's quarantine row when it has one.

Revision ID: 0014_corrections
Revises: 0013_user_language
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_corrections"
down_revision = "0013_user_language"
branch_labels = None
depends_on = None

_BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_QUARANTINE_OLD = "status IN ('open', 'superseded', 'replayed', 'accepted', 'rejected')"
_QUARANTINE_NEW = "status IN ('open', 'superseded', 'replayed', 'accepted', 'rejected', 'corrected')"
_RAW_OLD = "status IN ('loaded', 'quarantined', 'accepted', 'rejected')"
_RAW_NEW = "status IN ('loaded', 'quarantined', 'accepted', 'rejected', 'corrected')"

_CLOSE_SUPERSEDED = """
UPDATE quarantine SET
  status = 'superseded',
  resolved_at = CURRENT_TIMESTAMP,
  resolved_by = 'migration',
  resolution_reason = 'a newer version of the record exists',
  superseded_by = (
    SELECT MAX(n.id) FROM quarantine n JOIN raw_current c
      ON c.source = n.source AND c.entity = n.entity AND c.external_id = n.external_id
      AND c.content_hash = n.content_hash
    WHERE n.source = quarantine.source AND n.entity = quarantine.entity
      AND n.external_id = quarantine.external_id
  )
WHERE status = 'open' AND EXISTS (
  SELECT 1 FROM raw_current c
  WHERE c.source = quarantine.source AND c.entity = quarantine.entity
    AND c.external_id = quarantine.external_id AND c.content_hash <> quarantine.content_hash
)
"""


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_constraint("ck_quarantine_status", type_="check")
        batch.create_check_constraint("ck_quarantine_status", _QUARANTINE_NEW)
        batch.add_column(sa.Column("superseded_by", _BIGID, nullable=True))
    with op.batch_alter_table("raw_current") as batch:
        batch.drop_constraint("ck_raw_current_status", type_="check")
        batch.create_check_constraint("ck_raw_current_status", _RAW_NEW)
    op.create_table(
        "quarantine_correction",
        sa.Column("id", _BIGID, autoincrement=True, nullable=False),
        sa.Column("quarantine_id", _BIGID, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("record_no", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=True),
        sa.Column("new_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'superseded')", name="ck_quarantine_correction_status"),
        sa.ForeignKeyConstraint(["quarantine_id"], ["quarantine.id"], name="fk_quarantine_correction_quarantine"),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine_correction"),
    )
    op.create_index(
        "ix_quarantine_correction_source_entity_external_id",
        "quarantine_correction",
        ["source", "entity", "external_id"],
    )
    op.execute(_CLOSE_SUPERSEDED)


def downgrade() -> None:
    op.drop_index("ix_quarantine_correction_source_entity_external_id", table_name="quarantine_correction")
    op.drop_table("quarantine_correction")
    op.execute("UPDATE raw_current SET status = 'loaded' WHERE status = 'corrected'")
    op.execute("UPDATE quarantine SET status = 'accepted' WHERE status = 'corrected'")
    with op.batch_alter_table("raw_current") as batch:
        batch.drop_constraint("ck_raw_current_status", type_="check")
        batch.create_check_constraint("ck_raw_current_status", _RAW_OLD)
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("superseded_by")
        batch.drop_constraint("ck_quarantine_status", type_="check")
        batch.create_check_constraint("ck_quarantine_status", _QUARANTINE_OLD)
