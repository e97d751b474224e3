"""recordings

Revision ID: 0003_recordings
Revises: 84d4034fcdfe
Create Date: 2026-11-23 16:10:59.050878
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import incidenthub.models.base

revision: str = "0003_recordings"
down_revision: str | None = "84d4034fcdfe"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.String(length=128), nullable=False),
        sa.Column("started_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorder_ref", sa.String(length=1000), nullable=False),
        sa.Column("caller_number", sa.String(length=64), nullable=True),
        sa.Column("incident_id", sa.String(length=32), nullable=True),
        sa.Column("match_status", sa.String(length=16), nullable=False),
        sa.Column("overlap_seconds", sa.Float(), nullable=True),
        sa.Column(
            "candidates", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("matched_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_recordings_incident_id_incidents"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_recordings_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
    )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recordings_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(
            "ix_recordings_tenant_position_started", ["tenant_id", "position", "started_at"], unique=False
        )

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_tenant_position", ["tenant_id", "call_position"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_tenant_position")

    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.drop_index("ix_recordings_tenant_position_started")
        batch_op.drop_index(batch_op.f("ix_recordings_incident_id"))

    op.drop_table("recordings")
