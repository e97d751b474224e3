"""SQL of Sety's IncidentAnalytics: counts, SLA leg figures and breaches of a period, computed in the database.

The legs are those of `incidents/sla.py`, in SQL: every instant is counted to the millisecond (PostgreSQL
`date_trunc`; SQLite's stored text `YYYY-MM-DD HH:MM:SS.ffffff` read as whole seconds plus `.fff`), so a leg
here is the leg an incident read shows. The 90th percentile is nearest-rank (`analytics.standards.nearest_rank`):
`percentile_disc(0.9)` on PostgreSQL, the row at rank ceil(0.9 n) by a window function on SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from incidenthub.incidents.sla import SLA_LEGS, Targets
from incidenthub.models import Assignment, Incident


@dataclass(frozen=True)
class LegRow:
    count: int
    mean: float | None
    p90: float | None


@dataclass(frozen=True)
class Figures:
    total: int
    groups: list[tuple[str, str | None, str | None, str, int]]  # status, category, severity, source, count
    legs: dict[str, LegRow]
    breaches: dict[str, int]
    breached_incidents: int


class SetyAnalyticsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"

    def _epoch(self, value: Any) -> ColumnElement[Any]:
        """Seconds since 1970 of a stored instant, to the millisecond."""
        if self.postgres:
            return func.extract("epoch", func.date_trunc("milliseconds", value))
        return cast(func.strftime("%s", value), Integer) + cast(func.substr(value, 20, 4), Float)

    def _in_period(self, tenant_id: str, start: datetime, end: datetime) -> ColumnElement[bool]:
        return and_(Incident.tenant_id == tenant_id, Incident.created_at >= start, Incident.created_at <= end)

    def groups(
        self, tenant_id: str, start: datetime, end: datetime
    ) -> list[tuple[str, str | None, str | None, str, int]]:
        """The period's incidents counted by (status, category, severity, source): one pass over them."""
        statement = (
            select(Incident.status, Incident.category, Incident.severity, Incident.source, func.count())
            .where(self._in_period(tenant_id, start, end))
            .group_by(Incident.status, Incident.category, Incident.severity, Incident.source)
        )
        return [(r[0], r[1], r[2], r[3], int(r[4])) for r in self.session.execute(statement)]

    def _legs(self, tenant_id: str, start: datetime, end: datetime, targets: Targets, now: float) -> Subquery:
        """One row per incident of the period: each leg's seconds (null when not reached or negative) and
        whether it is breached at `now` (seconds since 1970)."""
        first = (
            select(
                Assignment.incident_id,
                func.min(Assignment.dispatched_at).label("dispatched_at"),
                func.min(Assignment.arrived_at).label("arrived_at"),
            )
            .join(Incident, Incident.id == Assignment.incident_id)
            .where(self._in_period(tenant_id, start, end), Assignment.tenant_id == tenant_id)
            .group_by(Assignment.incident_id)
            .subquery()
        )
        own, theirs = Incident.dispatched_at, first.c.dispatched_at
        dispatched = case(
            (own.is_(None), theirs), (theirs.is_(None), own), (own <= theirs, own), else_=theirs
        )  # the earliest of the two, either may be missing
        ends = {"assign": dispatched, "arrive": first.c.arrived_at, "resolve": Incident.resolved_at}
        began = self._epoch(func.coalesce(Incident.call_received_at, Incident.source_created_at, Incident.created_at))
        closed = self._epoch(func.coalesce(Incident.resolved_at, Incident.cancelled_at))
        columns: list[Any] = []
        for leg in SLA_LEGS:
            seconds = self._epoch(ends[leg]) - began
            columns.append(case((seconds >= 0, seconds), else_=None).label(f"{leg}_s"))
            until = func.coalesce(self._epoch(ends[leg]), closed, literal(now, Float)) - began
            target = self._target(leg, targets)
            columns.append(case((until > target, 1), else_=0).label(f"{leg}_breached"))
        return (
            select(*columns)
            .select_from(Incident)
            .outerjoin(first, first.c.incident_id == Incident.id)
            .where(self._in_period(tenant_id, start, end))
            .subquery()
        )

    @staticmethod
    def _target(leg: str, targets: Targets) -> Any:
        """The leg's target for the incident's severity (null: no target, never breached)."""
        chosen: Mapping[str, Mapping[str, float | None]] = targets.by_severity
        _, fallback = targets.of(None)
        whens = [(Incident.severity == severity, literal(legs.get(leg), Float)) for severity, legs in chosen.items()]
        return case(*whens, else_=literal(fallback.get(leg), Float))

    def figures(self, tenant_id: str, start: datetime, end: datetime, targets: Targets, now: float) -> Figures:
        """Counts by group, each leg's count, mean and p90, and the breaches, for the period."""
        legs = self._legs(tenant_id, start, end, targets, now)
        columns: list[Any] = [func.count()]
        for leg in SLA_LEGS:
            value = legs.c[f"{leg}_s"]
            columns += [func.count(value), func.avg(value), func.coalesce(func.sum(legs.c[f"{leg}_breached"]), 0)]
            if self.postgres:
                columns.append(func.percentile_disc(0.9).within_group(value))
        any_breach = case(*[(legs.c[f"{leg}_breached"] == 1, 1) for leg in SLA_LEGS], else_=0)
        columns.append(func.coalesce(func.sum(any_breach), 0))
        row = self.session.execute(select(*columns)).one()
        width = 4 if self.postgres else 3
        rows: dict[str, LegRow] = {}
        breaches: dict[str, int] = {}
        for index, leg in enumerate(SLA_LEGS):
            count, mean, breached = row[1 + index * width : 4 + index * width]
            p90 = row[4 + index * width] if self.postgres else self._p90(legs, f"{leg}_s")
            rows[leg] = LegRow(int(count), _number(mean), _number(p90))
            breaches[leg] = int(breached)
        return Figures(int(row[0]), self.groups(tenant_id, start, end), rows, breaches, int(row[-1]))

    def _p90(self, legs: Subquery, name: str) -> Any:
        """SQLite: the nearest-rank 90th percentile, the value at rank ceil(0.9 n) (integers only)."""
        value = legs.c[name]
        ranked = (
            select(
                value.label("v"),
                func.row_number().over(order_by=value).label("rn"),
                func.count().over().label("n"),
            )
            .where(value.is_not(None))
            .subquery()
        )
        rank, n = ranked.c.rn, ranked.c.n
        # rank = ceil(90 n / 100): the one rank with 100 rank >= 90 n > 100 (rank - 1).
        statement = select(ranked.c.v).where(rank * 100 >= n * 90, (rank - 1) * 100 < n * 90)
        return self.session.execute(statement).scalar_one_or_none()


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)
