"""deleted incidents; responders reported by a CAD get a status and a primary like any other

A deletion stays on record after the incident and its timeline are gone. Responders a CAD upload wrote
before the one set of assignment rules had no status and no primary unit: both are filled in from
their times, as the rules now do on every write.

Revision ID: 0006_deleted_incidents
Revises: 0004_devrev
Create Date: 2026-11-26 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import incidenthub.models.base

revision: str = "0006_deleted_incidents"
down_revision: str | None = "0004_devrev"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deleted_incidents",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted_at", incidenthub.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("snapshot", incidenthub.models.base.JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_deleted_incidents_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_deleted_incidents")),
    )
    op.create_index(
        "ix_deleted_incidents_tenant_incident", "deleted_incidents", ["tenant_id", "incident_id"], unique=False
    )

    op.execute(
        """
        UPDATE assignments SET status = CASE
            WHEN cleared_at IS NOT NULL THEN 'cleared'
            WHEN arrived_at IS NOT NULL THEN 'on_scene'
            WHEN enroute_at IS NOT NULL THEN 'enroute'
            ELSE 'dispatched' END
        WHERE status IS NULL
        """
    )
    # The first unit dispatched to a CAD-reported incident without a primary becomes its primary (native and
    # Sonoran incidents keep theirs as their own rules left them: a primary cleared on purpose stays cleared).
    op.execute(
        """
        UPDATE assignments SET is_primary = true WHERE id IN (
            SELECT (
                SELECT first.id FROM assignments AS first
                WHERE first.incident_id = held.incident_id AND first.unit_id IS NOT NULL
                ORDER BY first.dispatched_at IS NULL, first.dispatched_at, first.created_at, first.id
                LIMIT 1
            )
            FROM (
                SELECT DISTINCT incident_id FROM assignments
                WHERE incident_id IN (SELECT id FROM incidents WHERE source = 'govworx')
            ) AS held
            WHERE NOT EXISTS (
                SELECT 1 FROM assignments AS other WHERE other.incident_id = held.incident_id AND other.is_primary
            )
        )
        """
    )


def downgrade() -> None:
    op.drop_index("ix_deleted_incidents_tenant_incident", table_name="deleted_incidents")
    op.drop_table("deleted_incidents")
