"""api_keys.environment: `live` or `test` for keys made with an environment prefix (`ih_live_...`, `ih_test_...`)

Keys made before (`ih_<lookup>_<secret>`) keep NULL and keep working as they are.

Revision ID: 0115_api_key_environment
Revises: 0114_response_time_counts
Create Date: 2026-11-27 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0115_api_key_environment"
down_revision: str | None = "0114_response_time_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("environment", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("environment")
