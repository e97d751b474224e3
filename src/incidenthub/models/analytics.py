"""Response-time analytics: the stored times each incident's and each assignment's legs are made of.

`response_times` holds one row per incident that is not a drill, `unit_response_times` one per assignment
of such an incident: the times the legs of `analytics/intervals.py` are made of, as integer epoch
milliseconds (truncated, as every answer shows times), and what the answers group and select on (copied
from the incident: agency, call taker, priority, ...). They are kept in the transaction that changes the
incident (`incidents/response_times.py`), so they never disagree with it, and they are narrow, so an answer
over a year reads them instead of the incidents' wide rows and computes no dates.

`began_ms` is when the call began (the first stored of call received, picked up, created in the source,
created here): the instant a period selects on.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.models.base import Base, SeqType

# Each leg's value, as the answers compute it (`analytics/legs.py`): an index on (tenant, value) per leg lets the
# legs that missed a standard be read longest first, a page at a time (`FiguresRepository.missed`).
INCIDENT_LEG_VALUES = {
    "call_answer": "picked_ms - received_ms",
    "call_processing": "first_dispatched_ms - picked_ms",
    "queue": "first_dispatched_ms - queued_ms",
    "total": "first_arrived_ms - received_ms",
    "call_duration": "hung_ms - picked_ms",
}
UNIT_LEG_VALUES = {
    "turnout": "enroute_ms - dispatched_ms",
    "travel": "arrived_ms - enroute_ms",
    "response": "arrived_ms - dispatched_ms",
    "on_scene": "cleared_ms - arrived_ms",
}


def _value_indexes(table: str, values: dict[str, str]) -> tuple[Index, ...]:
    return tuple(Index(f"ix_{table}_{leg}", "tenant_id", text(f"({value})")) for leg, value in values.items())


class _Grouped:
    """What the answers group and select on, copied from the incident."""

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    began_ms: Mapped[int] = mapped_column(BigInteger)
    number: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(64))
    incident_type: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str | None] = mapped_column(String(64))
    agency: Mapped[str | None] = mapped_column(String(128))
    agency_type: Mapped[str | None] = mapped_column(String(64))
    response_area: Mapped[str | None] = mapped_column(String(128))
    call_position: Mapped[str | None] = mapped_column(String(128))
    call_taker_id: Mapped[str | None] = mapped_column(String(32))  # personnel.id; its name is read with the answer


class ResponseTimes(_Grouped, Base):
    """One incident's call and dispatch times (epoch ms; None when not stored)."""

    __tablename__ = "response_times"
    __table_args__ = (
        Index("ix_response_times_tenant_began", "tenant_id", "began_ms"),
        *_value_indexes("response_times", INCIDENT_LEG_VALUES),
    )

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    received_ms: Mapped[int | None] = mapped_column(BigInteger)
    picked_ms: Mapped[int | None] = mapped_column(BigInteger)
    hung_ms: Mapped[int | None] = mapped_column(BigInteger)
    queued_ms: Mapped[int | None] = mapped_column(BigInteger)
    # The earliest of the incident's own dispatch time and its assignments'; the earliest assignment arrival.
    first_dispatched_ms: Mapped[int | None] = mapped_column(BigInteger)
    first_arrived_ms: Mapped[int | None] = mapped_column(BigInteger)


class UnitResponseTimes(_Grouped, Base):
    """One assignment's milestones (epoch ms; None when not stored) and whether it arrived first."""

    __tablename__ = "unit_response_times"
    __table_args__ = (
        Index("ix_unit_response_times_tenant_began", "tenant_id", "began_ms"),
        *_value_indexes("unit_response_times", UNIT_LEG_VALUES),
    )

    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str | None] = mapped_column(String(32))  # units.id; its call sign is read with the answer
    dispatched_ms: Mapped[int | None] = mapped_column(BigInteger)
    enroute_ms: Mapped[int | None] = mapped_column(BigInteger)
    arrived_ms: Mapped[int | None] = mapped_column(BigInteger)
    cleared_ms: Mapped[int | None] = mapped_column(BigInteger)
    # The first unit to arrive on the incident (earliest arrival; ties: the assignment made first).
    first_arriving: Mapped[bool] = mapped_column(Boolean, default=False)


class ResponseTimeCount(Base):
    """How many legs of one value a tenant's calls of one local month have, per kind of group and group, and per
    what the tenant's standards select on (`analytics/month_counts.py` counts them from the rows above, outside
    the write). A period's whole months are answered by summing these instead of grouping every leg row."""

    __tablename__ = "response_time_counts"
    __table_args__ = (
        # Every column an answer reads, in the order it sums the months (`month_counts.count_selects`), the month
        # after them: SQLite reads the index alone and groups as it reads.
        Index(
            "ix_response_time_counts_answer",
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
        ),
    )

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    month: Mapped[int] = mapped_column(Integer)  # local month of the call's start: year * 12 + month - 1
    kind: Mapped[str] = mapped_column(String(32))  # "none" or a group_by
    g: Mapped[str | None] = mapped_column(String(200))  # the group (call taker and unit: their ids)
    leg: Mapped[str] = mapped_column(String(32))
    v: Mapped[int | None] = mapped_column(BigInteger)  # the leg in ms (negative: clock skew; None: missing)
    # Lower-cased, as standards select on them; None unless one of the tenant's standards selects on it.
    category: Mapped[str | None] = mapped_column(String(64))
    agency_type: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str | None] = mapped_column(String(64))
    first_arriving: Mapped[int] = mapped_column(Integer)  # 1 for incident legs and the first arriving unit
    n: Mapped[int] = mapped_column(BigInteger)


class ResponseTimeMonth(Base):
    """A tenant's local month whose rows changed since it was last counted (month -1: every month, after the
    tenant's zone or standards changed). `mark` is new at every change, so a count that read the month before
    the latest change leaves the mark for the next round."""

    __tablename__ = "response_time_months"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    mark: Mapped[str] = mapped_column(String(32))


class ResponseTimeCounted(Base):
    """What a tenant's counts were made with: the standards' attributes kept (e.g. "category"), so an answer
    whose standards select on another reads the rows instead."""

    __tablename__ = "response_time_counted"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    attributes: Mapped[str] = mapped_column(String(64))
