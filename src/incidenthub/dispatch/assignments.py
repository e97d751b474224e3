"""The one set of assignment rules, for responders from every door (native dispatch, Sonoran, CAD uploads).

- Only an active incident holds units, and a unit is on at most one active incident: assigning it
  elsewhere clears it (`cleared_at`) from the first. A resolved or cancelled incident takes no new units
  and is never written to by another incident's dispatch.
- The first unit on an incident is its primary unless told otherwise; making another primary takes the
  flag from the first.
- A new live assignment starts as `dispatched` (`dispatched_at` = now). A unit status change stamps the
  matching time of its open assignment once (first value wins); a skipped step stays empty and is never
  filled in once a later step has a time.
- A responder reported by a source system (a CAD upload) keeps the times the source sent; its status is
  the last step that has a time.
- The incident follows its units forward only: first assignment -> assigned, first enroute ->
  responding, first on scene -> on_scene.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from incidenthub.clock import utcnow
from incidenthub.dispatch.repository import AssignmentRepository
from incidenthub.errors import Conflict
from incidenthub.incidents import changes, drafts
from incidenthub.incidents import service as incident_service
from incidenthub.models import Assignment, Incident, Personnel, Unit
from incidenthub.models.base import new_id

# A unit status that is a step of the response, the assignment time it stamps, and where the incident goes.
STEPS: dict[str, tuple[str, str]] = {"enroute": ("enroute_at", "responding"), "on_scene": ("arrived_at", "on_scene")}
ORDER = ("dispatched", "enroute", "on_scene", "cleared")
# The times a source reports for a responder, in the order of the response.
REPORTED_TIMES = ("dispatched_at", "enroute_at", "arrived_at", "cleared_at")


@dataclass(frozen=True)
class Reported:
    """A responder as a source system reports it: who, and the times it sent (None: not sent)."""

    unit: Unit | None
    person: Personnel | None
    dispatched_by: str | None = None
    dispatched_at: datetime | None = None
    enroute_at: datetime | None = None
    arrived_at: datetime | None = None
    cleared_at: datetime | None = None


class _Timed(Protocol):
    @property
    def enroute_at(self) -> datetime | None: ...
    @property
    def arrived_at(self) -> datetime | None: ...
    @property
    def cleared_at(self) -> datetime | None: ...


def status_from_times(assignment: _Timed) -> str:
    """The last step of the response that has a time."""
    if assignment.cleared_at is not None:
        return "cleared"
    if assignment.arrived_at is not None:
        return "on_scene"
    if assignment.enroute_at is not None:
        return "enroute"
    return "dispatched"


def open_assignments(incident: Incident) -> list[Assignment]:
    """The assignments that hold their unit now: not cleared, on an active incident."""
    if not changes.is_active(incident):
        return []
    return [a for a in incident.assignments if a.cleared_at is None]


def primary_of(incident: Incident) -> Assignment | None:
    return next((a for a in open_assignments(incident) if a.is_primary and a.unit is not None), None)


def make_primary(incident: Incident, assignment: Assignment, *, actor: str | None = None) -> bool:
    """`assignment` becomes the incident's only primary; False when it already was."""
    if assignment.is_primary and all(a is assignment or not a.is_primary for a in open_assignments(incident)):
        return False
    for other in open_assignments(incident):
        other.is_primary = other is assignment
    assignment.is_primary = True
    name = assignment.unit.call_sign if assignment.unit else None
    changes.record(
        incident, "primary_changed", message=f"Primary: {name}", actor=actor, data={"assignment_id": assignment.id}
    )
    return True


def clear_primary(incident: Incident, *, actor: str | None = None) -> bool:
    current = primary_of(incident)
    if current is None:
        return False
    current.is_primary = False
    changes.record(incident, "primary_changed", message="Primary cleared", actor=actor, data={"assignment_id": None})
    return True


def clear(incident: Incident, assignment: Assignment, *, actor: str | None = None, reason: str = "cleared") -> None:
    """Release a unit from the incident: stamp `cleared_at` (once) and say so in the timeline."""
    message = f"{changes.assignee(assignment)} {reason}".strip()
    changes.clear_assignment(incident, assignment, at=utcnow(), actor=actor, message=message)


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
    """Put a unit and/or person on a (fully loaded, locked) incident now; repeating an open assignment
    changes nothing. The first unit on an incident becomes its primary unless `is_primary` is False."""
    if not changes.is_active(incident):
        raise Conflict(f"Incident {incident.id} is {incident.status}; units can no longer be assigned")
    for existing in open_assignments(incident):
        if existing.unit_id == (unit.id if unit else None) and existing.personnel_id == (person.id if person else None):
            if is_primary:
                make_primary(incident, existing, actor=actor)
            return existing
    if unit is not None:
        release_elsewhere(session, incident, unit, actor=actor)
    now = utcnow()
    assignment = _new(incident, unit, person, dispatched_by=dispatched_by, dispatched_at=now, status="dispatched")
    session.flush()
    changes.record(
        incident,
        "unit_assigned",
        message=f"{changes.assignee(assignment)} assigned",
        actor=actor,
        data={"assignment_id": assignment.id, "unit_id": assignment.unit_id, "personnel_id": assignment.personnel_id},
    )
    if unit is not None and (is_primary or (is_primary is None and primary_of(incident) is None)):
        make_primary(incident, assignment, actor=actor)
    # Every new assignment starts as dispatched: the unit's current status says nothing about this call,
    # so no later step is stamped until the unit's status changes.
    changes.advance(incident, "assigned", actor=actor, at=now)
    return assignment


def report(
    session: Session, incident: Incident, responders: Sequence[Reported], *, actor: str | None
) -> dict[str, int]:
    """Merge responders a source reports (keyed by person + unit) into the incident, with the source's times.

    A responder left out is kept. On an active incident a responder not yet cleared releases its unit from
    any other incident. Counts of what was added and updated; nothing is written for an unchanged one.
    """
    known = {(a.personnel_id or "", a.unit_id or ""): a for a in incident.assignments}
    has_primary = any(a.is_primary for a in incident.assignments)
    added = updated = 0
    for reported in responders:
        key = (reported.person.id if reported.person else "", reported.unit.id if reported.unit else "")
        assignment = known.get(key)
        times = {name: getattr(reported, name) for name in REPORTED_TIMES}
        if assignment is None:
            if reported.unit is not None and reported.cleared_at is None and changes.is_active(incident):
                release_elsewhere(session, incident, reported.unit, actor=actor)
            assignment = _new(
                incident,
                reported.unit,
                reported.person,
                dispatched_by=reported.dispatched_by,
                status=status_from_times(reported),
                **times,
            )
            if reported.unit is not None and not has_primary:
                assignment.is_primary = has_primary = True
            known[key] = assignment
            added += 1
            continue
        wanted = {**times, "dispatched_by": reported.dispatched_by, "status": status_from_times(reported)}
        differs = False
        for name, value in wanted.items():
            if getattr(assignment, name) != value:
                setattr(assignment, name, value)
                differs = True
        if differs:
            assignment.updated_at = utcnow()
            updated += 1
    return {"added": added, "updated": updated} if added or updated else {}


def _new(
    incident: Incident,
    unit: Unit | None,
    person: Personnel | None,
    *,
    dispatched_by: str | None,
    status: str,
    dispatched_at: datetime | None = None,
    enroute_at: datetime | None = None,
    arrived_at: datetime | None = None,
    cleared_at: datetime | None = None,
) -> Assignment:
    now = utcnow()
    assignment = Assignment(
        tenant_id=incident.tenant_id,
        incident_id=incident.id,
        unit_id=unit.id if unit else None,
        personnel_id=person.id if person else None,
        dispatched_by=dispatched_by,
        is_primary=False,
        status=status,
        dispatched_at=dispatched_at,
        enroute_at=enroute_at,
        arrived_at=arrived_at,
        cleared_at=cleared_at,
        created_at=now,
        updated_at=now,
    )
    assignment.unit = unit
    assignment.personnel = person
    incident.assignments.append(assignment)
    return assignment


def release_elsewhere(session: Session, incident: Incident, unit: Unit, *, actor: str | None) -> None:
    """Clear the unit's open assignment on any other active incident, loading (and locking) only its row."""
    session.flush()  # the lock below refreshes rows this session holds: nothing unflushed may be lost
    for other in AssignmentRepository(session).open_of_units(unit.tenant_id, [unit.id]):
        if other.incident_id == incident.id:
            continue
        previous = incident_service.get_incident(session, unit.tenant_id, other.incident_id, for_update=True)
        # Read again under the lock: another process may have cleared it, or closed that incident, meanwhile.
        session.refresh(other)
        if other.cleared_at is not None or not changes.is_active(previous):
            continue
        other.unit = unit  # known already: clear() names it without loading it again
        clear(previous, other, actor=actor, reason=f"reassigned to {incident.external_id or incident.id}")


def step(incident: Incident, assignment: Assignment, status: str, *, actor: str | None) -> str | None:
    """Stamp the assignment time of a response step if still empty and no later step has a time yet;
    advance the incident. The field stamped."""
    field, lifecycle_target = STEPS[status]
    later = [f for name, (f, _) in STEPS.items() if ORDER.index(name) > ORDER.index(status)]
    stamped = None
    if getattr(assignment, field) is None and all(getattr(assignment, f) is None for f in later):
        setattr(assignment, field, utcnow())
        stamped = field
    current = assignment.status or "dispatched"
    if ORDER.index(status) > ORDER.index(current):
        assignment.status = status
    assignment.updated_at = utcnow()
    changes.advance(incident, lifecycle_target, actor=actor)
    return stamped


def follow_unit(session: Session, unit: Unit, previous: str, status: str, *, actor: str | None) -> list[str]:
    """A unit's status changed: its open assignment and incident follow. The times stamped."""
    stamped: list[str] = []
    for assignment in AssignmentRepository(session).open_of_units(unit.tenant_id, [unit.id]):
        incident = incident_service.get_incident(
            session, unit.tenant_id, assignment.incident_id, full=True, for_update=True
        )
        # The same row as in the incident's loaded assignments (the identity map hands back one object),
        # refreshed by the lock: skip it if another process cleared it or closed the incident meanwhile.
        if assignment.cleared_at is not None or not changes.is_active(incident):
            continue
        field = step(incident, assignment, status, actor=actor) if status in STEPS else None
        if field:
            stamped.append(field)
        if previous != status or field:
            changes.record(
                incident,
                "unit_status",
                message=f"{unit.call_sign} {status}",
                actor=actor,
                data={
                    "assignment_id": assignment.id,
                    "unit_id": unit.id,
                    "call_sign": unit.call_sign,
                    "from": previous,
                    "to": status,
                    "stamped": field,
                },
            )
    return stamped


@dataclass
class NewUnits:
    """Units to put on a new incident (a `drafts.Draft`); `primary`: make the first one its primary
    (False: the first unit still becomes primary when the incident has none, as `assign` does)."""

    incident: drafts.Draft
    units: Sequence[Unit]
    actor: str | None
    primary: bool = True


def assign_new(session: Session, wanted: Sequence[NewUnits], *, at: datetime) -> None:
    """`assign` for many new incidents at once, in order, set-based: one locking lookup of where the units are
    now (per tenant); units on another active incident are released there (one UPDATE of the assignments, one
    of those incidents' revisions, their `unit_cleared` rows inserted with the drafts' own).

    A unit named by two new incidents of the batch ends on the later one, as it would one write at a time.
    """
    by_tenant: dict[str, set[str]] = {}
    for item in wanted:
        by_tenant.setdefault(item.incident.row["tenant_id"], set()).update(unit.id for unit in item.units)
    # unit id -> where it is held now: (incident id, its status, assignment id); drafts take over as they assign.
    held: dict[str, tuple[str, str, str]] = {}
    for tenant_id, unit_ids in by_tenant.items():
        for row in AssignmentRepository(session).holders_locked(tenant_id, sorted(unit_ids)):
            held.setdefault(row.unit_id, (row.incident_id, row.status, row.id))
    drafts = {item.incident.id: item.incident for item in wanted}
    cleared: list[dict[str, Any]] = []  # stored assignments to clear
    bumped: dict[str, int] = {}  # stored incident id -> new timeline rows
    events: list[dict[str, Any]] = []  # their rows
    for item in wanted:
        incident = item.incident
        open_units = {a["unit_id"] for a in incident.assignments if a["cleared_at"] is None}
        tick = 0
        for index, unit in enumerate(dict.fromkeys(item.units)):
            if unit.id in open_units:
                continue
            when = at + timedelta(microseconds=tick)  # assignments are listed by creation time: keep their order
            tick += 1
            reason = f"{unit.call_sign} reassigned to {incident.row['external_id'] or incident.id}"
            holder = held.get(unit.id)
            if holder is not None and holder[0] != incident.id:
                other_id, other_status, assignment_id = holder
                data = {"assignment_id": assignment_id, "unit_id": unit.id}
                if other_id in drafts:
                    other = drafts[other_id]
                    row = next(a for a in other.assignments if a["id"] == assignment_id)
                    row.update(cleared_at=when, status="cleared", updated_at=when)
                    other.record("unit_cleared", message=reason, actor=item.actor, at=when, data=data)
                else:
                    cleared.append({"b_id": assignment_id, "b_at": when})
                    bumped[other_id] = bumped.get(other_id, 0) + 1
                    events.append(
                        {
                            "tenant_id": incident.row["tenant_id"],
                            "incident_id": other_id,
                            "occurred_at": when,
                            "event": "unit_cleared",
                            "status": other_status,
                            "message": reason,
                            "actor": item.actor,
                            "data": data,
                        }
                    )
            assignment_id = new_id("asg")
            primary = (item.primary and index == 0) or not any(
                a["is_primary"] and a["cleared_at"] is None for a in incident.assignments
            )
            incident.assignments.append(
                {
                    "id": assignment_id,
                    "tenant_id": incident.row["tenant_id"],
                    "incident_id": incident.id,
                    "unit_id": unit.id,
                    "personnel_id": None,
                    "dispatched_by": None,
                    "is_primary": False,
                    "status": "dispatched",
                    "dispatched_at": when,
                    "enroute_at": None,
                    "arrived_at": None,
                    "cleared_at": None,
                    "created_at": when,
                    "updated_at": when,
                }
            )
            open_units.add(unit.id)
            held[unit.id] = (incident.id, incident.row["status"], assignment_id)
            incident.record(
                "unit_assigned",
                message=f"{unit.call_sign} assigned",
                actor=item.actor,
                at=when,
                data={"assignment_id": assignment_id, "unit_id": unit.id, "personnel_id": None},
            )
            if primary:
                for other_row in incident.assignments:
                    if other_row["cleared_at"] is None:
                        other_row["is_primary"] = other_row["id"] == assignment_id
                incident.record(
                    "primary_changed",
                    message=f"Primary: {unit.call_sign}",
                    actor=item.actor,
                    at=when,
                    data={"assignment_id": assignment_id},
                )
            incident.advance("assigned", actor=item.actor, at=when)
    AssignmentRepository(session).release(cleared, bumped, at)
    changes.insert_timeline(session, events)
