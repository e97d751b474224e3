"""Every query over recordings, and the incidents a recording may belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from incidenthub.models import Incident, Recording


class RecordingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, recording: Recording) -> None:
        self.session.add(recording)
        self.session.flush()

    def page(
        self, tenant_id: str, *, unmatched: bool | None, position: str | None, offset: int, limit: int
    ) -> tuple[list[Recording], int]:
        conditions = [Recording.tenant_id == tenant_id]
        if unmatched is True:
            conditions.append(Recording.incident_id.is_(None))
        elif unmatched is False:
            conditions.append(Recording.incident_id.is_not(None))
        if position is not None:
            conditions.append(Recording.position == position)
        total = self.session.scalar(select(func.count()).select_from(Recording).where(*conditions)) or 0
        rows = self.session.scalars(
            select(Recording)
            .where(*conditions)
            .order_by(Recording.started_at.desc(), Recording.id)
            .offset(offset)
            .limit(limit)
        )
        return list(rows), total

    def of_incident(self, tenant_id: str, incident_id: str) -> list[Recording]:
        return list(
            self.session.scalars(
                select(Recording)
                .where(Recording.tenant_id == tenant_id, Recording.incident_id == incident_id)
                .order_by(Recording.started_at)
            )
        )

    def near(self, tenant_id: str, position: str, start: datetime, end: datetime) -> list[Recording]:
        """Recordings at this position that start before `end` and end after `start`."""
        return list(
            self.session.scalars(
                select(Recording).where(
                    Recording.tenant_id == tenant_id,
                    Recording.position == position,
                    Recording.started_at <= end,
                    Recording.ended_at >= start,
                )
            )
        )

    def incidents_at(self, tenant_id: str, position: str, calls_from: datetime, calls_to: datetime) -> list[Incident]:
        """Incidents at a call position whose call began between the two times."""
        begun = func.coalesce(Incident.call_received_at, Incident.call_picked_up_at)
        return list(
            self.session.scalars(
                select(Incident).where(
                    Incident.tenant_id == tenant_id,
                    Incident.call_position == position,
                    or_(Incident.call_received_at.is_not(None), Incident.call_picked_up_at.is_not(None)),
                    begun >= calls_from,
                    begun <= calls_to,
                )
            )
        )
