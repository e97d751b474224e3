"""Rules of the canonical incident: creation (idempotent), reads, notes and the lifecycle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from incidenthub.clock import iso_utc, utcnow
from incidenthub.errors import Conflict, FieldError, Invalid, NotFound
from incidenthub.incidents.repository import IncidentFilter, IncidentRepository
from incidenthub.incidents.schemas import (
    IncidentCreate,
    IncidentPage,
    IncidentRead,
    NoteCreate,
    NoteRead,
    StatusChange,
)
from incidenthub.incidents.shaping import NATIVE_SOURCE, note_read, to_read
from incidenthub.models import Incident, Note, Personnel, TimelineEvent

MAX_PAGE_SIZE = 100

# The lifecycle, in order. A change may skip forward (CADs skip steps), never go back.
LIFECYCLE: tuple[str, ...] = ("created", "dispatching", "assigned", "responding", "on_scene", "resolved")
FINAL = frozenset({"resolved", "cancelled"})


@dataclass(frozen=True)
class Created:
    incident: IncidentRead
    idempotent: bool


def _event(
    incident: Incident,
    event: str,
    *,
    message: str | None = None,
    actor: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TimelineEvent:
    row = TimelineEvent(
        tenant_id=incident.tenant_id,
        incident_id=incident.id,
        occurred_at=at or utcnow(),
        event=event,
        status=incident.status,
        message=message,
        actor=actor,
        data=data,
    )
    incident.timeline.append(row)
    return row


def _touch(incident: Incident, at: datetime) -> None:
    incident.revision += 1
    incident.updated_at = at


def create_incident(
    session: Session, tenant_id: str, request: IncidentCreate, raw: dict[str, Any], actor: str | None = None
) -> Created:
    """A new incident; a repeated idempotency key answers the existing one and changes nothing."""
    key = request.idempotency_key
    if key is not None:
        existing = IncidentRepository(session).by_source_id(tenant_id, NATIVE_SOURCE, key)
        if existing is not None:
            return Created(read_incident(session, tenant_id, existing.id), idempotent=True)
    location = request.location
    subject = request.subject.model_dump() if request.subject else None
    coordinates = location.coordinates if location else None
    fields: dict[str, Any] = {
        "category": request.category,
        "severity": request.severity,
        "title": request.title,
        "description": request.description,
        "subject": subject,
        "caller_name": subject["name"] if subject else None,
        "caller_number": subject["phone"] if subject else None,
        "address": location.address if location else None,
        "landmark": location.landmark if location else None,
        "longitude": coordinates[0] if coordinates else None,
        "latitude": coordinates[1] if coordinates else None,
        "is_drill": request.is_drill,
        "extra_metadata": request.metadata,
    }
    incident = create_from_source(session, tenant_id, NATIVE_SOURCE, key, fields, raw, actor=actor)
    if incident is None:
        # Only a keyed create can collide: another writer (another process) made it first. Answer theirs.
        winner = IncidentRepository(session).by_source_id(tenant_id, NATIVE_SOURCE, key) if key else None
        if winner is None:
            raise Conflict("the incident could not be created; retry")
        return Created(read_incident(session, tenant_id, winner.id), idempotent=True)
    return Created(to_read(incident, []), idempotent=False)


def create_from_source(
    session: Session,
    tenant_id: str,
    source: str,
    external_id: str | None,
    fields: Mapping[str, Any],
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
        call_taker=fields.get("call_taker"),
        notes=[],
        timeline=[],
        assignments=[],
    )
    for field, value in fields.items():
        if field != "call_taker":
            setattr(incident, field, value)
    if not IncidentRepository(session).insert_unless_exists(incident):
        return None
    _event(incident, "created", message=message, actor=actor, at=now)
    session.flush()
    return incident


def set_fields(incident: Incident, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Set canonical fields; return what differed as {field: {"from", "to"}} (nothing is recorded yet)."""
    changed: dict[str, Any] = {}
    for field, value in changes.items():
        old = getattr(incident, field)
        if old == value:
            continue
        setattr(incident, field, value)
        # The raw payload is kept, not repeated in the timeline.
        changed[field] = None if field == "raw_payload" else {"from": _plain(old), "to": _plain(value)}
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
    if not changed:
        return
    now = utcnow()
    _event(
        incident,
        event,
        message=message or "Changed: " + ", ".join(changed),
        actor=actor,
        at=now,
        data={"changed": dict(changed)},
    )
    _touch(incident, now)


def apply_changes(
    incident: Incident,
    changes: Mapping[str, Any],
    *,
    actor: str | None = None,
    event: str = "updated",
    message: str | None = None,
) -> list[str]:
    """Set canonical fields; if any differ, bump the revision and say in the timeline what changed.

    Returns the names of the fields that changed; an empty list means nothing was written.
    """
    changed = set_fields(incident, changes)
    record_change(incident, changed, actor=actor, event=event, message=message)
    return list(changed)


def _plain(value: Any) -> Any:
    """A value as the timeline's JSON can hold it."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Personnel):
        return value.personnel_id
    return value


def get_incident(session: Session, tenant_id: str, incident_id: str, *, full: bool = False) -> Incident:
    incident = IncidentRepository(session).get(tenant_id, incident_id, full=full)
    if incident is None:
        raise NotFound(f"Incident {incident_id} not found")
    return incident


def read_incident(session: Session, tenant_id: str, incident_id: str) -> IncidentRead:
    """The full read shape of one incident of this tenant."""
    incident = get_incident(session, tenant_id, incident_id, full=True)
    links = IncidentRepository(session).links_of(tenant_id, [incident])
    return to_read(incident, links[incident.id])


def list_incidents(session: Session, tenant_id: str, filters: IncidentFilter, page: int, limit: int) -> IncidentPage:
    """Newest first, one page at a time."""
    if filters.created_from and filters.created_to and filters.created_from > filters.created_to:
        raise Invalid("from_date is after to_date", [FieldError("from_date", "must not be after to_date")])
    repository = IncidentRepository(session)
    rows, total = repository.page(tenant_id, filters, (page - 1) * limit, limit)
    links = repository.links_of(tenant_id, rows)
    return IncidentPage(
        data=[to_read(row, links[row.id]) for row in rows],
        page=page,
        limit=limit,
        total=total,
        has_more=page * limit < total,
    )


def add_note(
    session: Session, tenant_id: str, incident_id: str, request: NoteCreate, actor: str | None = None
) -> NoteRead:
    """A note on the incident, also recorded in its timeline."""
    incident = get_incident(session, tenant_id, incident_id, full=True)
    now = utcnow()
    note = Note(
        tenant_id=tenant_id,
        incident_id=incident.id,
        text=request.note,
        author=request.author,
        noted_at=now,
        created_at=now,
    )
    incident.notes.append(note)
    session.flush()
    _event(
        incident,
        "note_added",
        message=request.note,
        actor=request.author or actor,
        at=now,
        data={"note_id": note.id},
    )
    _touch(incident, now)
    session.flush()
    return note_read(note)


def cancel_incident(
    session: Session, tenant_id: str, incident_id: str, reason: str | None, actor: str | None = None
) -> IncidentRead:
    """Cancel an active incident; a resolved or cancelled one is a conflict."""
    incident = get_incident(session, tenant_id, incident_id, full=True)
    if incident.status in FINAL:
        raise Conflict(f"Incident {incident_id} is {incident.status} and cannot be cancelled")
    now = utcnow()
    incident.status = "cancelled"
    incident.cancelled_at = now
    _event(incident, "cancelled", message=reason, actor=actor, at=now)
    _touch(incident, now)
    session.flush()
    return read_incident(session, tenant_id, incident_id)


def change_status(
    session: Session, tenant_id: str, incident_id: str, request: StatusChange, actor: str | None = None
) -> IncidentRead:
    """Move the incident forward in its lifecycle (or cancel it)."""
    if request.status == "cancelled":
        return cancel_incident(session, tenant_id, incident_id, request.message, actor)
    if request.status != "resolved" and (request.resolution_outcome or request.resolution_notes):
        raise Invalid(
            "resolution_outcome and resolution_notes belong to status 'resolved'",
            [FieldError("resolution_outcome", "only with status 'resolved'")],
        )
    incident = get_incident(session, tenant_id, incident_id, full=True)
    current = incident.status
    if current in FINAL:
        raise Conflict(f"Incident {incident_id} is {current}; it cannot change status any more")
    if current not in LIFECYCLE or LIFECYCLE.index(request.status) <= LIFECYCLE.index(current):
        raise Conflict(f"cannot go from {current} to {request.status}: the lifecycle only moves forward")
    now = utcnow()
    incident.status = request.status
    if request.status == "resolved":
        incident.resolved_at = now
        incident.resolution_outcome = request.resolution_outcome or "handled"
        incident.resolution_notes = request.resolution_notes
    data: dict[str, Any] = {"from": current}
    if request.status == "resolved":
        data["resolution_outcome"] = incident.resolution_outcome
    _event(incident, request.status, message=request.message, actor=actor, at=now, data=data)
    _touch(incident, now)
    session.flush()
    return read_incident(session, tenant_id, incident_id)
