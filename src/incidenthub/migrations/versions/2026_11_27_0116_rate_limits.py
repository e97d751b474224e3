"""rate limits: tenants.rate_limit_per_minute and rate_counters (fixed-window counts shared by every process)

Existing tenants get no limit of their own: they keep the server's default (INCIDENTHUB_RATE_LIMIT_PER_MINUTE).

`rate_counters` is where the counts live on PostgreSQL (and on an in-memory SQLite database). On a SQLite file
database it stays empty and unused: the counts are kept in a side file `<file>.limits` beside the database (a
write lock of its own, so that a request's count never waits behind an incident write), whose table is made from
the same model when a process first opens it (`incidenthub.auth.limits.counters_database`). The table is created
here on every database all the same, so that both backends have one schema.

Revision ID: 0116_rate_limits
Revises: 0115_api_key_environment
Create Date: 2026-11-27 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import incidenthub.models.base

revision: str = "0116_rate_limits"
down_revision: str | None = "0115_api_key_environment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True))
    op.create_table(
        "rate_counters",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("window_start", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_rate_counters")),
    )


def downgrade() -> None:
    op.drop_table("rate_counters")
    # Not batch mode: on SQLite it copies the table and drops the old one, and with foreign keys on, dropping
    # `tenants` deletes every row that cascades from it (every incident). SQLite >= 3.35 and PostgreSQL both
    # drop a column in place.
    op.execute("ALTER TABLE tenants DROP COLUMN rate_limit_per_minute")
