"""Rules of dispatch: units, their status and location, assignments, and the lifecycle that follows them.

- A unit is on at most one incident at a time: assigning it elsewhere clears it from the first.
- A new assignment starts as dispatched (`dispatched_at` = now); the unit's status before it stamps nothing.
- A unit status change stamps the matching time of its open assignment once (first value wins); a
  skipped step stays empty and is never filled in once a later step has a time. Every change of a unit on
  a call is written to that incident's timeline.
- The incident follows its units forward only: first assignment -> assigned, first enroute ->
  responding, first on scene -> on_scene.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from incidenthub.auth.repository import TenantRepository
from incidenthub.clock import utcnow
from incidenthub.dispatch.repository import AssignmentRepository, PersonnelRepository, UnitRepository
from incidenthub.dispatch.schemas import (
    AssignmentCreate,
    AssignmentList,
    AssignmentUpdate,
    UnitCreate,
    UnitList,
    UnitLocation,
    UnitLocationChange,
    UnitRead,
    UnitStatusChange,
    UnitUpdate,
)
from incidenthub.errors import Conflict, FieldError, Invalid, NotFound
from incidenthub.incidents import service as incident_service
from incidenthub.incidents.schemas import PersonRef, ResponderRead, UnitRef
from incidenthub.models import Assignment, Incident, Personnel, TimelineEvent, Unit

IDENT_COUNTER = "unit_ident"
# A unit status that is a step of the response, the assignment time it stamps, and where the incident goes.
STEPS: dict[str, tuple[str, str]] = {"enroute": ("enroute_at", "responding"), "on_scene": ("arrived_at", "on_scene")}
_ASSIGNMENT_ORDER = ("dispatched", "enroute", "on_scene", "cleared")


# --- units -----------------------------------------------------------------------------------------


def ensure_ident(session: Session, unit: Unit) -> int:
    """The unit's small per-tenant integer id (Sonoran's identId), handed out on first need."""
    return ensure_idents(session, [unit])[0]


def ensure_idents(session: Session, units: Sequence[Unit]) -> list[int]:
    """Each unit's ident, in order; those without one get theirs from one reservation of the counter."""
    lacking = list({unit.id: unit for unit in units if ident_of(unit) is None}.values())
    by_tenant: dict[str, list[Unit]] = {}
    for unit in lacking:
        by_tenant.setdefault(unit.tenant_id, []).append(unit)
    for tenant_id, group in by_tenant.items():
        numbers = TenantRepository(session).next_numbers(tenant_id, IDENT_COUNTER, len(group))
        for unit, number in zip(group, numbers, strict=True):
            unit.extra = {**(unit.extra or {}), "ident_id": number}
            unit.ident_id = number  # the indexed copy lookups use
    return [ident for unit in units if (ident := ident_of(unit)) is not None]


def ident_of(unit: Unit) -> int | None:
    ident = (unit.extra or {}).get("ident_id")
    return ident if isinstance(ident, int) else None


def unit_read(unit: Unit, incident_id: str | None) -> UnitRead:
    extra = unit.extra or {}
    return UnitRead(
        unit_id=unit.id,
        ident_id=ident_of(unit),
        call_sign=unit.call_sign,
        name=unit.name,
        external_ids=list(unit.external_ids or []),
        department=unit.department,
        status=unit.status,
        panic=unit.panic,
        location=UnitLocation(
            text=unit.location_text,
            latitude=unit.latitude,
            longitude=unit.longitude,
            coordinates=extra.get("coordinates"),
        ),
        incident_id=incident_id,
        created_at=unit.created_at,
        updated_at=unit.updated_at,
    )


def current_incidents(session: Session, tenant_id: str, units: Sequence[Unit]) -> dict[str, str]:
    """unit id -> the incident it is assigned to now."""
    open_ = AssignmentRepository(session).open_of_units(tenant_id, [u.id for u in units])
    return {a.unit_id: a.incident_id for a in open_ if a.unit_id is not None}


def list_units(session: Session, tenant_id: str) -> UnitList:
    units = UnitRepository(session).list(tenant_id)
    on_call = current_incidents(session, tenant_id, units)
    return UnitList(data=[unit_read(u, on_call.get(u.id)) for u in units])


def get_unit(session: Session, tenant_id: str, unit_id: str) -> Unit:
    unit = UnitRepository(session).get(tenant_id, unit_id)
    if unit is None:
        raise NotFound(f"Unit {unit_id} not found")
    return unit


def read_unit(session: Session, tenant_id: str, unit_id: str) -> UnitRead:
    unit = get_unit(session, tenant_id, unit_id)
    return unit_read(unit, current_incidents(session, tenant_id, [unit]).get(unit.id))


def _check_external_ids(session: Session, tenant_id: str, external_ids: Sequence[str], unit_id: str | None) -> None:
    holders = UnitRepository(session).by_external_ids(tenant_id, external_ids)
    for value, holder in holders.items():
        if holder.id != unit_id:
            raise Conflict(f"external id {value!r} already belongs to unit {holder.call_sign}")


def create_unit(session: Session, tenant_id: str, request: UnitCreate) -> UnitRead:
    """A new unit; its call sign and external ids are unique within the tenant."""
    units = UnitRepository(session)
    if units.by_call_sign(tenant_id, request.call_sign) is not None:
        raise Conflict(f"a unit with call sign {request.call_sign!r} already exists")
    _check_external_ids(session, tenant_id, request.external_ids, None)
    now = utcnow()
    unit = Unit(
        tenant_id=tenant_id,
        call_sign=request.call_sign,
        name=request.name,
        external_ids=list(dict.fromkeys(request.external_ids)),
        department=request.department,
        status=request.status,
        panic=False,
        extra={},
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(unit)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a unit with call sign {request.call_sign!r} already exists") from None
    ensure_ident(session, unit)
    session.flush()
    return unit_read(unit, None)


def update_unit(session: Session, tenant_id: str, unit_id: str, request: UnitUpdate) -> UnitRead:
    unit = get_unit(session, tenant_id, unit_id)
    sent = request.model_fields_set
    if "call_sign" in sent and request.call_sign is not None and request.call_sign != unit.call_sign:
        if UnitRepository(session).by_call_sign(tenant_id, request.call_sign) is not None:
            raise Conflict(f"a unit with call sign {request.call_sign!r} already exists")
        unit.call_sign = request.call_sign
    if "external_ids" in sent and request.external_ids is not None:
        _check_external_ids(session, tenant_id, request.external_ids, unit.id)
        unit.external_ids = list(dict.fromkeys(request.external_ids))
    if "name" in sent:
        unit.name = request.name
    if "department" in sent:
        unit.department = request.department
    session.flush()
    return read_unit(session, tenant_id, unit.id)


def set_status(session: Session, unit: Unit, status: str, *, actor: str | None = None) -> list[str]:
    """Set a unit's status and let its open assignment and incident follow; returns the times stamped."""
    previous = unit.status
    unit.status = status
    unit.updated_at = utcnow()
    stamped: list[str] = []
    for assignment in AssignmentRepository(session).open_of_units(unit.tenant_id, [unit.id]):
        incident = incident_service.get_incident(session, unit.tenant_id, assignment.incident_id, full=True)
        field = _step(incident, assignment, status, actor=actor) if status in STEPS else None
        if field:
            stamped.append(field)
        if previous != status or field:
            record(
                incident,
                "unit_status",
                f"{unit.call_sign} {status}",
                actor=actor,
                data={
                    "unit_id": unit.id,
                    "call_sign": unit.call_sign,
                    "from": previous,
                    "to": status,
                    "stamped": field,
                },
            )
    session.flush()
    return stamped


def set_statuses(session: Session, units: Sequence[Unit], status: str, *, actor: str | None = None) -> None:
    """`set_status` for many units: one query finds those on an incident, and only they are followed one by one."""
    if not units:
        return
    on_call = {
        a.unit_id for a in AssignmentRepository(session).open_of_units(units[0].tenant_id, [u.id for u in units])
    }
    now = utcnow()
    for unit in units:
        if unit.id in on_call:
            set_status(session, unit, status, actor=actor)
        else:
            unit.status, unit.updated_at = status, now
    session.flush()


def change_unit_status(
    session: Session, tenant_id: str, unit_id: str, request: UnitStatusChange, actor: str | None = None
) -> UnitRead:
    unit = get_unit(session, tenant_id, unit_id)
    set_status(session, unit, request.status, actor=actor)
    return read_unit(session, tenant_id, unit_id)


def set_location(
    unit: Unit,
    text: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
    coordinates: dict[str, Any] | None = None,
) -> None:
    """Record a unit's last known position; what is not given is kept."""
    if text is not None:
        unit.location_text = text
    if latitude is not None and longitude is not None:
        unit.latitude, unit.longitude = latitude, longitude
    if coordinates is not None:
        unit.extra = {**(unit.extra or {}), "coordinates": coordinates}
    unit.updated_at = utcnow()


def change_unit_location(session: Session, tenant_id: str, unit_id: str, request: UnitLocationChange) -> UnitRead:
    unit = get_unit(session, tenant_id, unit_id)
    set_location(unit, request.location, request.latitude, request.longitude)
    session.flush()
    return read_unit(session, tenant_id, unit_id)


# --- assignments -----------------------------------------------------------------------------------


def record(
    incident: Incident, event: str, message: str, *, actor: str | None, data: dict[str, Any] | None = None
) -> None:
    """A timeline event on the incident; bumps its revision. The incident need not have its timeline loaded."""
    now = utcnow()
    session = object_session(incident)
    if session is not None and "timeline" in inspect(incident).unloaded:
        # Only the incident's row is loaded (e.g. the call a unit is moved off): add the event without
        # loading the whole timeline.
        session.add(
            TimelineEvent(
                tenant_id=incident.tenant_id,
                incident_id=incident.id,
                occurred_at=now,
                event=event,
                status=incident.status,
                message=message,
                actor=actor,
                data=data,
            )
        )
    else:
        incident_service._event(incident, event, message=message, actor=actor, data=data, at=now)
    incident.revision += 1
    incident.updated_at = now


def advance(incident: Incident, target: str, *, actor: str | None = None, at: datetime | None = None) -> bool:
    """Move the incident forward to `target` in its lifecycle; never back, never out of a final state."""
    current = incident.status
    lifecycle = incident_service.LIFECYCLE
    if current in incident_service.FINAL or current not in lifecycle:
        return False
    if lifecycle.index(target) <= lifecycle.index(current):
        return False
    changes: dict[str, Any] = {"status": target}
    if target == "assigned" and incident.dispatched_at is None:
        changes["dispatched_at"] = at or utcnow()
    incident_service.apply_changes(incident, changes, actor=actor, event=target, message=f"Incident {target}")
    return True


def _step(incident: Incident, assignment: Assignment, status: str, *, actor: str | None) -> str | None:
    """Stamp the assignment time of a response step if still empty and no later step has a time yet;
    advance the incident. The field stamped."""
    field, lifecycle_target = STEPS[status]
    later = [f for step, (f, _) in STEPS.items() if _ASSIGNMENT_ORDER.index(step) > _ASSIGNMENT_ORDER.index(status)]
    stamped = None
    if getattr(assignment, field) is None and all(getattr(assignment, f) is None for f in later):
        setattr(assignment, field, utcnow())
        stamped = field
    current = assignment.status or "dispatched"
    if _ASSIGNMENT_ORDER.index(status) > _ASSIGNMENT_ORDER.index(current):
        assignment.status = status
    assignment.updated_at = utcnow()
    advance(incident, lifecycle_target, actor=actor)
    return stamped


def open_assignments(incident: Incident) -> list[Assignment]:
    return [a for a in incident.assignments if a.cleared_at is None]


def primary_of(incident: Incident) -> Assignment | None:
    return next((a for a in open_assignments(incident) if a.is_primary and a.unit is not None), None)


def make_primary(incident: Incident, assignment: Assignment, *, actor: str | None = None) -> bool:
    """`assignment` becomes the incident's only primary; False when it already was."""
    if assignment.is_primary and all(a is assignment or not a.is_primary for a in open_assignments(incident)):
        return False
    for other in open_assignments(incident):
        other.is_primary = other is assignment
    name = assignment.unit.call_sign if assignment.unit else None
    record(incident, "primary_changed", f"Primary: {name}", actor=actor, data={"assignment_id": assignment.id})
    return True


def clear_primary(incident: Incident, *, actor: str | None = None) -> bool:
    current = primary_of(incident)
    if current is None:
        return False
    current.is_primary = False
    record(incident, "primary_changed", "Primary cleared", actor=actor, data={"assignment_id": None})
    return True


def clear(incident: Incident, assignment: Assignment, *, actor: str | None = None, reason: str = "cleared") -> None:
    """Release a unit from the incident: stamp `cleared_at` (once) and say so in the timeline."""
    if assignment.cleared_at is not None:
        return
    assignment.cleared_at = utcnow()
    assignment.status = "cleared"
    assignment.updated_at = assignment.cleared_at
    name = (
        assignment.unit.call_sign
        if assignment.unit
        else (assignment.personnel.personnel_id if assignment.personnel else "")
    )
    record(
        incident,
        "unit_cleared",
        f"{name} {reason}".strip(),
        actor=actor,
        data={"assignment_id": assignment.id, "unit_id": assignment.unit_id},
    )


def clear_all(incident: Incident, *, actor: str | None = None, reason: str = "cleared") -> None:
    for assignment in open_assignments(incident):
        clear(incident, assignment, actor=actor, reason=reason)


def assign(
    session: Session,
    incident: Incident,
    unit: Unit | None,
    person: Personnel | None = None,
    *,
    is_primary: bool | None = None,
    dispatched_by: str | None = None,
    actor: str | None = None,
) -> Assignment:
    """Put a unit and/or person on an (fully loaded) incident; repeating an open assignment changes nothing.

    The first unit on an incident becomes its primary unless `is_primary` is False.
    """
    if incident.status in incident_service.FINAL:
        raise Conflict(f"Incident {incident.id} is {incident.status}; units can no longer be assigned")
    for existing in open_assignments(incident):
        if existing.unit_id == (unit.id if unit else None) and existing.personnel_id == (person.id if person else None):
            if is_primary:
                make_primary(incident, existing, actor=actor)
            return existing
    if unit is not None:
        ensure_ident(session, unit)
        _release_elsewhere(session, incident, unit, actor=actor)
    now = utcnow()
    assignment = Assignment(
        tenant_id=incident.tenant_id,
        incident_id=incident.id,
        unit_id=unit.id if unit else None,
        personnel_id=person.id if person else None,
        dispatched_by=dispatched_by,
        is_primary=False,
        status="dispatched",
        dispatched_at=now,
        created_at=now,
        updated_at=now,
    )
    assignment.unit = unit
    assignment.personnel = person
    incident.assignments.append(assignment)
    session.flush()
    name = unit.call_sign if unit else person.personnel_id if person else ""
    record(
        incident,
        "unit_assigned",
        f"{name} assigned",
        actor=actor,
        data={"assignment_id": assignment.id, "unit_id": assignment.unit_id, "personnel_id": assignment.personnel_id},
    )
    if unit is not None and (is_primary or (is_primary is None and primary_of(incident) is None)):
        make_primary(incident, assignment, actor=actor)
    # Every new assignment starts as dispatched: the unit's current status says nothing about this call,
    # so no later step is stamped until the unit's status changes.
    advance(incident, "assigned", actor=actor, at=now)
    return assignment


def _release_elsewhere(session: Session, incident: Incident, unit: Unit, *, actor: str | None) -> None:
    """Clear the unit's open assignment on any other incident, loading only that incident's row."""
    for other in AssignmentRepository(session).open_of_units(unit.tenant_id, [unit.id]):
        if other.incident_id == incident.id:
            continue
        previous = incident_service.get_incident(session, unit.tenant_id, other.incident_id)
        other.unit = unit  # known already: clear() names it without loading it again
        clear(previous, other, actor=actor, reason=f"reassigned to {incident.external_id or incident.id}")


def responder_read(assignment: Assignment) -> ResponderRead:
    unit, person = assignment.unit, assignment.personnel
    return ResponderRead(
        assignment_id=assignment.id,
        unit=UnitRef(id=unit.id, call_sign=unit.call_sign) if unit else None,
        personnel=PersonRef(id=person.id, personnel_id=person.personnel_id, name=person.full_name) if person else None,
        is_primary=assignment.is_primary,
        status=assignment.status,
        dispatched_by=assignment.dispatched_by,
        dispatched_at=assignment.dispatched_at,
        enroute_at=assignment.enroute_at,
        arrived_at=assignment.arrived_at,
        cleared_at=assignment.cleared_at,
    )


def create_assignment(
    session: Session, tenant_id: str, incident_id: str, request: AssignmentCreate, actor: str | None = None
) -> ResponderRead:
    """Native: put a unit (by id or call sign) and/or a person on an incident."""
    incident = incident_service.get_incident(session, tenant_id, incident_id, full=True)
    unit: Unit | None = None
    if request.unit_id is not None:
        unit = UnitRepository(session).get(tenant_id, request.unit_id)
        if unit is None:
            raise Invalid(f"no unit {request.unit_id}", [FieldError("unit_id", "no such unit")])
    elif request.call_sign is not None:
        unit, _ = UnitRepository(session).get_or_create(tenant_id, request.call_sign)
    person = None
    if request.personnel_id is not None:
        person, _ = PersonnelRepository(session).get_or_create(tenant_id, request.personnel_id)
    assignment = assign(
        session,
        incident,
        unit,
        person,
        is_primary=request.is_primary,
        dispatched_by=request.dispatched_by,
        actor=actor,
    )
    session.flush()
    return responder_read(assignment)


def list_assignments(session: Session, tenant_id: str, incident_id: str) -> AssignmentList:
    incident = incident_service.get_incident(session, tenant_id, incident_id, full=True)
    return AssignmentList(data=[responder_read(a) for a in incident.assignments])


def update_assignment(
    session: Session,
    tenant_id: str,
    incident_id: str,
    assignment_id: str,
    request: AssignmentUpdate,
    actor: str | None = None,
) -> ResponderRead:
    """Native: move one assignment forward (enroute, on scene, cleared) and/or make it primary."""
    incident = incident_service.get_incident(session, tenant_id, incident_id, full=True)
    assignment = next((a for a in incident.assignments if a.id == assignment_id), None)
    if assignment is None:
        raise NotFound(f"Assignment {assignment_id} not found on incident {incident_id}")
    if assignment.cleared_at is not None and (request.status not in (None, "cleared") or request.is_primary):
        raise Conflict(f"Assignment {assignment_id} is cleared; it cannot change any more")
    if request.status in STEPS:
        stamped = _step(incident, assignment, request.status, actor=actor)
        name = assignment.unit.call_sign if assignment.unit else ""
        record(
            incident,
            "unit_status",
            f"{name} {request.status}".strip(),
            actor=actor,
            data={"assignment_id": assignment.id, "to": request.status, "stamped": stamped},
        )
    elif request.status == "cleared":
        clear(incident, assignment, actor=actor)
    if request.is_primary is True:
        if assignment.unit is None:
            raise Invalid("only a unit can be primary", [FieldError("is_primary", "the assignment has no unit")])
        make_primary(incident, assignment, actor=actor)
    elif request.is_primary is False and assignment.is_primary:
        assignment.is_primary = False
        record(incident, "primary_changed", "Primary cleared", actor=actor, data={"assignment_id": None})
    session.flush()
    return responder_read(assignment)
