"""SQL of the threat-intelligence answers: reads of the safety sums, points and safe places."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from incidenthub.incidents.schemas import CATEGORIES
from incidenthub.intel.bbox import Box
from incidenthub.models import SafePlace, SafetyCell, SafetyHour, SafetyPoint, SafetyRegion, Tenant
from incidenthub.models.base import unindexed
from incidenthub.rows import chunks

SEEK_CELLS = 4000  # a box of at most this many resolution-9 cells is read cell by cell


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
            select(func.coalesce(func.sum(SafetyRegion.decayed), 0.0), func.count()).where(
                SafetyRegion.tenant_id == tenant_id
            )
        ).one()
        return float(row[0]), int(row[1])

    def cells(self, tenant_id: str, cells: Sequence[str]) -> list[Any]:
        """The sums (per category) of these resolution-9 cells."""
        found: list[Any] = []
        for chunk in chunks(cells):
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

    def hours(self, tenant_id: str, cells: Sequence[str]) -> list[Any]:
        """(cell, hour_of_week, incidents, decayed) of these cells in every hour of the week (a range of hours:
        `hours_from`)."""
        found: list[Any] = []
        for chunk in chunks(cells):
            statement = select(
                SafetyHour.cell, SafetyHour.hour_of_week, SafetyHour.incidents, SafetyHour.decayed
            ).where(SafetyHour.tenant_id == tenant_id, SafetyHour.cell.in_(chunk))
            found.extend(self.session.execute(statement).all())
        return found

    def weight_since(self, tenant_id: str, cells: Sequence[str], since: datetime) -> tuple[int, float]:
        """How many incidents of these cells happened since `since`, and their (undecayed) weight."""
        count, weight = 0, 0.0
        for chunk in chunks(cells):
            row = self.session.execute(
                select(func.count(), func.coalesce(func.sum(SafetyPoint.weight), 0.0)).where(
                    SafetyPoint.tenant_id == tenant_id,
                    SafetyPoint.cell.in_(chunk),
                    SafetyPoint.occurred_at >= since,
                )
            ).one()
            count, weight = count + int(row[0]), weight + float(row[1])
        return count, weight

    def heaviest_since(
        self, tenant_id: str, cells: Sequence[str], limit: int, since: datetime | None = None
    ) -> list[tuple[float, datetime, str]]:
        """(decayed, occurred_at, id) of the heaviest incidents of these cells (since a time: from the index
        on cell and time alone), heaviest first."""
        found: list[tuple[float, datetime, str]] = []
        for chunk in chunks(cells):
            statement = select(SafetyPoint.decayed, SafetyPoint.occurred_at, SafetyPoint.incident_id).where(
                SafetyPoint.tenant_id == tenant_id, SafetyPoint.cell.in_(chunk)
            )
            if since is not None:
                statement = statement.where(SafetyPoint.occurred_at >= since)
            statement = statement.order_by(SafetyPoint.decayed.desc(), SafetyPoint.occurred_at.desc()).limit(limit)
            found.extend((row[0], row[1], row[2]) for row in self.session.execute(statement))
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return found[:limit]

    # --- heat map, danger zones, safe zones, places (h/intel-map) ------------------------------------------

    def grouped(
        self,
        tenant_id: str,
        resolution: int,
        box: Box | None,
        category: str | None = None,
        last_at: bool = False,
        min_decayed: float | None = None,
    ) -> list[Any]:
        """One row per cell of `resolution`: (cell, incidents, decayed, [last_at,] and the incidents of each
        category as `c_<category>`), summed over the resolution-9 cells whose centres lie in `box` (all the
        tenant's cells: None); only those whose stored decayed sum reaches `min_decayed` when given."""
        column = _PARENT[resolution]
        columns: list[Any] = [
            column.label("cell"),
            func.sum(SafetyCell.incidents).label("incidents"),
            func.sum(SafetyCell.decayed).label("decayed"),
        ]
        if last_at:
            columns.append(func.max(SafetyCell.last_at).label("last_at"))
        columns += [
            func.sum(case((SafetyCell.category == name, SafetyCell.incidents), else_=0)).label(f"c_{name}")
            for name in CATEGORIES
        ]
        statement = select(*columns).where(SafetyCell.tenant_id == tenant_id).group_by(column)
        if box is not None:
            seek = box.cells_within(SEEK_CELLS)
            # A small box: its cells by primary key (the latitude range then only filters); a large one: the
            # range of latitudes on its index.
            latitude = SafetyCell.latitude if seek is None else unindexed(SafetyCell.latitude)
            statement = statement.where(
                latitude.between(box.min_lat, box.max_lat),
                SafetyCell.longitude.between(box.min_lon, box.max_lon),
            )
            if seek is not None:
                statement = statement.where(SafetyCell.cell.in_(seek))
        if category is not None:
            statement = statement.where(SafetyCell.category == category)
        if min_decayed is not None:
            statement = statement.having(func.sum(SafetyCell.decayed) >= min_decayed)
        return list(self.session.execute(statement).all())

    def points_grouped(
        self, tenant_id: str, box: Box, since: datetime, until: datetime, category: str | None = None
    ) -> list[Any]:
        """(resolution-9 cell, category, incidents, decayed) of the incidents in [since, until) in `box`."""
        statement = (
            select(
                SafetyPoint.cell,
                SafetyPoint.category,
                func.count().label("incidents"),
                func.sum(SafetyPoint.decayed).label("decayed"),
            )
            .where(
                SafetyPoint.tenant_id == tenant_id,
                SafetyPoint.occurred_at >= since,
                SafetyPoint.occurred_at < until,
                SafetyPoint.latitude.between(box.min_lat, box.max_lat),
                SafetyPoint.longitude.between(box.min_lon, box.max_lon),
            )
            .group_by(SafetyPoint.cell, SafetyPoint.category)
        )
        if category is not None:
            statement = statement.where(SafetyPoint.category == category)
        return list(self.session.execute(statement).all())

    def children(self, tenant_id: str, resolution: int, parents: Sequence[str], box: Box | None) -> list[str]:
        """The resolution-9 cells with incidents under these cells of `resolution` (centres in `box` if given)."""
        column = _PARENT[resolution]
        found: list[str] = []
        for chunk in chunks(parents):
            statement = select(SafetyCell.cell).distinct().where(SafetyCell.tenant_id == tenant_id, column.in_(chunk))
            if box is not None:
                statement = statement.where(
                    SafetyCell.latitude.between(box.min_lat, box.max_lat),
                    SafetyCell.longitude.between(box.min_lon, box.max_lon),
                )
            found.extend(self.session.scalars(statement))
        return found

    def heaviest_between(
        self,
        tenant_id: str,
        cells: Sequence[str],
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        category: str | None = None,
    ) -> list[str]:
        """Like `heaviest`, among the incidents of [since, until) and of one category when given."""
        found: list[tuple[float, datetime, str]] = []
        for chunk in chunks(cells):
            statement = (
                select(SafetyPoint.decayed, SafetyPoint.occurred_at, SafetyPoint.incident_id)
                .where(SafetyPoint.tenant_id == tenant_id, SafetyPoint.cell.in_(chunk))
                .order_by(SafetyPoint.decayed.desc(), SafetyPoint.occurred_at.desc())
                .limit(limit)
            )
            if since is not None and until is not None:
                statement = statement.where(SafetyPoint.occurred_at >= since, SafetyPoint.occurred_at < until)
            if category is not None:
                statement = statement.where(SafetyPoint.category == category)
            found.extend((row[0], row[1], row[2]) for row in self.session.execute(statement))
        found.sort(key=lambda item: (item[0], item[1]), reverse=True)
        return [incident_id for _, _, incident_id in found[:limit]]

    def add_place(self, place: SafePlace) -> None:
        self.session.add(place)
        self.session.flush()

    def place(self, tenant_id: str, place_id: str) -> SafePlace | None:
        return self.session.scalars(
            select(SafePlace).where(SafePlace.tenant_id == tenant_id, SafePlace.id == place_id)
        ).one_or_none()

    def places(self, tenant_id: str, offset: int, limit: int, type_: str | None = None) -> tuple[list[SafePlace], int]:
        """A page of the tenant's places, newest first, and how many there are."""
        where = [SafePlace.tenant_id == tenant_id]
        if type_ is not None:
            where.append(SafePlace.type == type_)
        total = self.session.scalar(select(func.count()).select_from(SafePlace).where(*where)) or 0
        rows = self.session.scalars(
            select(SafePlace)
            .where(*where)
            .order_by(SafePlace.created_at.desc(), SafePlace.id.desc())
            .offset(offset)
            .limit(limit)
        ).all()
        return list(rows), int(total)

    def places_in(self, tenant_id: str, box: Box) -> list[SafePlace]:
        return list(
            self.session.scalars(
                select(SafePlace).where(
                    SafePlace.tenant_id == tenant_id,
                    SafePlace.latitude.between(box.min_lat, box.max_lat),
                    SafePlace.longitude.between(box.min_lon, box.max_lon),
                )
            )
        )

    def delete_place(self, place: SafePlace) -> None:
        self.session.delete(place)
        self.session.flush()

    # --- route safety and danger analytics ---------------------------------------------------------------

    def weight_since_by_cell(self, tenant_id: str, cells: Sequence[str], since: datetime) -> dict[str, float]:
        """The (undecayed) weight of each of these cells' incidents since `since` (cells without any: absent)."""
        found: dict[str, float] = {}
        for chunk in chunks(cells):
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
        for chunk in chunks(cells):
            statement = select(
                SafetyHour.cell, SafetyHour.hour_of_week, SafetyHour.incidents, SafetyHour.decayed
            ).where(SafetyHour.tenant_id == tenant_id, SafetyHour.cell.in_(chunk), hours)
            found.extend(self.session.execute(statement).all())
        return found

    def points(self, tenant_id: str, cells: Sequence[str], since: datetime, until: datetime) -> list[Any]:
        """The counted incidents of these cells that happened in [since, until), with what they weigh."""
        found: list[Any] = []
        for chunk in chunks(cells):
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


_PARENT = {
    5: SafetyCell.p5,
    6: SafetyCell.p6,
    7: SafetyCell.p7,
    8: SafetyCell.p8,
    9: SafetyCell.cell,
}
