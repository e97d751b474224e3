"""SQL of the safety aggregates' upkeep (`incidents/safety.py`): points, cell and hour sums."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, and_, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from incidenthub.models import Incident, SafetyCell, SafetyHour, SafetyPoint, SafetyRegion, Tenant
from incidenthub.models.base import unindexed
from incidenthub.rows import chunks, insert_rows

_INCIDENT_COLUMNS = (
    Incident.id,
    Incident.tenant_id,
    Incident.latitude,
    Incident.longitude,
    Incident.category,
    Incident.severity,
    Incident.status,
    Incident.is_drill,
    Incident.resolution_outcome,
    Incident.call_received_at,
    Incident.source_created_at,
    Incident.created_at,
)


class SafetyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Any:
        return pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert

    def tenant_settings(self, tenant_ids: Sequence[str]) -> list[tuple[str, str, dict[str, Any]]]:
        rows = self.session.execute(
            select(Tenant.id, Tenant.timezone, Tenant.settings).where(Tenant.id.in_(tenant_ids))
        ).all()
        return [(row[0], row[1], row[2] or {}) for row in rows]

    def incident_rows(self, tenant_id: str, ids: Sequence[str]) -> list[Any]:
        """The canonical columns the rules read, of these incidents (rows read by attribute)."""
        found: list[Any] = []
        for chunk in chunks(ids):
            statement = select(*_INCIDENT_COLUMNS).where(
                unindexed(Incident.tenant_id) == tenant_id, Incident.id.in_(chunk)
            )
            found.extend(self.session.execute(statement).all())
        return found

    def all_incident_rows(self, tenant_id: str) -> Iterator[Any]:
        statement = select(*_INCIDENT_COLUMNS).where(Incident.tenant_id == tenant_id)
        yield from self.session.execute(statement.execution_options(yield_per=2000))

    def points(self, incident_ids: Sequence[str], columns: Sequence[str]) -> list[Row[Any]]:
        """The stored points of these incidents: these columns, in this order."""
        found: list[Row[Any]] = []
        table = cast(Table, SafetyPoint.__table__)
        chosen = [table.c[name] for name in columns]
        for chunk in chunks(incident_ids):
            found.extend(self.session.execute(select(*chosen).where(table.c.incident_id.in_(chunk))).all())
        return found

    def replace_points(self, removed: Sequence[str], added: Iterable[Any]) -> None:
        table = cast(Table, SafetyPoint.__table__)
        for chunk in chunks(removed):
            self.session.execute(delete(table).where(table.c.incident_id.in_(chunk)))
        rows = [point._asdict() for point in added]
        if rows:
            insert_rows(self.session, table, rows)

    def add_to_cells(self, rows: Sequence[dict[str, Any]]) -> None:
        """Add each row's counts and weights to its cell sum (tenant, cell, category), creating it if new."""
        if not rows:
            return
        table = cast(Table, SafetyCell.__table__)
        statement = self._insert()(table)
        new = statement.excluded
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.tenant_id, table.c.cell, table.c.category],
                set_={
                    "incidents": table.c.incidents + new.incidents,
                    "critical": table.c.critical + new.critical,
                    "weight": table.c.weight + new.weight,
                    "decayed": table.c.decayed + new.decayed,
                    "last_at": case((new.last_at > table.c.last_at, new.last_at), else_=table.c.last_at),
                },
            ),
            list(rows),
        )

    def add_to_hours(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        table = cast(Table, SafetyHour.__table__)
        statement = self._insert()(table)
        new = statement.excluded
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.tenant_id, table.c.cell, table.c.hour_of_week],
                set_={
                    "incidents": table.c.incidents + new.incidents,
                    "weight": table.c.weight + new.weight,
                    "decayed": table.c.decayed + new.decayed,
                },
            ),
            list(rows),
        )

    def add_to_regions(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        table = cast(Table, SafetyRegion.__table__)
        statement = self._insert()(table)
        new = statement.excluded
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.tenant_id, table.c.region],
                set_={"incidents": table.c.incidents + new.incidents, "decayed": table.c.decayed + new.decayed},
            ),
            list(rows),
        )

    def settle(self, keys: Iterable[tuple[str, str, str]]) -> None:
        """After removals from these cell sums (tenant, cell, category): drop the empty sums (and their
        hours), and take each remaining sum's last incident time from its points again."""
        cells = cast(Table, SafetyCell.__table__)
        hours = cast(Table, SafetyHour.__table__)
        points = cast(Table, SafetyPoint.__table__)
        keys = sorted(set(keys))
        for tenant_id, cell, category in keys:
            match = and_(cells.c.tenant_id == tenant_id, cells.c.cell == cell, cells.c.category == category)
            self.session.execute(delete(cells).where(match, cells.c.incidents <= 0))
            last = (
                select(points.c.occurred_at)
                .where(points.c.tenant_id == tenant_id, points.c.cell == cell, points.c.category == category)
                .order_by(points.c.occurred_at.desc())
                .limit(1)
                .scalar_subquery()
            )
            self.session.execute(update(cells).where(match).values(last_at=last))
        regions = cast(Table, SafetyRegion.__table__)
        for tenant_id in sorted({tenant_id for tenant_id, _, _ in keys}):
            self.session.execute(delete(regions).where(regions.c.tenant_id == tenant_id, regions.c.incidents <= 0))
        pairs = sorted({(tenant_id, cell) for tenant_id, cell, _ in keys})
        if pairs:
            self.session.execute(
                delete(hours).where(
                    or_(*(and_(hours.c.tenant_id == t, hours.c.cell == c) for t, c in pairs)),
                    hours.c.incidents <= 0,
                )
            )

    def clear(self, tenant_id: str) -> None:
        for model in (SafetyPoint, SafetyCell, SafetyHour, SafetyRegion):
            table = cast(Table, model.__table__)
            self.session.execute(delete(table).where(table.c.tenant_id == tenant_id))

    # --- read back whole (tests and checks) -----------------------------------------------------------------

    def stored_regions(self, tenant_id: str) -> list[dict[str, Any]]:
        table = cast(Table, SafetyRegion.__table__)
        return [dict(row._mapping) for row in self.session.execute(select(table).where(table.c.tenant_id == tenant_id))]

    def stored(self, tenant_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """Every point, cell sum and hour sum of a tenant, as rows."""
        out = []
        for model in (SafetyPoint, SafetyCell, SafetyHour):
            table = cast(Table, model.__table__)
            rows = self.session.execute(select(table).where(table.c.tenant_id == tenant_id))
            out.append([dict(row._mapping) for row in rows])
        return out[0], out[1], out[2]

    def counts(self, tenant_id: str) -> dict[str, int]:
        """How many points, cell sums and hour sums a tenant has."""
        out = {}
        for name, model in (("points", SafetyPoint), ("cells", SafetyCell), ("hours", SafetyHour)):
            table = cast(Table, model.__table__)
            out[name] = (
                self.session.scalar(select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)) or 0
            )
        return out
