"""sonoran: the call index of the Sonoran CAD door

Revision ID: 0003_sonoran
Revises: 0003_recordings
Create Date: 2026-11-23 16:10:39.894824
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import incidenthub.models.base

revision: str = "0003_sonoran"
down_revision: str | None = "0003_recordings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sonoran_calls",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("call_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("incident_id", sa.String(length=32), nullable=False),
        sa.Column("server_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("closed_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_sonoran_calls_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_sonoran_calls_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "call_id", name=op.f("pk_sonoran_calls")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_sonoran_calls_incident_id")),
    )
    with op.batch_alter_table("sonoran_calls", schema=None) as batch_op:
        batch_op.create_index("ix_sonoran_calls_board", ["tenant_id", "server_id", "kind", "closed"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sonoran_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_sonoran_calls_board")

    op.drop_table("sonoran_calls")
