"""Units (registry, status, location) and the native assignment endpoints; the rules live in `assignments`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from incidenthub.audit import trail
from incidenthub.clock import utcnow
from incidenthub.dispatch import assignments
from incidenthub.dispatch.idents import ensure_ident, ident_of
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
from incidenthub.events import outbox
from incidenthub.incidents import changes
from incidenthub.incidents import service as incident_service
from incidenthub.incidents.schemas import ResponderRead
from incidenthub.incidents.shaping import responder_read
from incidenthub.models import Unit

# --- units -----------------------------------------------------------------------------------------


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


# A page of units; the default is the whole page a call answered before there were pages.
MAX_UNIT_PAGE_SIZE = 1000


def list_units(session: Session, tenant_id: str, page: int = 1, limit: int = MAX_UNIT_PAGE_SIZE) -> UnitList:
    """Units by call sign, one page at a time."""
    repository = UnitRepository(session)
    units = repository.list(tenant_id, offset=(page - 1) * limit, limit=limit)
    total = repository.count(tenant_id)
    on_call = current_incidents(session, tenant_id, units)
    return UnitList(
        data=[unit_read(u, on_call.get(u.id)) for u in units],
        page=page,
        limit=limit,
        total=total,
        has_more=page * limit < total,
    )


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
    trail.collect(session, None, record_id=unit.id, event="unit_created", fields=request.model_fields_set)
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
    trail.collect(session, None, record_id=unit.id, event="unit_updated", fields=sent)
    return read_unit(session, tenant_id, unit.id)


def unit_states(
    session: Session, tenant_id: str, unit_ids: Sequence[str], _held: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The units as the native API shows them (the outbox's state of a unit event)."""
    units = UnitRepository(session).get_many(tenant_id, unit_ids)
    on_call = current_incidents(session, tenant_id, units)
    return {unit.id: unit_read(unit, on_call.get(unit.id)).model_dump(mode="json") for unit in units}


def _status_changed(session: Session, unit: Unit, previous: str | None, *, actor: str | None) -> None:
    if previous != unit.status:
        outbox.emit(
            session,
            tenant_id=unit.tenant_id,
            type="unit.status_changed",
            resource_type="unit",
            resource_id=unit.id,
            incident_id=None,
            at=unit.updated_at,
            actor=actor,
            state=unit_states,
            extra={"from": previous, "to": unit.status},
        )


def set_status(session: Session, unit: Unit, status: str, *, actor: str | None = None) -> list[str]:
    """Set a unit's status and let its open assignment and incident follow; returns the times stamped."""
    previous = unit.status
    unit.status = status
    unit.updated_at = utcnow()
    _status_changed(session, unit, previous, actor=actor)
    trail.collect(session, None, record_id=unit.id, event="unit_status", fields=("status",))
    stamped = assignments.follow_unit(session, unit, previous, status, actor=actor)
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
            previous, unit.status, unit.updated_at = unit.status, status, now
            _status_changed(session, unit, previous, actor=actor)
            trail.collect(session, None, record_id=unit.id, event="unit_status", fields=("status",))
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
    trail.collect(object_session(unit), None, record_id=unit.id, event="unit_location", fields=("location",))


def set_panic(session: Session, units: Sequence[Unit], is_panic: bool) -> None:
    """Raise or clear the units' panic flag."""
    now = utcnow()
    for unit in units:
        unit.panic = is_panic
        unit.updated_at = now
        trail.collect(session, None, record_id=unit.id, event="unit_panic", fields=("panic",))
    session.flush()


def change_unit_location(session: Session, tenant_id: str, unit_id: str, request: UnitLocationChange) -> UnitRead:
    unit = get_unit(session, tenant_id, unit_id)
    set_location(unit, request.location, request.latitude, request.longitude)
    session.flush()
    return read_unit(session, tenant_id, unit_id)


# --- assignments -----------------------------------------------------------------------------------


def create_assignment(
    session: Session, tenant_id: str, incident_id: str, request: AssignmentCreate, actor: str | None = None
) -> ResponderRead:
    """Native: put a unit (by id or call sign) and/or a person on an incident."""
    incident = incident_service.get_incident(session, tenant_id, incident_id, full=True, for_update=True)
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
    if unit is not None:
        ensure_ident(session, unit)
    assignment = assignments.assign(
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
    incident = incident_service.get_incident(session, tenant_id, incident_id, full=True, for_update=True)
    assignment = next((a for a in incident.assignments if a.id == assignment_id), None)
    if assignment is None:
        raise NotFound(f"Assignment {assignment_id} not found on incident {incident_id}")
    if assignment.cleared_at is not None and (request.status not in (None, "cleared") or request.is_primary):
        raise Conflict(f"Assignment {assignment_id} is cleared; it cannot change any more")
    if request.status in assignments.STEPS:
        stamped = assignments.step(incident, assignment, request.status, actor=actor)
        name = assignment.unit.call_sign if assignment.unit else ""
        changes.record(
            incident,
            "unit_status",
            message=f"{name} {request.status}".strip(),
            actor=actor,
            data={"assignment_id": assignment.id, "to": request.status, "stamped": stamped},
        )
    elif request.status == "cleared":
        assignments.clear(incident, assignment, actor=actor)
    if request.is_primary is True:
        if assignment.unit is None:
            raise Invalid("only a unit can be primary", [FieldError("is_primary", "the assignment has no unit")])
        assignments.make_primary(incident, assignment, actor=actor)
    elif request.is_primary is False and assignment.is_primary:
        assignment.is_primary = False
        changes.record(
            incident, "primary_changed", message="Primary cleared", actor=actor, data={"assignment_id": None}
        )
    session.flush()
    return responder_read(assignment)
