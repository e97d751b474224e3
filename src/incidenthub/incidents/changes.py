"""The one place where an incident changes: creation, fields, lifecycle, timeline, deletion.

Every door and every service hands its change to a function here; nothing else writes an incident's
revision, status or timeline. `record` is the single timeline writer and the hook every change passes
through (the audit trail today; the outbox of webhooks and live events writes its rows there too).

The lifecycle: `created -> dispatching -> assigned -> responding -> on_scene -> resolved`. A change may
skip forward (CADs skip steps) but never goes back or repeats; `cancelled` is reachable from every
active state; `resolved` and `cancelled` are final.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, inspect
from sqlalchemy.orm import Session, object_session

from incidenthub.audit import trail
from incidenthub.clock import iso_utc, utcnow
from incidenthub.errors import Conflict
from incidenthub.incidents import (
    classification,
    events,
    response_times,  # its upkeep listens to every commit
    safety,
)
from incidenthub.incidents.commands import IncidentFields
from incidenthub.incidents.repository import IncidentRepository
from incidenthub.models import Assignment, DeletedIncident, Incident, Personnel, Tenant, TimelineEvent
from incidenthub.rows import insert_rows

_TIMELINE = cast(Table, TimelineEvent.__table__)
_TIMELINE_COLUMNS = ("tenant_id", "incident_id", "occurred_at", "event", "status", "message", "actor", "data")

LIFECYCLE: tuple[str, ...] = ("created", "dispatching", "assigned", "responding", "on_scene", "resolved")
FINAL = frozenset({"resolved", "cancelled"})


# Checked at run time too: doors that build fields from a table of names (Sonoran, DevRev) escape mypy.
_FIELD_NAMES = frozenset(IncidentFields.__annotations__)


def check_names(fields: Mapping[str, Any]) -> None:
    """TypeError naming any key that is not a canonical incident field."""
    unknown = set(fields) - _FIELD_NAMES
    if unknown:
        raise TypeError(f"not canonical incident fields: {', '.join(sorted(unknown))}")


def is_active(incident: Incident) -> bool:
    """Whether the incident is still open: only an active incident holds units or changes status."""
    return incident.status not in FINAL


# --- the timeline ------------------------------------------------------------------------------------


def record(
    incident: Incident,
    event: str,
    *,
    message: str | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    new_revision: bool = True,
) -> TimelineEvent:
    """Append one timeline event and (unless it is the creation itself) make a new revision.

    The incident's timeline need not be loaded: then the event is added on its own, without loading it.
    """
    now = at or utcnow()
    row = TimelineEvent(
        tenant_id=incident.tenant_id,
        incident_id=incident.id,
        occurred_at=now,
        event=event,
        status=incident.status,
        message=message,
        actor=actor,
        data=data,
    )
    session = object_session(incident)
    if session is not None and "timeline" in inspect(incident).unloaded:
        session.add(row)
    else:
        incident.timeline.append(row)
    if session is not None:  # an incident of no session is never stored, so it has no events either
        events.from_timeline(session, _entry(row), incident)
        _audit(session, row.incident_id, event, data, incident.external_id)
    if new_revision:
        incident.revision += 1
        incident.updated_at = now
        # The incident no longer is what its source last sent: a repeat of that must be compared in full.
        incident.content_hash = None
    return row


def _entry(row: TimelineEvent) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _TIMELINE_COLUMNS}


def insert_timeline(
    session: Session, entries: Sequence[dict[str, Any]], held: Mapping[str, Incident] | None = None
) -> None:
    """Insert timeline rows written set-based (one statement), with their events; `held`: by id, incidents
    holding what was inserted (`as_incident`), whose state the events take without reading it again."""
    if entries:
        insert_rows(session, _TIMELINE, list(entries))
        for entry in entries:
            incident = (held or {}).get(entry["incident_id"])
            events.from_timeline(session, entry, incident)
            _audit(session, entry["incident_id"], entry["event"], entry["data"], getattr(incident, "external_id", None))


def _audit(session: Session, incident_id: str, event: str, data: Any, external_id: str | None) -> None:
    """The audit trail's note of a timeline event: its kind and the names of the fields it changed."""
    data = data if isinstance(data, dict) else {}
    changed = data.get("changed")
    note_id = data.get("note_id")
    trail.collect(
        session,
        incident_id,
        event=event,
        fields=changed if isinstance(changed, dict) else (),
        external_id=external_id,
        record_id=note_id if isinstance(note_id, str) else None,
    )


def creation_entry(incident: Mapping[str, Any], *, actor: str | None, message: str, at: datetime) -> dict[str, Any]:
    """The `created` timeline row of an incident inserted set-based (`batch`), as `record` writes it for `create`:
    the same columns, so every creation is recorded alike whichever path inserted it."""
    return {
        "tenant_id": incident["tenant_id"],
        "incident_id": incident["id"],
        "occurred_at": at,
        "event": "created",
        "status": incident["status"],
        "message": message,
        "actor": actor,
        "data": None,
    }


# --- creation and fields -----------------------------------------------------------------------------


def rules_of(session: Session, tenant_id: str) -> classification.Rules:
    """The tenant's classification rules (the defaults where it has none, or unusable ones)."""
    tenant = session.get(Tenant, tenant_id)
    # Held for the session's life, so the safety upkeep at the commit finds it without another query.
    session.info.setdefault("tenants_held", {})[tenant_id] = tenant
    try:
        return classification.Rules.from_settings(tenant.settings if tenant else None)
    except classification.RulesError:
        return classification.DEFAULT_RULES  # refused when set; an old value must not stop intake


def classified(fields: IncidentFields, rules: classification.Rules) -> IncidentFields:
    """A new incident's fields with severity, category and title derived where the door set none."""
    return cast(IncidentFields, {**fields, **classification.derive(fields, None, rules)})


def create(
    session: Session,
    tenant_id: str,
    source: str,
    external_id: str | None,
    fields: IncidentFields,
    raw: dict[str, Any] | None,
    *,
    actor: str | None = None,
    message: str = "Incident created",
) -> Incident | None:
    """Insert a canonical incident with its `created` timeline entry.

    None when `(tenant, source, external_id)` already exists (a concurrent writer won): nothing written.
    """
    now = utcnow()
    incident = Incident(
        tenant_id=tenant_id,
        source=source,
        external_id=external_id,
        status="created",
        raw_payload=raw,
        created_at=now,
        updated_at=now,
        revision=1,
        is_drill=False,
        call_taker=None,
        notes=[],
        timeline=[],
        assignments=[],
    )
    check_names(fields)
    for name, value in classified(fields, rules_of(session, tenant_id)).items():
        setattr(incident, name, value)
    if not IncidentRepository(session).insert_unless_exists(incident):
        return None
    record(incident, "created", message=message, actor=actor, at=now, new_revision=False)
    session.flush()
    return incident


def set_fields(incident: Incident, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set canonical fields; return what differed as {field: {"from", "to"}} (nothing is recorded yet)."""
    check_names(changes)
    session = object_session(incident)
    if session is not None and classification.affects(changes):
        changes = {**changes, **classification.derive(changes, incident, rules_of(session, incident.tenant_id))}
    changed: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(incident, name)
        if old == value:
            continue
        setattr(incident, name, value)
        # The raw payload is kept, not repeated in the timeline.
        changed[name] = None if name == "raw_payload" else {"from": plain(old), "to": plain(value)}
    return changed


def record_change(
    incident: Incident,
    changed: Mapping[str, Any],
    *,
    actor: str | None = None,
    event: str = "updated",
    message: str | None = None,
) -> None:
    """One timeline entry saying what changed, and a new revision; nothing when nothing changed."""
    if changed:
        record(
            incident,
            event,
            message=message or "Changed: " + ", ".join(changed),
            actor=actor,
            data={"changed": dict(changed)},
        )


def apply(
    incident: Incident,
    changes: IncidentFields | Mapping[str, Any],
    *,
    actor: str | None = None,
    event: str = "updated",
    message: str | None = None,
) -> list[str]:
    """Set canonical fields; if any differ, one timeline entry lists them and the revision goes up.

    Returns the names of the fields that changed; an empty list means nothing was written.
    """
    reopening = incident.status in FINAL and changes.get("status", incident.status) not in FINAL
    closed = incident.cancelled_at or incident.closed_at or incident.resolved_at or utcnow()
    changed = set_fields(incident, changes)
    record_change(incident, changed, actor=actor, event=event, message=message)
    if reopening:
        _release_held_units(incident, closed, actor=actor)
    return list(changed)


def _release_held_units(incident: Incident, closed: datetime, *, actor: str | None) -> None:
    """A closed incident reopens: the units it had when it closed were released then (a closed incident holds
    none, and they may be on another call now), so their assignments are cleared as of the close."""
    for assignment in incident.assignments:
        clear_assignment(incident, assignment, at=closed, actor=actor, message="released when the incident closed")


def clear_assignment(
    incident: Incident, assignment: Assignment, *, at: datetime, actor: str | None, message: str
) -> None:
    """Release a unit (or person) from the incident: `cleared_at` stamped once, and said in the timeline."""
    if assignment.cleared_at is not None:
        return
    assignment.cleared_at = at
    assignment.status = "cleared"
    assignment.updated_at = utcnow()
    record(
        incident,
        "unit_cleared",
        message=message,
        actor=actor,
        data={"assignment_id": assignment.id, "unit_id": assignment.unit_id},
    )


def assignee(assignment: Assignment) -> str:
    """The unit's call sign, else the person's id: how the timeline names an assignment."""
    if assignment.unit is not None:
        return assignment.unit.call_sign
    return assignment.personnel.personnel_id if assignment.personnel is not None else ""


def _release_units(incident: Incident, *, at: datetime, actor: str | None) -> None:
    """Closing the call (resolved, cancelled, a CAD's close) releases its units: each open assignment is
    cleared at the close, as a CAD clears them, so responders show when they were freed."""
    for assignment in incident.assignments:
        name = assignee(assignment)
        clear_assignment(incident, assignment, at=at, actor=actor, message=f"{name} cleared: call closed".strip())


def plain(value: Any) -> Any:
    """A value as the timeline's JSON can hold it."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Personnel):
        return value.personnel_id
    return value


# --- the lifecycle -----------------------------------------------------------------------------------


def advance(incident: Incident, target: str, *, actor: str | None = None, at: datetime | None = None) -> bool:
    """Follow the units forward to `target`; never back, never out of a final state. Whether it moved."""
    current = incident.status
    if current in FINAL or current not in LIFECYCLE or LIFECYCLE.index(target) <= LIFECYCLE.index(current):
        return False
    changes: dict[str, Any] = {"status": target}
    if target == "assigned" and incident.dispatched_at is None:
        changes["dispatched_at"] = at or utcnow()
    apply(incident, changes, actor=actor, event=target, message=f"Incident {target}")
    return True


def transition(
    incident: Incident,
    target: str,
    *,
    message: str | None = None,
    actor: str | None = None,
    resolution_outcome: str | None = None,
    resolution_notes: str | None = None,
) -> None:
    """An explicit status change (native API): forward only, final states are final (409 otherwise)."""
    if target == "cancelled":
        cancel(incident, message, actor=actor)
        return
    current = incident.status
    if current in FINAL:
        raise Conflict(f"Incident {incident.id} is {current}; it cannot change status any more")
    if current not in LIFECYCLE or LIFECYCLE.index(target) <= LIFECYCLE.index(current):
        raise Conflict(f"cannot go from {current} to {target}: the lifecycle only moves forward")
    now = utcnow()
    if target in FINAL:
        _release_units(incident, at=now, actor=actor)
    incident.status = target
    data: dict[str, Any] = {"from": current}
    if target == "resolved":
        incident.resolved_at = now
        incident.resolution_outcome = resolution_outcome or "handled"
        incident.resolution_notes = resolution_notes
        data["resolution_outcome"] = incident.resolution_outcome
    record(incident, target, message=message, actor=actor, at=now, data=data)


def cancel(incident: Incident, reason: str | None, *, actor: str | None = None) -> None:
    """Cancel an active incident; a resolved or cancelled one is a conflict."""
    if incident.status in FINAL:
        raise Conflict(f"Incident {incident.id} is {incident.status} and cannot be cancelled")
    now = utcnow()
    _release_units(incident, at=now, actor=actor)
    previous, incident.status = incident.status, "cancelled"
    incident.cancelled_at = now
    record(incident, "cancelled", message=reason, actor=actor, at=now, data={"from": previous})


def close(incident: Incident, *, actor: str | None = None, message: str = "Call closed") -> None:
    """A CAD closed the call: `closed_at` now, and resolved unless it already is final."""
    now = utcnow()
    if incident.status not in FINAL:
        _release_units(incident, at=now, actor=actor)
    changes: dict[str, Any] = {"closed_at": now}
    if incident.status not in FINAL:
        changes.update(status="resolved", resolved_at=now)
    apply(incident, changes, actor=actor, event="resolved", message=message)


# --- deletion ----------------------------------------------------------------------------------------


def delete(session: Session, incident: Incident, *, actor: str | None = None, snapshot: dict[str, Any]) -> None:
    """Delete an incident and its children; the deletion itself stays on record (who, when, what it was)."""
    session.add(
        DeletedIncident(
            tenant_id=incident.tenant_id,
            incident_id=incident.id,
            source=incident.source,
            external_id=incident.external_id,
            revision=incident.revision,
            deleted_at=utcnow(),
            actor=actor,
            snapshot=snapshot,
        )
    )
    trail.collect(session, incident.id, event="deleted", external_id=incident.external_id)
    safety.remove(session, incident.tenant_id, incident.id)
    response_times.forget(session, incident.id)  # its rows go with it: their month is counted again
    IncidentRepository(session).delete(incident.tenant_id, incident.id)
