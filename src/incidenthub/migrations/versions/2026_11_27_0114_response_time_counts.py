"""response_time_counts, response_time_months, response_time_counted: the legs counted per tenant's local month,
the months to count again, what each tenant's counts keep; every tenant with response-time rows is marked whole;
an index on (tenant, value) per leg of the response-time rows

Revision ID: 0114_response_time_counts
Revises: 0113_response_times
Create Date: 2026-11-27 00:00:00

No counts are made here: the mark (month -1) makes `incidenthub serve` or `incidenthub worker` count them
(`analytics/month_counts.py`); until then the answers read the rows, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0114_response_time_counts"
down_revision: str | None = "0113_response_times"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Each leg's value as the answers compute it (models/analytics.py), frozen here.
_VALUES = {
    "response_times": {
        "call_answer": "picked_ms - received_ms",
        "call_processing": "first_dispatched_ms - picked_ms",
        "queue": "first_dispatched_ms - queued_ms",
        "total": "first_arrived_ms - received_ms",
        "call_duration": "hung_ms - picked_ms",
    },
    "unit_response_times": {
        "turnout": "enroute_ms - dispatched_ms",
        "travel": "arrived_ms - enroute_ms",
        "response": "arrived_ms - dispatched_ms",
        "on_scene": "cleared_ms - arrived_ms",
    },
}


def upgrade() -> None:
    for table, values in _VALUES.items():
        for leg, value in values.items():
            op.create_index(f"ix_{table}_{leg}", table, ["tenant_id", sa.text(f"({value})")], unique=False)
    op.create_table(
        "response_time_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("g", sa.String(length=200), nullable=True),
        sa.Column("leg", sa.String(length=32), nullable=False),
        sa.Column("v", sa.BigInteger(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("agency_type", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.String(length=64), nullable=True),
        sa.Column("first_arriving", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("response_time_counts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_response_time_counts_answer",
            [
                "tenant_id",
                "kind",
                "leg",
                "g",
                "v",
                "category",
                "agency_type",
                "priority",
                "first_arriving",
                "month",
                "n",
            ],
            unique=False,
        )
    op.create_table(
        "response_time_months",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mark", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "month"),
    )
    op.create_table(
        "response_time_counted",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("attributes", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.execute(
        "INSERT INTO response_time_months (tenant_id, month, mark) "
        "SELECT DISTINCT tenant_id, -1, 'migration-0114' FROM response_times"
    )


def downgrade() -> None:
    for table, values in _VALUES.items():
        for leg in values:
            op.drop_index(f"ix_{table}_{leg}", table_name=table)
    op.drop_table("response_time_counted")
    op.drop_table("response_time_months")
    with op.batch_alter_table("response_time_counts", schema=None) as batch_op:
        batch_op.drop_index("ix_response_time_counts_answer")
    op.drop_table("response_time_counts")
