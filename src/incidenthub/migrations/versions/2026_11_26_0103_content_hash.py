"""content hash: the digest of the last whole-incident command a source sent

An identical repeat (the same GovWorx upload again) is answered from this digest without loading the
incident. Existing incidents start without one: their next repeat is compared in full once, then
keeps its digest.

Revision ID: 0103_content_hash
Revises: 0101_recording_indexes
Create Date: 2026-11-26 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0103_content_hash"
down_revision: str | None = "0101_recording_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("content_hash")
