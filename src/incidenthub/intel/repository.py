"""SQL of the threat-intelligence answers: reads of the safety sums, points and safe places."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from incidenthub.models import SafetyCell, SafetyHour, SafetyPoint, Tenant

_CHUNK = 500


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class IntelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def tenant(self, tenant_id: str) -> tuple[str, dict[str, Any]]:
        """The tenant's timezone and settings."""
        row = self.session.execute(select(Tenant.timezone, Tenant.settings).where(Tenant.id == tenant_id)).one()
        return row[0], row[1] or {}

    def totals(self, tenant_id: str) -> tuple[float, int]:
        """The tenant's stored decayed weight over every cell, and how many resolution-7 cells have incidents."""
        row = self.session.execute(
            select(func.coalesce(func.sum(SafetyCell.decayed), 0.0), func.count(func.distinct(SafetyCell.p7))).where(
                SafetyCell.tenant_id == tenant_id
            )
        ).one()
        return float(row[0]), int(row[1])

    def cells(self, tenant_id: str, cells: Sequence[str]) -> list[Any]:
        """The sums (per category) of these resolution-9 cells."""
        found: list[Any] = []
        for chunk in _chunks(cells):
            statement = select(
                SafetyCell.cell,
                SafetyCell.category,
                SafetyCell.incidents,
                SafetyCell.critical,
                SafetyCell.weight,
                SafetyCell.decayed,
                SafetyCell.last_at,
                SafetyCell.latitude,
                SafetyCell.longitude,
            ).where(SafetyCell.tenant_id == tenant_id, SafetyCell.cell.in_(chunk))
            found.extend(self.session.execute(statement).all())
        return found

    def hours(self, tenant_id: str, cells: Sequence[str], hours_of_week: Sequence[int] | None = None) -> list[Any]:
        """(cell, hour_of_week, incidents, decayed) of these cells, in these hours of the week (all: None)."""
        found: list[Any] = []
        for chunk in _chunks(cells):
            statement = select(
                SafetyHour.cell, SafetyHour.hour_of_week, SafetyHour.incidents, SafetyHour.decayed
            ).where(SafetyHour.tenant_id == tenant_id, SafetyHour.cell.in_(chunk))
            if hours_of_week is not None:
                statement = statement.where(SafetyHour.hour_of_week.in_(list(hours_of_week)))
            found.extend(self.session.execute(statement).all())
        return found

    def weight_since(self, tenant_id: str, cells: Sequence[str], since: datetime) -> tuple[int, float]:
        """How many incidents of these cells happened since `since`, and their (undecayed) weight."""
        count, weight = 0, 0.0
        for chunk in _chunks(cells):
            row = self.session.execute(
                select(func.count(), func.coalesce(func.sum(SafetyPoint.weight), 0.0)).where(
                    SafetyPoint.tenant_id == tenant_id,
                    SafetyPoint.cell.in_(chunk),
                    SafetyPoint.occurred_at >= since,
                )
            ).one()
            count, weight = count + int(row[0]), weight + float(row[1])
        return count, weight

    def heaviest(self, tenant_id: str, cells: Sequence[str], limit: int) -> list[str]:
        """Ids of the incidents of these cells that weigh most now (heaviest decayed weight, then newest)."""
        found: list[tuple[float, datetime, str]] = []
        for chunk in _chunks(cells):
            statement = (
                select(SafetyPoint.decayed, SafetyPoint.occurred_at, SafetyPoint.incident_id)
                .where(SafetyPoint.tenant_id == tenant_id, SafetyPoint.cell.in_(chunk))
                .order_by(SafetyPoint.decayed.desc(), SafetyPoint.occurred_at.desc())
                .limit(limit)
            )
            found.extend((row[0], row[1], row[2]) for row in self.session.execute(statement))
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [incident_id for _, _, incident_id in found[:limit]]

    # --- route safety and danger analytics ---------------------------------------------------------------

    def weight_since_by_cell(self, tenant_id: str, cells: Sequence[str], since: datetime) -> dict[str, float]:
        """The (undecayed) weight of each of these cells' incidents since `since` (cells without any: absent)."""
        found: dict[str, float] = {}
        for chunk in _chunks(cells):
            statement = (
                select(SafetyPoint.cell, func.sum(SafetyPoint.weight))
                .where(
                    SafetyPoint.tenant_id == tenant_id,
                    SafetyPoint.cell.in_(chunk),
                    SafetyPoint.occurred_at >= since,
                )
                .group_by(SafetyPoint.cell)
            )
            found.update({row[0]: float(row[1]) for row in self.session.execute(statement)})
        return found

    def hours_from(self, tenant_id: str, cells: Sequence[str], first: int, last: int) -> list[Any]:
        """(cell, hour_of_week, incidents, decayed) of these cells in the hours of the week from `first` to
        `last` (wrapping past Sunday 23h when last < first): one range of the primary key per cell."""
        found: list[Any] = []
        hours: ColumnElement[bool]
        if first <= last:
            hours = SafetyHour.hour_of_week.between(first, last)
        else:
            hours = or_(SafetyHour.hour_of_week >= first, SafetyHour.hour_of_week <= last)
        for chunk in _chunks(cells):
            statement = select(
                SafetyHour.cell, SafetyHour.hour_of_week, SafetyHour.incidents, SafetyHour.decayed
            ).where(SafetyHour.tenant_id == tenant_id, SafetyHour.cell.in_(chunk), hours)
            found.extend(self.session.execute(statement).all())
        return found

    def points(self, tenant_id: str, cells: Sequence[str], since: datetime, until: datetime) -> list[Any]:
        """The counted incidents of these cells that happened in [since, until), with what they weigh."""
        found: list[Any] = []
        for chunk in _chunks(cells):
            statement = select(
                SafetyPoint.incident_id,
                SafetyPoint.latitude,
                SafetyPoint.longitude,
                SafetyPoint.category,
                SafetyPoint.severity,
                SafetyPoint.decayed,
                SafetyPoint.occurred_at,
                SafetyPoint.hour_of_week,
            ).where(
                SafetyPoint.tenant_id == tenant_id,
                SafetyPoint.cell.in_(chunk),
                SafetyPoint.occurred_at >= since,
                SafetyPoint.occurred_at < until,
            )
            found.extend(self.session.execute(statement).all())
        return found

    def count_between(self, tenant_id: str, since: datetime, until: datetime) -> int:
        """How many of the tenant's counted incidents happened in [since, until)."""
        statement = select(func.count()).where(
            SafetyPoint.tenant_id == tenant_id, SafetyPoint.occurred_at >= since, SafetyPoint.occurred_at < until
        )
        return int(self.session.execute(statement).scalar_one())

    def heaviest_since(
        self, tenant_id: str, cells: Sequence[str], since: datetime | None, limit: int
    ) -> list[tuple[float, datetime, str]]:
        """(decayed, occurred_at, id) of the heaviest incidents of these cells since `since` (all: None),
        heaviest then newest first; seeks (tenant, cell, occurred_at) instead of reading every incident."""
        found: list[tuple[float, datetime, str]] = []
        for chunk in _chunks(cells):
            statement = select(SafetyPoint.decayed, SafetyPoint.occurred_at, SafetyPoint.incident_id).where(
                SafetyPoint.tenant_id == tenant_id, SafetyPoint.cell.in_(chunk)
            )
            if since is not None:
                statement = statement.where(SafetyPoint.occurred_at >= since)
            statement = statement.order_by(SafetyPoint.decayed.desc(), SafetyPoint.occurred_at.desc()).limit(limit)
            found.extend((row[0], row[1], row[2]) for row in self.session.execute(statement))
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return found[:limit]
