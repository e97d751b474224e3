"""SQL of the analytics answers: the stored times of one incident and of its assignments, the tenant's settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from incidenthub.models import Assignment, Incident, Tenant, Unit


class AnalyticsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def settings(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's settings (`tenants.settings`)."""
        value = self.session.execute(select(Tenant.settings).where(Tenant.id == tenant_id)).scalar_one()
        return dict(value or {})

    def incident_times(self, tenant_id: str, incident_id: str) -> Any | None:
        """One incident's stored call and dispatch times and what standards select on; None if not this tenant's."""
        statement = select(
            Incident.id,
            Incident.category,
            Incident.agency_type,
            Incident.priority,
            Incident.call_received_at,
            Incident.call_picked_up_at,
            Incident.call_hung_up_at,
            Incident.dispatch_queued_at,
            Incident.dispatched_at,
        ).where(Incident.tenant_id == tenant_id, Incident.id == incident_id)
        return self.session.execute(statement).one_or_none()

    def assignment_times(self, tenant_id: str, incident_id: str) -> list[Any]:
        """Every assignment of the incident (in the order made) with its unit's call sign and its milestones."""
        statement = (
            select(
                Assignment.id,
                Assignment.unit_id,
                Unit.call_sign,
                Assignment.dispatched_at,
                Assignment.enroute_at,
                Assignment.arrived_at,
                Assignment.cleared_at,
            )
            .outerjoin(Unit, Unit.id == Assignment.unit_id)
            .where(Assignment.tenant_id == tenant_id, Assignment.incident_id == incident_id)
            .order_by(Assignment.created_at, Assignment.id)
        )
        return list(self.session.execute(statement).all())
