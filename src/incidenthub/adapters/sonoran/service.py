"""Rules of Sonoran calls: each is a canonical incident (source `sonoran`, external id = its call id).

Both API generations call these with commands from `adapters.sonoran.mapping`; units, assignments and the
lifecycle are the dispatch service's. Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy.orm import Session

from incidenthub.adapters.sonoran import mapping
from incidenthub.adapters.sonoran.mapping import CallFields, NewCall, NewEmergencyCall, NoteIn, Target
from incidenthub.adapters.sonoran.repository import SonoranCallRepository
from incidenthub.auth.repository import TenantRepository
from incidenthub.clock import utcnow
from incidenthub.dispatch import assignments
from incidenthub.dispatch.idents import ensure_idents
from incidenthub.dispatch.repository import AssignmentRepository, UnitRepository
from incidenthub.errors import AppError, Conflict, FieldError, Invalid, NotFound
from incidenthub.incidents import changes
from incidenthub.incidents import service as incident_service
from incidenthub.incidents.commands import IncidentFields
from incidenthub.incidents.repository import IncidentRepository
from incidenthub.models import Incident, Note, SonoranCall, Tenant, Unit

SERVERS_SETTING = "sonoran_servers"
DISPATCH, EMERGENCY = "dispatch", "emergency"


class SonoranError(AppError):
    """An error with Sonoran's own v1 wording next to the detail v2 shows."""

    def __init__(self, detail: str, v1_text: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail, errors)
        self.v1_text = v1_text


class UnknownServer(SonoranError, NotFound):
    def __init__(self, server_id: int) -> None:
        super().__init__(f"Server {server_id} is not configured for this community", f"INVALID SERVER ID: {server_id}")


class UnknownCall(SonoranError, NotFound):
    def __init__(self, call_id: int) -> None:
        super().__init__(f"Call {call_id} not found", f"INVALID CALL ID: {call_id}")


class UnknownIdent(SonoranError, NotFound):
    def __init__(self, ident: int) -> None:
        super().__init__(f"Unit identifier {ident} not found", f"INVALID IDENT ID: {ident}")


class CallClosed(SonoranError, Conflict):
    def __init__(self, call_id: int) -> None:
        super().__init__(f"Call {call_id} is closed and cannot be reopened", f"CALL {call_id} IS CLOSED")


class NothingToEdit(SonoranError, Invalid):
    status_code = 400

    def __init__(self) -> None:
        text = "ERROR: Missing editable dispatch fields. Provide at least one field to update."
        super().__init__(text, text)


@dataclass
class CallView:
    call: SonoranCall
    incident: Incident


@dataclass
class Board:
    active: list[CallView]
    emergency: list[CallView]
    closed: list[CallView]
    closed_count: int


# --- servers ---------------------------------------------------------------------------------------


def _tenant(session: Session, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found")
    return tenant


def servers(session: Session, tenant_id: str) -> list[dict[str, Any]]:
    """The tenant's configured servers; one default server (id 1) until any are set."""
    configured = (_tenant(session, tenant_id).settings or {}).get(SERVERS_SETTING)
    if isinstance(configured, list) and configured:
        return [dict(server) for server in configured]
    return [_server({"id": mapping.DEFAULT_SERVER, "name": "Server 1"})]


def _server(server: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "name": f"Server {server['id']}",
        "description": "",
        "signal": "",
        "mapUrl": "",
        "mapIp": "",
        "listenerPort": "",
        "differingOutbound": False,
        "outboundIp": "",
        "enableMap": False,
        "mapType": "NORMAL",
        "isStatic": False,
        "liveMapFormat": 0,
    }
    return {**defaults, **server}


def set_servers(session: Session, tenant_id: str, configured: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    tenant = _tenant(session, tenant_id)
    ids = [server["id"] for server in configured]
    if len(set(ids)) != len(ids):
        raise Invalid("server ids must be unique", [FieldError("servers", "duplicate id")])
    tenant.settings = {**(tenant.settings or {}), SERVERS_SETTING: [_server(dict(s)) for s in configured]}
    session.flush()
    return servers(session, tenant_id)


def require_server(session: Session, tenant_id: str, server_id: int) -> None:
    if all(server.get("id") != server_id for server in servers(session, tenant_id)):
        raise UnknownServer(server_id)


# --- calls -----------------------------------------------------------------------------------------


def _call(session: Session, tenant_id: str, server_id: int, call_id: int, kind: str | None) -> CallView:
    call = SonoranCallRepository(session).get(tenant_id, call_id)
    if call is None or call.server_id != server_id or (kind is not None and call.kind != kind):
        raise UnknownCall(call_id)
    incident = incident_service.get_incident(session, tenant_id, call.incident_id, full=True, for_update=True)
    session.refresh(call)  # read again under the incident's lock: another process may have closed it meanwhile
    return CallView(call, incident)


def _add_note(incident: Incident, note: NoteIn, actor: str | None) -> None:
    now = utcnow()
    incident.notes.append(
        Note(
            tenant_id=incident.tenant_id,
            incident_id=incident.id,
            text=note.content,
            author=note.label,
            label=note.type,
            noted_at=now,
            created_at=now,
        )
    )
    changes.record(incident, "note_added", message=note.content, actor=note.label or actor)


def _resolve(session: Session, tenant_id: str, target: Target) -> Unit:
    """The unit a Sonoran target names; API ids and accounts register a unit on first sight."""
    return resolve_all(session, tenant_id, [target])[target]


def resolve_all(session: Session, tenant_id: str, targets: Sequence[Target]) -> dict[Target, Unit]:
    """The unit each target names, with a few queries whatever their number: idents must exist (the first
    unknown one in order is the error); API ids and accounts register a unit on first sight."""
    units = UnitRepository(session)
    idents = [int(t.value) for t in targets if t.kind == "ident"]
    by_ident = units.by_idents(tenant_id, idents)
    for ident in idents:
        if ident not in by_ident:
            raise UnknownIdent(ident)
    values = [str(t.value) for t in targets if t.kind != "ident"]
    by_value = units.by_external_ids(tenant_id, values)
    registered = units.get_or_create_many(tenant_id, [value for value in values if value not in by_value])
    for value, unit in registered.items():
        if value not in (unit.external_ids or []):
            unit.external_ids = [*(unit.external_ids or []), value]
        by_value[value] = unit
    resolved: dict[Target, Unit] = {}
    for target in targets:
        if target.kind == "ident":
            resolved[target] = by_ident[int(target.value)]
            continue
        unit = resolved[target] = by_value[str(target.value)]
        if target.kind == "account" and (unit.extra or {}).get("account") != target.value:
            unit.extra = {**(unit.extra or {}), "account": target.value}
    ensure_idents(session, list(resolved.values()))
    return resolved


def _lookup(session: Session, tenant_id: str, target: Target) -> Unit | None:
    """The unit a Sonoran target names, if the tenant has it; never registers one."""
    found = _lookup_all(session, tenant_id, [target])
    return found[0] if found else None


def _lookup_all(session: Session, tenant_id: str, targets: Sequence[Target]) -> list[Unit]:
    """The distinct units the targets name that the tenant has, in order (two queries); never registers one."""
    units = UnitRepository(session)
    by_ident = units.by_idents(tenant_id, [int(t.value) for t in targets if t.kind == "ident"])
    by_value = units.by_external_ids(tenant_id, [str(t.value) for t in targets if t.kind != "ident"])
    found = (by_ident.get(int(t.value)) if t.kind == "ident" else by_value.get(str(t.value)) for t in targets)
    return list({unit.id: unit for unit in found if unit is not None}.values())


def distinct_units(session: Session, tenant_id: str, targets: Sequence[Target]) -> list[Unit]:
    """The distinct units the targets name, registering API ids and accounts seen for the first time."""
    resolved = resolve_all(session, tenant_id, targets)
    return list({unit.id: unit for unit in resolved.values()}.values())


def _close(session: Session, view: CallView, actor: str | None, message: str = "Call closed") -> None:
    if view.call.closed:
        return
    state = mapping.state_of(view.incident)
    if state.get("status") != mapping.CLOSED:  # close_call / dispatch-calls/close: the kept status says CLOSED too
        custom = {**(view.incident.custom_fields or {}), "sonoran": {**state, "status": mapping.CLOSED}}
        changes.apply(view.incident, {"custom_fields": custom})
    changes.close(view.incident, actor=actor, message=message)  # releases its units too
    view.call.closed, view.call.closed_at = True, view.incident.closed_at
    session.flush()


DISPATCH_CREATED = "Dispatch call created"


def dispatch_fields(command: NewCall, call_id: int) -> IncidentFields:
    """The canonical fields of a new dispatch call (priority defaulted; a call created closed starts `created`)."""
    call_fields = command.fields
    if call_fields.priority is None:
        call_fields = replace(call_fields, priority=mapping.DEFAULT_PRIORITY)
    updates = mapping.canonical_changes(call_fields, {})
    state = {**updates.pop("sonoran_state"), "serverId": command.server_id, "kind": DISPATCH}
    status = command.fields.status if command.fields.status is not None else 0
    state.setdefault("status", status)
    # The names come from the mapping's table of columns; changes.create checks them at run time.
    return {
        **cast(IncidentFields, updates),
        "number": str(call_id),
        "custom_fields": {"sonoran": state},
        "status": "created" if status == mapping.CLOSED else mapping.CALL_STATUSES[status],
    }


def new_dispatch(session: Session, tenant_id: str, command: NewCall, actor: str | None = None) -> CallView:
    """A new dispatch call: its units attached (the first one primary), its notes added.

    Without units, `primary` attaches the unit with that ident if the tenant has one; an unknown ident is
    ignored (the seed's own example names `primary: 123`). Without priority the call gets DEFAULT_PRIORITY.
    """
    require_server(session, tenant_id, command.server_id)
    call_id = TenantRepository(session).next_number(tenant_id, mapping.CALL_COUNTER)
    status = command.fields.status if command.fields.status is not None else 0
    incident = changes.create(
        session,
        tenant_id,
        mapping.SOURCE,
        str(call_id),
        dispatch_fields(command, call_id),
        command.raw,
        actor=actor,
        message=DISPATCH_CREATED,
    )
    if incident is None:
        raise Conflict(f"call id {call_id} already exists; retry")
    call = SonoranCall(tenant_id=tenant_id, call_id=call_id, incident_id=incident.id, server_id=command.server_id)
    call.kind, call.closed = DISPATCH, False
    SonoranCallRepository(session).add(call)
    for note in command.notes:
        _add_note(incident, note, actor)
    view = CallView(call, incident)
    units = distinct_units(session, tenant_id, command.targets)
    if not units and command.primary is not None and command.primary > 0:
        primary = _lookup(session, tenant_id, Target("ident", command.primary))
        units = [primary] if primary is not None else []
    for index, unit in enumerate(units):
        assignments.assign(session, incident, unit, is_primary=index == 0, actor=actor)
    if status == mapping.CLOSED:
        _close(session, view, actor)
    session.flush()
    return view


def edit_dispatch(
    session: Session,
    tenant_id: str,
    server_id: int,
    call_id: int,
    fields: CallFields,
    raw: dict[str, Any],
    actor: str | None = None,
) -> CallView:
    """Change the fields sent; metaData replaces the stored object; `primary` is set as set_call_primary
    sets it (before a status 2 closes the call); all in the caller's transaction."""
    if not fields.sent():
        raise NothingToEdit()
    view = _call(session, tenant_id, server_id, call_id, DISPATCH)
    if view.call.closed and fields.status is not None and fields.status != mapping.CLOSED:
        raise CallClosed(call_id)
    incident = view.incident
    updates = mapping.canonical_changes(fields, mapping.state_of(incident))
    state = updates.pop("sonoran_state")
    updates["custom_fields"] = {**(incident.custom_fields or {}), "sonoran": state}
    updates["raw_payload"] = raw
    changes.apply(incident, updates, actor=actor, event="updated")
    if fields.primary is not None:
        _set_primary(session, tenant_id, view, fields.primary, actor)
    if fields.status == mapping.CLOSED:
        _close(session, view, actor)
    elif fields.status is not None:
        changes.advance(incident, mapping.CALL_STATUSES[fields.status], actor=actor)
    session.flush()
    return view


def _views(session: Session, tenant_id: str, calls: Sequence[SonoranCall]) -> list[CallView]:
    incidents = SonoranCallRepository(session).incidents(tenant_id, calls)
    return [CallView(call, incidents[call.incident_id]) for call in calls]


def get_calls(
    session: Session, tenant_id: str, server_id: int, closed_limit: int, closed_offset: int, call_type: int
) -> Board:
    require_server(session, tenant_id, server_id)
    calls = SonoranCallRepository(session)
    dispatch_calls = call_type in (mapping.CALL_TYPE_DISPATCH, mapping.CALL_TYPE_ALL)
    emergency_calls = call_type in (mapping.CALL_TYPE_EMERGENCY, mapping.CALL_TYPE_ALL)
    active = calls.board(tenant_id, server_id, DISPATCH, closed=False) if dispatch_calls else []
    emergency = calls.board(tenant_id, server_id, EMERGENCY, closed=False) if emergency_calls else []
    closed = (
        calls.board(tenant_id, server_id, DISPATCH, closed=True, offset=closed_offset, limit=closed_limit)
        if dispatch_calls
        else []
    )
    count = calls.count(tenant_id, server_id, DISPATCH, closed=True) if dispatch_calls else 0
    return Board(
        _views(session, tenant_id, active),
        _views(session, tenant_id, emergency),
        _views(session, tenant_id, closed),
        count,
    )


def attach(
    session: Session, tenant_id: str, server_id: int, call_id: int, targets: Sequence[Target], actor: str | None = None
) -> tuple[CallView, list[int]]:
    """Attach units to an open dispatch call; the idents attached."""
    view = _call(session, tenant_id, server_id, call_id, DISPATCH)
    if view.call.closed:
        raise CallClosed(call_id)
    units = distinct_units(session, tenant_id, targets)
    for unit in units:
        assignments.assign(session, view.incident, unit, actor=actor)
    session.flush()
    return view, ensure_idents(session, units)


def detach(
    session: Session, tenant_id: str, server_id: int, targets: Sequence[Target], actor: str | None = None
) -> list[int]:
    """Detach units from whichever call they are on (Sonoran's detach names no call).

    Units are only looked up: one the tenant does not have is on no call, so there is nothing to detach.
    """
    require_server(session, tenant_id, server_id)
    units = _lookup_all(session, tenant_id, targets)
    open_ = AssignmentRepository(session).open_of_units(tenant_id, [u.id for u in units])
    incidents = IncidentRepository(session).get_many(
        tenant_id, [a.incident_id for a in open_], full=True, for_update=True
    )
    for assignment in open_:
        incident = incidents[assignment.incident_id]
        if changes.is_active(incident):  # the lock refreshed it: still open, or closed by another process
            assignments.clear(incident, assignment, actor=actor, reason="detached")
    session.flush()
    return ensure_idents(session, units)


def add_note(
    session: Session, tenant_id: str, server_id: int, call_id: int, note: NoteIn, actor: str | None = None
) -> CallView:
    view = _call(session, tenant_id, server_id, call_id, None)
    _add_note(view.incident, note, actor)
    session.flush()
    return view


def close_calls(
    session: Session, tenant_id: str, server_id: int, call_ids: Sequence[int], actor: str | None = None
) -> list[int]:
    views = [_call(session, tenant_id, server_id, call_id, DISPATCH) for call_id in call_ids]
    for view in views:
        _close(session, view, actor)
    return [view.call.call_id for view in views]


def set_postal(
    session: Session, tenant_id: str, server_id: int, call_id: int, postal: str, actor: str | None = None
) -> CallView:
    view = _call(session, tenant_id, server_id, call_id, DISPATCH)
    changes.apply(view.incident, {"postal": postal}, actor=actor, message=f"Postal set to {postal}")
    session.flush()
    return view


def set_primary(
    session: Session,
    tenant_id: str,
    server_id: int,
    call_id: int,
    ident: int,
    track_primary: bool | None,
    actor: str | None = None,
) -> CallView:
    """Make the unit with this ident the call's primary (attaching it if needed); -1 clears the primary."""
    view = _call(session, tenant_id, server_id, call_id, DISPATCH)
    incident = view.incident
    if track_primary is not None:
        state = {**mapping.state_of(incident), "trackPrimary": track_primary}
        changes.apply(incident, {"custom_fields": {**(incident.custom_fields or {}), "sonoran": state}})
    _set_primary(session, tenant_id, view, ident, actor)
    session.flush()
    return view


def _set_primary(session: Session, tenant_id: str, view: CallView, ident: int, actor: str | None) -> None:
    if ident < 0:
        assignments.clear_primary(view.incident, actor=actor)
        return
    if view.call.closed:
        raise CallClosed(view.call.call_id)
    unit = _resolve(session, tenant_id, Target("ident", ident))
    assignments.assign(session, view.incident, unit, is_primary=True, actor=actor)


def new_emergency(session: Session, tenant_id: str, command: NewEmergencyCall, actor: str | None = None) -> CallView:
    require_server(session, tenant_id, command.server_id)
    call_id = TenantRepository(session).next_number(tenant_id, mapping.CALL_COUNTER)
    state: dict[str, Any] = {"serverId": command.server_id, "kind": EMERGENCY, "isEmergency": command.is_emergency}
    if command.delete_after_minutes is not None:
        state["deleteAfterMinutes"] = command.delete_after_minutes
    fields: IncidentFields = {
        **mapping.emergency_fields(command),
        "number": str(call_id),
        "custom_fields": {"sonoran": state},
    }
    incident = changes.create(
        session, tenant_id, mapping.SOURCE, str(call_id), fields, command.raw, actor=actor, message="911 call received"
    )
    if incident is None:
        raise Conflict(f"call id {call_id} already exists; retry")
    incident.call_received_at = incident.created_at
    call = SonoranCall(tenant_id=tenant_id, call_id=call_id, incident_id=incident.id, server_id=command.server_id)
    call.kind, call.closed = EMERGENCY, False
    SonoranCallRepository(session).add(call)
    return CallView(call, incident)


def remove_emergency(
    session: Session, tenant_id: str, server_id: int, call_id: int, actor: str | None = None
) -> CallView:
    """Take a 911 call off the board: the incident is cancelled, never deleted (it is the audit trail)."""
    view = _call(session, tenant_id, server_id, call_id, EMERGENCY)
    if not view.call.closed:
        now = utcnow()
        if view.incident.status not in changes.FINAL:
            changes.cancel(view.incident, "911 call removed", actor=actor)  # releases any unit on it too
        view.call.closed, view.call.closed_at = True, view.incident.cancelled_at or now
    session.flush()
    return view
