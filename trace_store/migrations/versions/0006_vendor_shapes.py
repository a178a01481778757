"""Shipments that have not left yet, their recipient, stock by warehouse item, shop variants, replayable source options.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "variant",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("external_id", sa.String(), nullable=False),
        sa.Column("product_id", sa.String(), nullable=True),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("gtin", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raw_external_id", sa.String(), nullable=True),
        sa.Column("raw_content_hash", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("source", "external_id", name=op.f("pk_variant")),
    )
    op.create_index(op.f("ix_variant_sku"), "variant", ["sku"])
    with op.batch_alter_table("shipment") as batch:
        batch.add_column(sa.Column("status", sa.String(), nullable=False, server_default="shipped"))
        batch.add_column(sa.Column("ship_to_contact", sa.String(), nullable=True))
        batch.add_column(sa.Column("ship_to_email", sa.String(), nullable=True))
        batch.add_column(sa.Column("ship_to_phone", sa.String(), nullable=True))
        batch.alter_column("ship_date", existing_type=sa.DateTime(timezone=True), nullable=True)
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("mapping_options", sa.JSON(), nullable=True))
    with op.batch_alter_table("inventory_level") as batch:
        batch.add_column(sa.Column("item_ref", sa.String(), nullable=True))
        batch.add_column(sa.Column("sku", sa.String(), nullable=True))
    # Stock landed before this revision was keyed by GTIN: it stands for the warehouse item.
    op.execute("UPDATE inventory_level SET item_ref = gtin")
    with op.batch_alter_table("inventory_level") as batch:
        batch.drop_constraint("pk_inventory_level", type_="primary")
        batch.alter_column("item_ref", existing_type=sa.String(), nullable=False)
        batch.alter_column("gtin", existing_type=sa.String(), nullable=True)
        batch.create_primary_key("pk_inventory_level", ["source", "item_ref", "lot", "location"])


def downgrade() -> None:
    op.drop_index(op.f("ix_variant_sku"), table_name="variant")
    op.drop_table("variant")
    op.execute("DELETE FROM inventory_level WHERE gtin IS NULL")
    with op.batch_alter_table("inventory_level") as batch:
        batch.drop_constraint("pk_inventory_level", type_="primary")
        batch.alter_column("gtin", existing_type=sa.String(), nullable=False)
        batch.create_primary_key("pk_inventory_level", ["source", "gtin", "lot", "location"])
        batch.drop_column("sku")
        batch.drop_column("item_ref")
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_column("mapping_options")
    op.execute("DELETE FROM shipment WHERE ship_date IS NULL")
    with op.batch_alter_table("shipment") as batch:
        batch.alter_column("ship_date", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.drop_column("ship_to_phone")
        batch.drop_column("ship_to_email")
        batch.drop_column("ship_to_contact")
        batch.drop_column("status")
