"""safety read indexes: points by tenant, cell and time; cells by tenant, res-7 parent and weight

`ix_safety_points_tenant_cell` becomes (tenant_id, cell, occurred_at) (same writes, one more key column):
"this cell's incidents since t" (the last 7 days, the heaviest recent ones, a period) seeks instead of
reading every incident of the cell. `ix_safety_cells_tenant_p7` (tenant_id, p7, decayed) answers the
tenant's total weight and area (the reference density) from the index alone.

Revision ID: 0112_safety_read_indexes
Revises: 0111_safety
Create Date: 2026-11-26 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0112_safety_read_indexes"
down_revision: str | None = "0111_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("safety_points", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_points_tenant_cell")
        batch_op.create_index(
            "ix_safety_points_tenant_cell_occurred", ["tenant_id", "cell", "occurred_at"], unique=False
        )
    with op.batch_alter_table("safety_cells", schema=None) as batch_op:
        batch_op.create_index("ix_safety_cells_tenant_p7", ["tenant_id", "p7", "decayed"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("safety_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_cells_tenant_p7")
    with op.batch_alter_table("safety_points", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_points_tenant_cell_occurred")
        batch_op.create_index("ix_safety_points_tenant_cell", ["tenant_id", "cell"], unique=False)
