"""Every query over the Sonoran call index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session, selectinload

from incidenthub.models import Assignment, Incident, SonoranCall
from incidenthub.models.base import unindexed

_FULL = (
    selectinload(Incident.notes),
    selectinload(Incident.timeline),
    selectinload(Incident.assignments).selectinload(Assignment.unit),
    selectinload(Incident.assignments).selectinload(Assignment.personnel),
)


class SonoranCallRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, call: SonoranCall) -> None:
        self.session.add(call)
        self.session.flush()

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        """Index many new calls in one statement (set-based intake)."""
        if rows:
            self.session.execute(insert(cast(Table, SonoranCall.__table__)), rows)

    def get(self, tenant_id: str, call_id: int) -> SonoranCall | None:
        return self.session.get(SonoranCall, (tenant_id, call_id))

    def board(
        self, tenant_id: str, server_id: int, kind: str, *, closed: bool, offset: int = 0, limit: int | None = None
    ) -> list[SonoranCall]:
        """Open calls oldest first; closed ones most recently closed first."""
        query = select(SonoranCall).where(
            SonoranCall.tenant_id == tenant_id,
            SonoranCall.server_id == server_id,
            SonoranCall.kind == kind,
            SonoranCall.closed.is_(closed),
        )
        if closed:
            query = query.order_by(SonoranCall.closed_at.desc(), SonoranCall.call_id.desc())
        else:
            query = query.order_by(SonoranCall.call_id)
        return list(self.session.scalars(query.offset(offset).limit(limit)))

    def count(self, tenant_id: str, server_id: int, kind: str, *, closed: bool) -> int:
        query = select(func.count()).where(
            SonoranCall.tenant_id == tenant_id,
            SonoranCall.server_id == server_id,
            SonoranCall.kind == kind,
            SonoranCall.closed.is_(closed),
        )
        return int(self.session.scalar(query) or 0)

    def incidents(self, tenant_id: str, calls: Sequence[SonoranCall]) -> dict[str, Incident]:
        """The incidents of these calls, fully loaded, by incident id."""
        if not calls:
            return {}
        rows = self.session.scalars(
            select(Incident)
            .where(unindexed(Incident.tenant_id) == tenant_id, Incident.id.in_([c.incident_id for c in calls]))
            .options(*_FULL)
        )
        return {row.id: row for row in rows}
