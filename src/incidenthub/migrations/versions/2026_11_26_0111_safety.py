"""safety: each counted incident on the H3 grid, the per-cell and per-hour aggregates, safe places

Revision ID: 0111_safety
Revises: 0106_webhooks
Create Date: 2026-11-26 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import incidenthub.models.base

revision: str = "0111_safety"
down_revision: str | None = "0106_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safe_places",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column(
            "opening_hours",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column(
            "metadata",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("created_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_safe_places_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safe_places")),
    )
    with op.batch_alter_table("safe_places", schema=None) as batch_op:
        batch_op.create_index("ix_safe_places_tenant_created", ["tenant_id", "created_at"], unique=False)

    op.create_table(
        "safety_cells",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("cell", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("p5", sa.String(length=16), nullable=False),
        sa.Column("p6", sa.String(length=16), nullable=False),
        sa.Column("p7", sa.String(length=16), nullable=False),
        sa.Column("p8", sa.String(length=16), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("critical", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("decayed", sa.Float(), nullable=False),
        sa.Column("last_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_safety_cells_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "cell", "category", name=op.f("pk_safety_cells")),
    )
    op.create_table(
        "safety_hours",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("cell", sa.String(length=16), nullable=False),
        sa.Column("hour_of_week", sa.Integer(), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("decayed", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_safety_hours_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "cell", "hour_of_week", name=op.f("pk_safety_hours")),
    )
    op.create_table(
        "safety_regions",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("region", sa.String(length=16), nullable=False),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("decayed", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_safety_regions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "region", name=op.f("pk_safety_regions")),
    )
    op.create_table(
        "safety_points",
        sa.Column("incident_id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("cell", sa.String(length=16), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("decayed", sa.Float(), nullable=False),
        sa.Column("occurred_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hour_of_week", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_safety_points_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_safety_points_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_safety_points")),
    )
    with op.batch_alter_table("safety_points", schema=None) as batch_op:
        batch_op.create_index("ix_safety_points_tenant_cell", ["tenant_id", "cell", "occurred_at"], unique=False)
        batch_op.create_index("ix_safety_points_tenant_occurred", ["tenant_id", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safety_points", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_points_tenant_occurred")
        batch_op.drop_index("ix_safety_points_tenant_cell")

    op.drop_table("safety_points")
    op.drop_table("safety_regions")
    op.drop_table("safety_hours")
    op.drop_table("safety_cells")
    with op.batch_alter_table("safe_places", schema=None) as batch_op:
        batch_op.drop_index("ix_safe_places_tenant_created")

    op.drop_table("safe_places")
