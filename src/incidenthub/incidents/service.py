"""Rules of the canonical incident: creation (idempotent), reads, notes and the lifecycle."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from incidenthub.clock import utcnow
from incidenthub.errors import Conflict, FieldError, Invalid, NotFound
from incidenthub.incidents import changes, sla
from incidenthub.incidents.commands import IncidentFields, SourceIncident
from incidenthub.incidents.repository import IncidentFilter, IncidentRepository
from incidenthub.incidents.schemas import (
    IncidentCreate,
    IncidentPage,
    IncidentRead,
    NoteCreate,
    NoteRead,
    StatusChange,
)
from incidenthub.incidents.shaping import NATIVE_SOURCE, SlaClock, note_read, to_read
from incidenthub.models import Incident, Note, TimelineEvent

MAX_PAGE_SIZE = 100


def native_command(request: IncidentCreate, raw: dict[str, Any]) -> SourceIncident:
    """A native create as the command the write path applies (create only: a known key changes nothing)."""
    location = request.location
    subject = request.subject.model_dump() if request.subject else None
    coordinates = location.coordinates if location else None
    fields: IncidentFields = {
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
    return SourceIncident(source=NATIVE_SOURCE, external_id=request.idempotency_key, fields=fields, raw=raw)


def sla_clock(session: Session, tenant_id: str) -> SlaClock:
    """The tenant's SLA targets and the time now; unusable `settings["sla"]` is a 409 naming the member."""
    try:
        targets = sla.from_settings(IncidentRepository(session).tenant_settings(tenant_id))
    except sla.SlaSettingsError as error:
        detail = f"the tenant's SLA settings cannot be used: {error}"
        raise Conflict(detail, [FieldError(f"settings.{error.field}", error.message)]) from None
    return SlaClock(targets, utcnow())


def created_read(rows: dict[str, Any], event: dict[str, Any], targets: sla.Targets) -> IncidentRead:
    """The read shape of an incident the write path just inserted, from the rows it wrote (no query)."""
    values = {("extra_metadata" if name == "metadata" else name): value for name, value in rows.items()}
    values.pop("content_hash", None)
    incident = Incident(**values, call_taker=None, notes=[], assignments=[], timeline=[TimelineEvent(**event)])
    return to_read(incident, [], clock=SlaClock(targets, utcnow()))


def get_incident(
    session: Session, tenant_id: str, incident_id: str, *, full: bool = False, for_update: bool = False
) -> Incident:
    """One incident of this tenant (404 otherwise); `for_update` locks its row for a read-modify-write."""
    incident = IncidentRepository(session).get(tenant_id, incident_id, full=full, for_update=for_update)
    if incident is None:
        raise NotFound(f"Incident {incident_id} not found")
    return incident


def read_incident(session: Session, tenant_id: str, incident_id: str) -> IncidentRead:
    """The full read shape of one incident of this tenant."""
    clock = sla_clock(session, tenant_id)
    incident = get_incident(session, tenant_id, incident_id, full=True)
    links = IncidentRepository(session).links_of(tenant_id, [incident])
    return to_read(incident, links[incident.id], clock=clock)


def list_incidents(session: Session, tenant_id: str, filters: IncidentFilter, page: int, limit: int) -> IncidentPage:
    """Newest first, one page at a time."""
    if filters.created_from and filters.created_to and filters.created_from > filters.created_to:
        raise Invalid("from_date is after to_date", [FieldError("from_date", "must not be after to_date")])
    clock = sla_clock(session, tenant_id)
    repository = IncidentRepository(session)
    rows, total = repository.page(tenant_id, filters, (page - 1) * limit, limit)
    links = repository.links_of(tenant_id, rows)
    return IncidentPage(
        data=[to_read(row, links[row.id], clock=clock) for row in rows],
        page=page,
        limit=limit,
        total=total,
        has_more=page * limit < total,
    )


def add_note(
    session: Session, tenant_id: str, incident_id: str, request: NoteCreate, actor: str | None = None
) -> NoteRead:
    """A note on the incident, also recorded in its timeline."""
    incident = get_incident(session, tenant_id, incident_id, full=True, for_update=True)
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
    changes.record(
        incident, "note_added", message=request.note, actor=request.author or actor, at=now, data={"note_id": note.id}
    )
    session.flush()
    return note_read(note)


def cancel_incident(
    session: Session, tenant_id: str, incident_id: str, reason: str | None, actor: str | None = None
) -> IncidentRead:
    """Cancel an active incident; a resolved or cancelled one is a conflict."""
    incident = get_incident(session, tenant_id, incident_id, full=True, for_update=True)
    changes.cancel(incident, reason, actor=actor)
    session.flush()
    return read_incident(session, tenant_id, incident_id)


def change_status(
    session: Session, tenant_id: str, incident_id: str, request: StatusChange, actor: str | None = None
) -> IncidentRead:
    """Move the incident forward in its lifecycle (or cancel it)."""
    if request.status not in ("resolved", "cancelled") and (request.resolution_outcome or request.resolution_notes):
        raise Invalid(
            "resolution_outcome and resolution_notes belong to status 'resolved'",
            [FieldError("resolution_outcome", "only with status 'resolved'")],
        )
    incident = get_incident(session, tenant_id, incident_id, full=True, for_update=True)
    changes.transition(
        incident,
        request.status,
        message=request.message,
        actor=actor,
        resolution_outcome=request.resolution_outcome,
        resolution_notes=request.resolution_notes,
    )
    session.flush()
    return read_incident(session, tenant_id, incident_id)
