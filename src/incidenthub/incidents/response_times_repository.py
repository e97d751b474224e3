"""SQL of the response-time rows' upkeep (`incidents/response_times.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast
from uuid import uuid4

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from incidenthub.models import Assignment, Incident, ResponseTimeMonth, ResponseTimes, UnitResponseTimes
from incidenthub.models.base import unindexed
from incidenthub.rows import chunks, insert_rows

INCIDENT_COLUMNS = (
    Incident.id,
    Incident.tenant_id,
    Incident.number,
    Incident.is_drill,
    Incident.source,
    Incident.category,
    Incident.incident_type,
    Incident.priority,
    Incident.agency,
    Incident.agency_type,
    Incident.response_area,
    Incident.call_position,
    Incident.call_taker_id,
    Incident.call_received_at,
    Incident.call_picked_up_at,
    Incident.call_hung_up_at,
    Incident.dispatch_queued_at,
    Incident.dispatched_at,
    Incident.source_created_at,
    Incident.created_at,
)
ASSIGNMENT_COLUMNS = (
    Assignment.id,
    Assignment.incident_id,
    Assignment.unit_id,
    Assignment.dispatched_at,
    Assignment.enroute_at,
    Assignment.arrived_at,
    Assignment.cleared_at,
)


class ResponseTimesRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def incidents(self, tenant_id: str, ids: Sequence[str]) -> list[Any]:
        """These incidents' columns the rows are made of (rows read by attribute)."""
        found: list[Any] = []
        for chunk in chunks(ids):
            statement = select(*INCIDENT_COLUMNS).where(
                unindexed(Incident.tenant_id) == tenant_id, Incident.id.in_(chunk)
            )
            found.extend(self.session.execute(statement).all())
        return found

    def assignments(self, ids: Sequence[str]) -> list[Any]:
        """Every assignment of these incidents, each incident's in the order they were made."""
        found: list[Any] = []
        for chunk in chunks(ids):
            statement = (
                select(*ASSIGNMENT_COLUMNS)
                .where(Assignment.incident_id.in_(chunk))
                .order_by(Assignment.incident_id, Assignment.created_at, Assignment.id)
            )
            found.extend(self.session.execute(statement).all())
        return found

    def all_incidents(self, tenant_id: str) -> list[Any]:
        return list(self.session.execute(select(*INCIDENT_COLUMNS).where(Incident.tenant_id == tenant_id)).all())

    def all_assignments(self, tenant_id: str) -> list[Any]:
        statement = (
            select(*ASSIGNMENT_COLUMNS)
            .where(Assignment.tenant_id == tenant_id)
            .order_by(Assignment.incident_id, Assignment.created_at, Assignment.id)
        )
        return list(self.session.execute(statement).all())

    def replace(self, removed: Sequence[str], incidents: list[dict[str, Any]], units: list[dict[str, Any]]) -> None:
        """Drop the rows of the incidents `removed`, then add these rows."""
        unit_table = cast(Table, UnitResponseTimes.__table__)
        table = cast(Table, ResponseTimes.__table__)
        for chunk in chunks(removed):
            self.session.execute(delete(unit_table).where(unit_table.c.incident_id.in_(chunk)))
            self.session.execute(delete(table).where(table.c.incident_id.in_(chunk)))
        if incidents:
            insert_rows(self.session, table, incidents)
        if units:
            insert_rows(self.session, unit_table, units)

    def began(self, ids: Sequence[str]) -> list[tuple[str, int]]:
        """(tenant id, began_ms) of the rows these incidents have now."""
        found: list[tuple[str, int]] = []
        for chunk in chunks(ids):
            statement = select(ResponseTimes.tenant_id, ResponseTimes.began_ms).where(
                ResponseTimes.incident_id.in_(chunk)
            )
            found.extend((row.tenant_id, row.began_ms) for row in self.session.execute(statement))
        return found

    def mark_months(self, months: Sequence[tuple[str, int]]) -> None:
        """Mark these (tenant id, local month) to be counted again, each with a new mark."""
        if not months:
            return
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        rows = [{"tenant_id": t, "month": m, "mark": uuid4().hex} for t, m in sorted(set(months))]
        statement = dialect.insert(cast(Table, ResponseTimeMonth.__table__))
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id", "month"], set_={"mark": statement.excluded.mark}
        )
        self.session.execute(statement, rows)

    def clear(self, tenant_id: str) -> None:
        for model in (UnitResponseTimes, ResponseTimes):
            table = cast(Table, model.__table__)
            self.session.execute(delete(table).where(table.c.tenant_id == tenant_id))

    def stored(self, tenant_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every row kept for the tenant (for the tests' comparison with a recomputation)."""
        found = []
        for model in (ResponseTimes, UnitResponseTimes):
            table = cast(Table, model.__table__)
            rows = self.session.execute(select(table).where(table.c.tenant_id == tenant_id)).mappings().all()
            found.append([dict(row) for row in rows])
        return found[0], found[1]
