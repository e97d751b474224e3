"""The canonical incident in the native read shape (Sety's Incident plus every canonical field)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from incidenthub.incidents import sla
from incidenthub.incidents.repository import Link
from incidenthub.incidents.schemas import (
    Caller,
    IncidentRead,
    Location,
    NoteRead,
    PersonRef,
    RelatedIncident,
    ResponderRead,
    SlaRead,
    Subject,
    TimelineEventRead,
    UnitRef,
)
from incidenthub.models import Assignment, Incident, Note

NATIVE_SOURCE = "native"


@dataclass(frozen=True)
class SlaClock:
    """What an incident's SLA is measured with: the tenant's targets and the request time."""

    targets: sla.Targets
    now: datetime


def note_read(note: Note) -> NoteRead:
    return NoteRead(
        note_id=note.id,
        source_note_id=note.source_note_id,
        note=note.text,
        author=note.author,
        label=note.label,
        noted_at=note.noted_at,
        created_at=note.created_at,
    )


def assigned_at(a: Assignment) -> datetime:
    """When the unit was assigned: the source's dispatch time when it is earlier than when incidenthub recorded
    the assignment (an import, a CAD that reports late), else when incidenthub recorded it."""
    if a.dispatched_at is not None and a.dispatched_at < a.created_at:
        return a.dispatched_at
    return a.created_at


def responder_read(a: Assignment) -> ResponderRead:
    """One assignment in the native read shape (a responder of the incident)."""
    return ResponderRead(
        assignment_id=a.id,
        unit=UnitRef(id=a.unit.id, call_sign=a.unit.call_sign, name=a.unit.name) if a.unit else None,
        personnel=PersonRef(id=a.personnel.id, personnel_id=a.personnel.personnel_id, name=a.personnel.full_name)
        if a.personnel
        else None,
        is_primary=a.is_primary,
        status=a.status,
        dispatched_by=a.dispatched_by,
        assigned_at=assigned_at(a),
        dispatched_at=a.dispatched_at,
        enroute_at=a.enroute_at,
        arrived_at=a.arrived_at,
        cleared_at=a.cleared_at,
        turnout_seconds=sla.seconds_between(a.dispatched_at, a.enroute_at),
        travel_seconds=sla.seconds_between(a.enroute_at, a.arrived_at),
        response_seconds=sla.seconds_between(a.dispatched_at, a.arrived_at),
    )


def sla_read(incident: Incident, clock: SlaClock) -> SlaRead:
    """The incident's SLA at the clock's time, by the tenant's targets."""
    times = sla.SlaTimes.of(incident, incident.assignments)
    return SlaRead.model_validate(sla.evaluate(incident.severity, times, clock.targets, clock.now))


def to_read(
    incident: Incident, links: Sequence[Link], *, timeline: bool = True, clock: SlaClock | None = None
) -> IncidentRead:
    """The canonical record in the native read shape; `timeline=False` leaves the timeline out (unread);
    with a clock, the SLA at its time (without, `sla` is null: event payloads, read at another time)."""
    coordinates = (
        [incident.longitude, incident.latitude]
        if incident.longitude is not None and incident.latitude is not None
        else None
    )
    taker = incident.call_taker
    return IncidentRead(
        incident_id=incident.id,
        idempotency_key=incident.external_id if incident.source == NATIVE_SOURCE else None,
        category=incident.category,
        severity=incident.severity,
        status=incident.status,
        subject=Subject.model_validate(incident.subject) if incident.subject else None,
        title=incident.title,
        description=incident.description,
        location=Location(
            coordinates=coordinates,
            address=incident.address,
            landmark=incident.landmark,
            block=incident.block,
            postal=incident.postal,
        ),
        resolution_outcome=incident.resolution_outcome,
        resolution_notes=incident.resolution_notes,
        is_drill=incident.is_drill,
        timeline=[
            TimelineEventRead(
                status=e.status,
                event=e.event,
                message=e.message,
                timestamp=e.occurred_at,
                actor=e.actor,
                data=e.data,
            )
            for e in (incident.timeline if timeline else ())
        ],
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        resolved_at=incident.resolved_at,
        cancelled_at=incident.cancelled_at,
        source=incident.source,
        external_id=incident.external_id,
        revision=incident.revision,
        number=incident.number,
        case_number=incident.case_number,
        incident_type=incident.incident_type,
        initial_incident_type=incident.initial_incident_type,
        priority=incident.priority,
        stage=incident.stage,
        disposition=incident.disposition,
        caller=Caller(name=incident.caller_name, number=incident.caller_number),
        agency=incident.agency,
        agency_type=incident.agency_type,
        response_area=incident.response_area,
        radio_channel=incident.radio_channel,
        call_source=incident.call_source,
        call_position=incident.call_position,
        call_taker=PersonRef(id=taker.id, personnel_id=taker.personnel_id, name=taker.full_name) if taker else None,
        source_created_at=incident.source_created_at,
        call_received_at=incident.call_received_at,
        call_picked_up_at=incident.call_picked_up_at,
        call_hung_up_at=incident.call_hung_up_at,
        dispatch_queued_at=incident.dispatch_queued_at,
        dispatched_at=incident.dispatched_at,
        acknowledged_at=incident.acknowledged_at,
        identified_at=incident.identified_at,
        mitigated_at=incident.mitigated_at,
        target_close_at=incident.target_close_at,
        closed_at=incident.closed_at,
        tags=incident.tags or [],
        owners=incident.owners or [],
        stakeholders=incident.stakeholders or [],
        custom_fields=incident.custom_fields or {},
        metadata=incident.extra_metadata or {},
        notes=[note_read(note) for note in incident.notes],
        responders=[responder_read(a) for a in incident.assignments],
        related_incidents=[
            RelatedIncident(
                kind=link.kind, source=link.source, external_id=link.external_id, incident_id=link.incident_id
            )
            for link in links
        ],
        sla=sla_read(incident, clock) if clock is not None else None,
    )
