"""tenant counters

Revision ID: 84d4034fcdfe
Revises: 23af51747912
Create Date: 2026-11-23 16:05:38.039072
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "84d4034fcdfe"
down_revision: str | None = "23af51747912"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant_counters",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_tenant_counters_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "name", name=op.f("pk_tenant_counters")),
    )


def downgrade() -> None:
    op.drop_table("tenant_counters")
