"""response_times, unit_response_times: the times response-time legs are made of, kept per incident and
per assignment; filled from the incidents and assignments already stored

Revision ID: 0113_response_times
Revises: 0112_safety_cells_latitude
Create Date: 2026-11-26 19:40:00

The fill is set-based SQL in the database (a million incidents take a minute, not an hour of Python); it
makes the rows `incidents/response_times.py` keeps at every commit, which tests/analytics/test_upkeep.py
checks against a recomputation.
"""

# The statements are built from fixed identifiers only.
# ruff: noqa: S608

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0113_response_times"
down_revision: str | None = "0112_safety_cells_latitude"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GROUPED = (
    "tenant_id",
    "began_ms",
    "number",
    "source",
    "category",
    "incident_type",
    "priority",
    "agency",
    "agency_type",
    "response_area",
    "call_position",
    "call_taker_id",
)


def _grouped_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("began_ms", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=128), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("incident_type", sa.String(length=200), nullable=True),
        sa.Column("priority", sa.String(length=64), nullable=True),
        sa.Column("agency", sa.String(length=128), nullable=True),
        sa.Column("agency_type", sa.String(length=64), nullable=True),
        sa.Column("response_area", sa.String(length=128), nullable=True),
        sa.Column("call_position", sa.String(length=128), nullable=True),
        sa.Column("call_taker_id", sa.String(length=32), nullable=True),
    ]


def _ms(column: str) -> str:
    """The column as integer epoch milliseconds (truncated); NULL stays NULL."""
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(floor(extract(epoch from {column}) * 1000) AS BIGINT)"
    # SQLAlchemy stores `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) on SQLite.
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000 + CAST(substr({column}, 21, 3) AS INTEGER))"
    )


def _fill() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    true, false = ("true", "false") if postgresql else ("1", "0")
    began = "COALESCE(i.call_received_at, i.call_picked_up_at, i.source_created_at, i.created_at)"
    names = ", ".join(name for name in _GROUPED if name != "began_ms")
    copied = ", ".join(f"i.{name}" for name in _GROUPED if name != "began_ms")
    op.execute(
        f"""INSERT INTO response_times (incident_id, began_ms, {names}, received_ms, picked_ms, hung_ms,
                                       queued_ms, first_dispatched_ms, first_arrived_ms)
SELECT incident_id, began_ms, {names}, received_ms, picked_ms, hung_ms, queued_ms,
       CASE WHEN u IS NULL THEN o WHEN o IS NULL OR u < o THEN u ELSE o END, first_arrived_ms
FROM (
  SELECT i.id AS incident_id, {_ms(began)} AS began_ms, {copied},
         {_ms("i.call_received_at")} AS received_ms, {_ms("i.call_picked_up_at")} AS picked_ms,
         {_ms("i.call_hung_up_at")} AS hung_ms, {_ms("i.dispatch_queued_at")} AS queued_ms,
         {_ms("i.dispatched_at")} AS o,
         {_ms("(SELECT MIN(a.dispatched_at) FROM assignments a WHERE a.incident_id = i.id)")} AS u,
         {_ms("(SELECT MIN(a.arrived_at) FROM assignments a WHERE a.incident_id = i.id)")} AS first_arrived_ms
  FROM incidents i WHERE i.is_drill = {false}
) t"""
    )
    op.execute(
        f"""INSERT INTO unit_response_times (assignment_id, incident_id, unit_id, {", ".join(_GROUPED)},
                                            dispatched_ms, enroute_ms, arrived_ms, cleared_ms, first_arriving)
SELECT a.id, a.incident_id, a.unit_id, {", ".join(f"r.{name}" for name in _GROUPED)},
       {_ms("a.dispatched_at")}, {_ms("a.enroute_at")}, {_ms("a.arrived_at")}, {_ms("a.cleared_at")},
       CASE WHEN a.arrived_at IS NOT NULL AND ROW_NUMBER() OVER (
              PARTITION BY a.incident_id
              ORDER BY CASE WHEN a.arrived_at IS NULL THEN 1 ELSE 0 END, a.arrived_at, a.created_at, a.id) = 1
            THEN {true} ELSE {false} END
FROM assignments a JOIN response_times r ON r.incident_id = a.incident_id"""
    )


def upgrade() -> None:
    op.create_table(
        "response_times",
        *_grouped_columns(),
        sa.Column("incident_id", sa.String(length=32), nullable=False),
        sa.Column("received_ms", sa.BigInteger(), nullable=True),
        sa.Column("picked_ms", sa.BigInteger(), nullable=True),
        sa.Column("hung_ms", sa.BigInteger(), nullable=True),
        sa.Column("queued_ms", sa.BigInteger(), nullable=True),
        sa.Column("first_dispatched_ms", sa.BigInteger(), nullable=True),
        sa.Column("first_arrived_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    with op.batch_alter_table("response_times", schema=None) as batch_op:
        batch_op.create_index("ix_response_times_tenant_began", ["tenant_id", "began_ms"], unique=False)
    op.create_table(
        "unit_response_times",
        *_grouped_columns(),
        sa.Column("assignment_id", sa.String(length=32), nullable=False),
        sa.Column("incident_id", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=True),
        sa.Column("dispatched_ms", sa.BigInteger(), nullable=True),
        sa.Column("enroute_ms", sa.BigInteger(), nullable=True),
        sa.Column("arrived_ms", sa.BigInteger(), nullable=True),
        sa.Column("cleared_ms", sa.BigInteger(), nullable=True),
        sa.Column("first_arriving", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    with op.batch_alter_table("unit_response_times", schema=None) as batch_op:
        batch_op.create_index("ix_unit_response_times_incident_id", ["incident_id"], unique=False)
        batch_op.create_index("ix_unit_response_times_tenant_began", ["tenant_id", "began_ms"], unique=False)
    _fill()


def downgrade() -> None:
    with op.batch_alter_table("unit_response_times", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_response_times_tenant_began")
        batch_op.drop_index("ix_unit_response_times_incident_id")
    op.drop_table("unit_response_times")
    with op.batch_alter_table("response_times", schema=None) as batch_op:
        batch_op.drop_index("ix_response_times_tenant_began")
    op.drop_table("response_times")
