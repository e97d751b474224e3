"""access control (Sety): sites, access codes, the access log and the code-guessing throttle

Sites with named gates and an IANA timezone; access codes (a short typed code and a QR token, unique per
tenant) with their use count; the access log of check-ins, checkouts and denied attempts; and the unknown
codes each key presented at each site, which the throttle counts per minute.

Revision ID: 0110_access
Revises: 0105_outbox
Create Date: 2026-11-26 08:50:45.326810
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import incidenthub.models.base

revision: str = "0110_access"
down_revision: str | None = "0105_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_sites",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "gates",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("created_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_access_sites_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_sites")),
    )
    with op.batch_alter_table("access_sites", schema=None) as batch_op:
        batch_op.create_index("ix_access_sites_tenant_created", ["tenant_id", "created_at"], unique=False)

    op.create_table(
        "access_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("visitor_name", sa.String(length=200), nullable=False),
        sa.Column("visitor_phone", sa.String(length=64), nullable=True),
        sa.Column("visitor_email", sa.String(length=320), nullable=True),
        sa.Column("visitor_reference", sa.String(length=200), nullable=True),
        sa.Column("host_name", sa.String(length=200), nullable=True),
        sa.Column("host_unit", sa.String(length=200), nullable=True),
        sa.Column("host_phone", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("valid_from", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column(
            "gates",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "metadata",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("revoked_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["access_sites.id"], name=op.f("fk_access_codes_site_id_access_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_access_codes_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_codes")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_access_codes_tenant_id_code")),
        sa.UniqueConstraint("tenant_id", "token", name=op.f("uq_access_codes_tenant_id_token")),
    )
    with op.batch_alter_table("access_codes", schema=None) as batch_op:
        batch_op.create_index("ix_access_codes_tenant_created", ["tenant_id", "created_at"], unique=False)
        batch_op.create_index("ix_access_codes_tenant_site", ["tenant_id", "site_id"], unique=False)

    op.create_table(
        "access_guesses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["access_sites.id"], name=op.f("fk_access_guesses_site_id_access_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_guesses")),
    )
    with op.batch_alter_table("access_guesses", schema=None) as batch_op:
        batch_op.create_index("ix_access_guesses_site_key_at", ["site_id", "key_id", "at"], unique=False)

    op.create_table(
        "access_logs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("site_id", sa.String(length=32), nullable=False),
        sa.Column("access_code_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("denial_reason", sa.String(length=32), nullable=True),
        sa.Column("presented_code", sa.String(length=16), nullable=True),
        sa.Column("gate", sa.String(length=64), nullable=True),
        sa.Column("visitor_name", sa.String(length=200), nullable=True),
        sa.Column("visitor_phone", sa.String(length=64), nullable=True),
        sa.Column("visitor_email", sa.String(length=320), nullable=True),
        sa.Column("visitor_reference", sa.String(length=200), nullable=True),
        sa.Column("host_name", sa.String(length=200), nullable=True),
        sa.Column("host_unit", sa.String(length=200), nullable=True),
        sa.Column("host_phone", sa.String(length=64), nullable=True),
        sa.Column("purpose", sa.String(length=500), nullable=True),
        sa.Column("vehicle_plate", sa.String(length=32), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("occurred_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checkout_notes", sa.String(length=2000), nullable=True),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_code_id"],
            ["access_codes.id"],
            name=op.f("fk_access_logs_access_code_id_access_codes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["access_sites.id"], name=op.f("fk_access_logs_site_id_access_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_access_logs_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_logs")),
    )
    with op.batch_alter_table("access_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_logs_access_code_id"), ["access_code_id"], unique=False)
        batch_op.create_index("ix_access_logs_site_occurred", ["site_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_access_logs_site_status", ["site_id", "status"], unique=False)
        batch_op.create_index("ix_access_logs_tenant_occurred", ["tenant_id", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_access_logs_tenant_occurred")
        batch_op.drop_index("ix_access_logs_site_status")
        batch_op.drop_index("ix_access_logs_site_occurred")
        batch_op.drop_index(batch_op.f("ix_access_logs_access_code_id"))

    op.drop_table("access_logs")
    with op.batch_alter_table("access_guesses", schema=None) as batch_op:
        batch_op.drop_index("ix_access_guesses_site_key_at")

    op.drop_table("access_guesses")
    with op.batch_alter_table("access_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_access_codes_tenant_site")
        batch_op.drop_index("ix_access_codes_tenant_created")

    op.drop_table("access_codes")
    with op.batch_alter_table("access_sites", schema=None) as batch_op:
        batch_op.drop_index("ix_access_sites_tenant_created")

    op.drop_table("access_sites")
