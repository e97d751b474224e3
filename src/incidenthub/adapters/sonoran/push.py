"""Sonoran push events: what a tenant's game server hears (`POST http://ip:port/sonorancad/event`) when one of
its calls or units changes, in Sonoran's `{key, type, data}` shape (vendor-apis.md section 1.5).

The webhook worker asks here for the body of each outbox event going to an endpoint of kind `sonoran`; None
means the event says nothing to Sonoran (an incident that is no Sonoran call, a unit without an ident). The
call is shown as it is when the event is fanned out (a moment after its commit).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from incidenthub.adapters.sonoran import mapping
from incidenthub.adapters.sonoran.repository import SonoranCallRepository
from incidenthub.models import Assignment, Incident, OutboxEvent, SonoranCall, Unit

_ENDED = ("resolved", "cancelled")


def _body(key: str, type_: str, data: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "data": data}


def render(session: Session, event: OutboxEvent, key: str) -> dict[str, Any] | None:
    """The push event of an outbox event for this tenant's game server, or None."""
    if event.type == "unit.status_changed":
        unit = session.get(Unit, event.resource_id)
        ident = mapping.ident_of(unit) if unit is not None and unit.tenant_id == event.tenant_id else None
        if unit is None or ident is None:
            return None
        status = mapping.UNIT_STATUS_CODES.get(unit.status, 0)
        return _body(key, "EVENT_UNIT_STATUS", {"identIds": [ident], "status": status})
    if event.incident_id is None:
        return None
    call = session.scalars(
        select(SonoranCall).where(
            SonoranCall.tenant_id == event.tenant_id, SonoranCall.incident_id == event.incident_id
        )
    ).first()
    if call is None:
        return None
    incident = SonoranCallRepository(session).incidents(event.tenant_id, [call]).get(call.incident_id)
    if incident is None:
        return None
    if event.type == "incident.created":
        if call.kind == "emergency":
            emergency: dict[str, Any] = {
                "call": mapping.emergency_call_json(call, incident),
                "apiIds": [],
                "communityUserId": None,
                "metaData": incident.extra_metadata or {},
            }
            return _body(key, "EVENT_911", [emergency])
        return _body(key, "EVENT_DISPATCH_NEW", _dispatch(call, incident))
    if call.kind != "dispatch":
        return None
    return _dispatch_change(session, event, call, incident, key)


def _dispatch(call: SonoranCall, incident: Incident) -> dict[str, Any]:
    return {"eventOriginIdent": None, "dispatch": mapping.dispatch_call_json(call, incident, iso_time=False)}


def _dispatch_change(
    session: Session, event: OutboxEvent, call: SonoranCall, incident: Incident, key: str
) -> dict[str, Any] | None:
    data = event.data or {}
    if event.type in ("incident.resolved", "incident.cancelled"):
        return _body(key, "EVENT_DISPATCH_CLOSED", {"eventOriginIdent": None, "callIds": [call.call_id]})
    if event.type in ("incident.updated", "incident.linked") or (
        event.type == "incident.status_changed" and data.get("to") not in _ENDED
    ):
        return _body(key, "EVENT_DISPATCH_EDIT", _dispatch(call, incident))
    if event.type == "incident.note_added":
        note = next((n for n in incident.notes if n.id == data.get("note_id")), None)
        if note is None and data.get("note_id") is None:
            # A note whose entry names no note (the Sonoran door's own): the last one written by then.
            earlier = [n for n in incident.notes if n.noted_at <= event.occurred_at]
            note = max(earlier, key=lambda n: n.noted_at) if earlier else None
        if note is None:
            return None
        return _body(
            key, "EVENT_DISPATCH_NOTE", {"callId": call.call_id, "note": mapping.note_json(note, iso_time=False)}
        )
    if event.type.startswith("assignment."):
        assignment = session.get(Assignment, event.resource_id)
        ident = mapping.ident_of(assignment.unit) if assignment is not None else None
        if ident is None:
            return None
        attach = {"eventOriginIdent": None, "ident": ident, "callId": call.call_id}
        if event.type == "assignment.created":
            return _body(key, "EVENT_DISPATCH_UNIT_ATTACH", attach)
        if "unit_id" in data and "to" not in data:  # a unit_cleared entry: the unit left the call
            return _body(key, "EVENT_DISPATCH_UNIT_DETACH", attach)
    return None
