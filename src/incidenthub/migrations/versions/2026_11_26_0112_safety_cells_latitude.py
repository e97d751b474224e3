"""safety_cells: an index on (tenant_id, latitude) for the heat map's and danger zones' bounding boxes

Revision ID: 0112_safety_cells_latitude
Revises: 0111_safety
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0112_safety_cells_latitude"
down_revision: str | None = "0111_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("safety_cells", schema=None) as batch_op:
        batch_op.create_index("ix_safety_cells_tenant_latitude", ["tenant_id", "latitude"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safety_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_cells_tenant_latitude")
