"""recording indexes: incidents by call position and the time their call began

Recording matching looks up the incidents at one call position whose call began within a few hours
of a recording. The old index on (tenant_id, call_position) made that a scan of every incident ever
taken at the position; this one ends in the expression the matcher filters and ranks on, so the
lookup reads only the calls near the recording. It also serves every lookup the old one did (same
leading columns), so the old one is dropped rather than kept up to date on every write.

Revision ID: 0101_recording_indexes
Revises: 0006_deleted_incidents
Create Date: 2026-11-26 01:01:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101_recording_indexes"
down_revision: str | None = "0006_deleted_incidents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CALL_BEGUN = "coalesce(call_received_at, call_picked_up_at)"


def upgrade() -> None:
    op.create_index(
        "ix_incidents_tenant_position_call_begun",
        "incidents",
        ["tenant_id", "call_position", sa.text(_CALL_BEGUN)],
        unique=False,
    )
    op.drop_index("ix_incidents_tenant_position", table_name="incidents")


def downgrade() -> None:
    op.create_index("ix_incidents_tenant_position", "incidents", ["tenant_id", "call_position"], unique=False)
    op.drop_index("ix_incidents_tenant_position_call_begun", table_name="incidents")
