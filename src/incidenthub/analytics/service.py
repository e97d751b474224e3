"""The analytics answers, from stored times. No web framework here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from incidenthub.analytics import intervals, standards
from incidenthub.analytics.intervals import AssignmentTimes, IncidentTimes, Leg, Stamp
from incidenthub.analytics.repository import AnalyticsRepository
from incidenthub.analytics.standards import Standard
from incidenthub.clock import iso_utc
from incidenthub.errors import Conflict, FieldError, NotFound


def tenant_standards(repository: AnalyticsRepository, tenant_id: str) -> list[Standard]:
    """The tenant's standards; unusable settings answer 409 naming the member (the settings are wrong, not the
    request)."""
    try:
        return standards.from_settings(repository.settings(tenant_id))
    except standards.StandardsError as error:
        detail = f"the tenant's analytics settings cannot be used: {error}"
        raise Conflict(detail, [FieldError(f"settings.{error.field}", error.message)]) from None


def _stamp(stamp: Stamp) -> dict[str, Any]:
    return {"field": stamp.field, "at": iso_utc(stamp.at) if stamp.at is not None else None}


def _check(item: Leg, standard: Standard) -> dict[str, Any]:
    measured = item.seconds
    targets = [
        {
            "within_seconds": t.within_seconds,
            "percent": t.percent,
            "within": None if measured is None else measured <= t.within_seconds,
        }
        for t in standard.targets
    ]
    return {
        "standard_id": standard.id,
        "name": standard.name,
        "source": standard.source,
        "edition": standard.edition,
        "clause": standard.clause,
        "within": None if measured is None else all(t["within"] for t in targets),
        "targets": targets,
    }


def _leg(item: Leg, judged_by: list[Standard]) -> dict[str, Any]:
    status = "negative" if item.negative_by is not None else "missing" if item.missing else "measured"
    return {
        "leg": item.name,
        "label": intervals.LABELS[item.name],
        "seconds": item.seconds,
        "status": status,
        "start": _stamp(item.start),
        "end": _stamp(item.end),
        "standards": [_check(item, s) for s in judged_by if s.leg == item.name],
    }


def incident_intervals(session: Session, tenant_id: str, incident_id: str) -> dict[str, Any]:
    """The legs of one of the tenant's incidents and of each assignment, judged by the tenant's standards."""
    repository = AnalyticsRepository(session)
    row = repository.incident_times(tenant_id, incident_id)
    if row is None:
        raise NotFound(f"incident {incident_id} not found")
    applicable = [
        s for s in tenant_standards(repository, tenant_id) if s.applies(row.category, row.agency_type, row.priority)
    ]
    times = IncidentTimes(
        call_received_at=row.call_received_at,
        call_picked_up_at=row.call_picked_up_at,
        call_hung_up_at=row.call_hung_up_at,
        dispatch_queued_at=row.dispatch_queued_at,
        dispatched_at=row.dispatched_at,
    )
    units = [
        AssignmentTimes(
            id=a.id,
            unit_id=a.unit_id,
            call_sign=a.call_sign,
            dispatched_at=a.dispatched_at,
            enroute_at=a.enroute_at,
            arrived_at=a.arrived_at,
            cleared_at=a.cleared_at,
        )
        for a in repository.assignment_times(tenant_id, incident_id)
    ]
    found = intervals.compute(times, units)
    every_unit = [s for s in applicable if not s.first_arriving_only]
    return {
        "incident_id": row.id,
        "category": row.category,
        "agency_type": row.agency_type,
        "priority": row.priority,
        "legs": {name: _leg(item, applicable) for name, item in found.legs.items()},
        "assignments": [
            {
                "assignment_id": entry.assignment.id,
                "unit_id": entry.assignment.unit_id,
                "call_sign": entry.assignment.call_sign,
                "first_arriving": entry.first_arriving,
                "legs": {
                    name: _leg(item, applicable if entry.first_arriving else every_unit)
                    for name, item in entry.legs.items()
                },
            }
            for entry in found.assignments
        ],
        "data_quality": [
            {
                "leg": issue.leg,
                "assignment_id": issue.assignment_id,
                "start": _stamp(issue.start),
                "end": _stamp(issue.end),
                "negative_by_seconds": issue.negative_by_seconds,
                "message": issue.message,
            }
            for issue in found.issues
        ],
        "standards": [
            {
                "id": s.id,
                "name": s.name,
                "source": s.source,
                "edition": s.edition,
                "clause": s.clause,
                "checked": s.checked,
                "leg": s.leg,
                "targets": [t.model_dump() for t in s.targets],
            }
            for s in applicable
        ],
    }
