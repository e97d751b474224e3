"""link index: links found by the incident they point at (source and external id)

Every read of an incident looks up the links that name it from the other side; without this index
that lookup scanned every link of the database.

Revision ID: 0104_link_index
Revises: 0102_unit_ident
Create Date: 2026-11-26 04:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0104_link_index"
down_revision: str | None = "0102_unit_ident"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_incident_links_tenant_related",
        "incident_links",
        ["tenant_id", "related_source", "related_external_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_incident_links_tenant_related", table_name="incident_links")
