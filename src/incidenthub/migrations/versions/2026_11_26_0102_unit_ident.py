"""units.ident_id: Sonoran's identId in an indexed column (it was only in the `extra` JSON)

Finding a unit by ident scanned every unit of the tenant and read its JSON; a Sonoran detach of 4,000
idents took 39 s and grew with the tenant's units. Existing values are copied from `extra`, which keeps them.

Revision ID: 0102_unit_ident
Revises: 0004_devrev
Create Date: 2026-11-26 01:02:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0102_unit_ident"
down_revision: str | None = "0004_devrev"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ident_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_units_tenant_id_ident_id", ["tenant_id", "ident_id"], unique=False)
    # Only whole numbers the counter could have handed out (at most 9 digits fits a 32-bit integer).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE units SET ident_id = CAST(extra ->> 'ident_id' AS INTEGER) "
            "WHERE jsonb_typeof(extra -> 'ident_id') = 'number' AND (extra ->> 'ident_id') ~ '^[0-9]{1,9}$'"
        )
    else:
        op.execute(
            "UPDATE units SET ident_id = json_extract(extra, '$.ident_id') "
            "WHERE json_type(extra, '$.ident_id') = 'integer' "
            "AND json_extract(extra, '$.ident_id') BETWEEN 1 AND 999999999"
        )


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index("ix_units_tenant_id_ident_id")
        batch_op.drop_column("ident_id")
