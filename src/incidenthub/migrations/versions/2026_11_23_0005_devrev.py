"""devrev: custom schema fragments and tags

Revision ID: 0004_devrev
Revises: 0003_sonoran
Create Date: 2026-11-23 16:11:47.939624
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import incidenthub.models.base

revision: str = "0004_devrev"
down_revision: str | None = "0003_sonoran"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_schema_fragments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_custom_schema_fragments_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_schema_fragments")),
        sa.UniqueConstraint("tenant_id", "kind", "name", name=op.f("uq_custom_schema_fragments_tenant_id_kind_name")),
    )
    with op.batch_alter_table("custom_schema_fragments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custom_schema_fragments_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "devrev_tags",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("created_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_devrev_tags_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devrev_tags")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_devrev_tags_tenant_id_name")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_devrev_tags_tenant_id_number")),
    )
    with op.batch_alter_table("devrev_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devrev_tags_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devrev_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devrev_tags_tenant_id"))
    op.drop_table("devrev_tags")
    with op.batch_alter_table("custom_schema_fragments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_schema_fragments_tenant_id"))
    op.drop_table("custom_schema_fragments")
