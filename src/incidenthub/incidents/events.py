"""What an incident's change says to the world: its timeline entries as outbox events.

Every change of an incident writes a timeline entry (`changes.record`, its set-based twins in `changes` and
`batch`); each entry hands itself here and becomes zero or more events. So whichever door or path made
the change, the same change gives the same events.

The types (Sety's `incident.*` and the assignment events):
- `incident.created`; `incident.updated` with `changed` ({field: {from, to}});
- `incident.status_changed` with `from` and `to` on every status change, and besides it
  `incident.resolved` or `incident.cancelled` when the new status is that;
- `incident.note_added` with `note_id`; `incident.linked` with the `added` source ids;
- `assignment.created` when a unit or person is put on the incident, `assignment.updated` when it moves
  (en route, on scene, cleared, made primary).

An incident event carries the incident as the native API shows it (`object`, without its timeline: the
events are the timeline); an assignment event carries the responder and its `incident_id`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from incidenthub.events import outbox
from incidenthub.incidents.repository import IncidentRepository
from incidenthub.incidents.shaping import responder_read, to_read
from incidenthub.models import Assignment, Incident
from incidenthub.models.base import unindexed

_ASSIGNMENT_EVENTS = {"unit_assigned": "assignment.created", "unit_status": "assignment.updated"}
_ASSIGNMENT_EVENTS["unit_cleared"] = _ASSIGNMENT_EVENTS["primary_changed"] = "assignment.updated"
_STATE_RELATIONS = frozenset({"notes", "assignments", "call_taker"})
_FINAL_TYPES = {"resolved": "incident.resolved", "cancelled": "incident.cancelled"}


def types_of(event: str, status: str | None, data: Mapping[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """The outbox events (type, extra data) of one timeline entry: `event` its name, `status` the incident's
    status after it, `data` what it recorded."""
    data = data or {}
    changed: Mapping[str, Any] = data.get("changed") or {}
    found: list[tuple[str, dict[str, Any]]] = []
    if event == "created":
        found.append(("incident.created", {}))
    elif event == "note_added":
        found.append(("incident.note_added", {"note_id": data.get("note_id")}))
    elif event in _ASSIGNMENT_EVENTS and data.get("assignment_id"):
        found.append((_ASSIGNMENT_EVENTS[event], {k: v for k, v in data.items() if k != "assignment_id"}))
    elif set(changed) - {"status"} or not (changed or event == status):
        found.append(("incident.updated", {"changed": dict(changed)}))
    links = changed.get("related_incidents") or {}
    if links.get("added"):
        found.append(("incident.linked", {"added": list(links["added"])}))
    moved = _status_change(event, status, data)
    if moved is not None:
        found.append(("incident.status_changed", {"from": moved[0], "to": moved[1]}))
        if moved[1] in _FINAL_TYPES:
            found.append((_FINAL_TYPES[moved[1]], {"from": moved[0]}))
    return found


def _status_change(event: str, status: str | None, data: Mapping[str, Any]) -> tuple[str, str] | None:
    """(from, to) when the entry changed the status: `changed.status` (field changes), or `from` in an
    entry named after the status it reached (`changes.transition` and `changes.cancel`)."""
    change = (data.get("changed") or {}).get("status")
    if isinstance(change, Mapping) and change.get("from") != change.get("to"):
        return str(change.get("from")), str(change.get("to"))
    if event == status and "from" in data and data["from"] != status:
        return str(data["from"]), status
    return None


def from_timeline(session: Session, entry: Mapping[str, Any], incident: Incident | None = None) -> None:
    """Queue the events of one timeline entry (a row of `timeline_events`, as inserted); `incident` the
    stored incident it changed, when the change holds it (its state is then read from it, not again)."""
    for type_, extra in types_of(entry["event"], entry.get("status"), entry.get("data")):
        assignment = type_.startswith("assignment.")
        outbox.emit(
            session,
            tenant_id=entry["tenant_id"],
            type=type_,
            resource_type="assignment" if assignment else "incident",
            resource_id=(entry.get("data") or {})["assignment_id"] if assignment else entry["incident_id"],
            incident_id=entry["incident_id"],
            at=entry["occurred_at"],
            actor=entry.get("actor"),
            state=assignment_states if assignment else incident_states,
            extra=extra,
            held=None if assignment else incident,
        )


def incident_states(
    session: Session, tenant_id: str, incident_ids: Sequence[str], held: Mapping[str, Incident]
) -> dict[str, dict[str, Any]]:
    """The incidents as the native API shows them, without their timelines and SLA (which depends on when it
    is read: read the incident for it)."""
    repository = IncidentRepository(session)
    incidents = [held[i] for i in incident_ids if i in held and _whole(held[i])]
    missing = sorted(set(incident_ids) - {incident.id for incident in incidents})
    if missing:
        incidents += repository.states(tenant_id, missing)
    links = repository.links_of(tenant_id, incidents)
    return {
        incident.id: to_read(incident, links[incident.id], timeline=False).model_dump(
            mode="json", exclude={"timeline", "sla"}
        )
        for incident in incidents
    }


def _whole(incident: Incident) -> bool:
    """Whether an incident a change held has everything its state shows: one built from what was inserted
    (`drafts.as_incident`), or a stored one with it all loaded (a change made through the ORM loads it whole,
    and is flushed before the events are written, so it is current). Then no read is needed."""
    if not isinstance(incident, Incident):
        return True
    if inspect(incident).unloaded & _STATE_RELATIONS:
        return False
    return all(_assignment_loaded(a) for a in incident.assignments)


def _assignment_loaded(assignment: Assignment) -> bool:
    return not inspect(assignment).unloaded & {"unit", "personnel"}


def assignment_states(
    session: Session, tenant_id: str, assignment_ids: Sequence[str], _held: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """The assignments as the native API shows a responder, with the incident they are on."""
    query = (
        select(Assignment)
        .where(unindexed(Assignment.tenant_id) == tenant_id, Assignment.id.in_(assignment_ids))
        .options(selectinload(Assignment.unit), selectinload(Assignment.personnel))
        .execution_options(populate_existing=True)
    )
    return {
        a.id: {**responder_read(a).model_dump(mode="json"), "incident_id": a.incident_id}
        for a in session.scalars(query)
    }
