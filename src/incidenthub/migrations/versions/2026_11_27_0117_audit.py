"""audit_entries: who wrote what, when, through which door and from which address

Revision ID: 0117_audit
Revises: 0116_rate_limits
Create Date: 2026-11-27 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from incidenthub.models.base import UTCDateTime

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0117_audit"
down_revision: str | None = "0116_rate_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("write_id", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("key_name", sa.String(length=200), nullable=True),
        sa.Column("door", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("incident_id", sa.String(length=32), nullable=True),
        sa.Column("record_id", sa.String(length=256), nullable=True),
        sa.Column("events", _JSON, nullable=False),
        sa.Column("fields", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_tenant_seq", "audit_entries", ["tenant_id", "seq"])
    op.create_index("ix_audit_entries_tenant_incident", "audit_entries", ["tenant_id", "incident_id"])
    op.create_index("ix_audit_entries_tenant_key", "audit_entries", ["tenant_id", "key_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_tenant_key", table_name="audit_entries")
    op.drop_index("ix_audit_entries_tenant_incident", table_name="audit_entries")
    op.drop_index("ix_audit_entries_tenant_seq", table_name="audit_entries")
    op.drop_table("audit_entries")
