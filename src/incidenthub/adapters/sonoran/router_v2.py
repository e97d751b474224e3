"""HTTP routes of Sonoran CAD v2: `/v2/emergency/servers/{serverId}/...` and `/v2/general/...`, Bearer auth.

JSON answers; failures are `application/problem+json` shaped as Sonoran's (`type`, `title`, `status`,
`detail`, `instance`, `traceId`). A serverId the tenant does not have is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from sqlalchemy.orm import Session

from incidenthub.adapters.sonoran import intake, mapping, service
from incidenthub.adapters.sonoran import schemas_v2 as v2
from incidenthub.adapters.sonoran import units as sonoran_units
from incidenthub.adapters.sonoran.fields import MAX_INT
from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.errors import FieldError, Invalid
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(prefix="/v2", tags=["sonoran v2"])
SERVER = "/emergency/servers/{serverId}"
T = TypeVar("T")
# Path and query integers, bounded as the body's are (fields.Id / fields.Offset).
ServerId = Annotated[int, Path(ge=1, le=MAX_INT)]
CallId = Annotated[int, Path(ge=1, le=MAX_INT)]

_READ = Depends(require("dispatch:read"))
_WRITE = Depends(require("dispatch:write"))
# Sonoran.js / Sonoran.py ask version and servers on start-up with their one integration key.
_START_UP = Depends(require("dispatch:read", "dispatch:write"))


async def _write(request: Request, tenant: str, server_id: int, work: Callable[[Session], T]) -> T:
    """Run `work` after checking the server, in the write path; answered once committed."""

    def job(session: Session) -> T:
        service.require_server(session, tenant, server_id)
        return work(session)

    return await runtime_of(request).writes.run(job)


def _call(view: service.CallView) -> dict[str, Any]:
    return mapping.dispatch_call_json(view.call, view.incident)


# --- calls -----------------------------------------------------------------------------------------


@router.post(SERVER + "/dispatch-calls", status_code=201, summary="Create dispatch call")
async def create_dispatch_call(
    serverId: ServerId, body: v2.DispatchCallCreate, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    command = body.command(serverId, await request.json())
    payload = intake.NewCalls(principal.tenant_id, principal.key_id, [command])
    created = await runtime_of(request).writes.run_batched(intake.NEW_CALLS, payload)
    body_out: dict[str, Any] = created[0].body
    return body_out


@router.patch(SERVER + "/dispatch-calls/{callId:int}", summary="Update dispatch call (metaData replaces)")
async def update_dispatch_call(
    serverId: ServerId, callId: CallId, body: v2.DispatchCallUpdate, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    raw = await request.json()
    return await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: _call(
            service.edit_dispatch(s, principal.tenant_id, serverId, callId, body.fields(), raw, principal.key_id)
        ),
    )


@router.get(SERVER + "/calls", summary="Get calls")
def get_calls(
    serverId: ServerId,
    closedLimit: Annotated[int, Query(ge=0, le=100)] = 10,
    closedOffset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    type: Annotated[int, Query(json_schema_extra={"enum": list(mapping.CALL_TYPES)})] = mapping.CALL_TYPE_ALL,
    session: Session = Depends(read_session),
    principal: Principal = _READ,
) -> dict[str, Any]:
    if type not in mapping.CALL_TYPES:
        raise Invalid("type must be 0, 1 or 100", [FieldError("type", "must be 0, 1 or 100")])
    board = service.get_calls(session, principal.tenant_id, serverId, closedLimit, closedOffset, type)
    return {
        "ActiveCalls": [_call(view) for view in board.active],
        "EmergencyCalls": [mapping.emergency_call_json(v.call, v.incident) for v in board.emergency],
        "ClosedCalls": [_call(view) for view in board.closed],
        "ClosedCallCount": board.closed_count,
    }


@router.post(SERVER + "/dispatch-calls/close", summary="Close dispatch calls")
async def close_dispatch_calls(
    serverId: ServerId, body: v2.CloseCalls, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    closed = await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: service.close_calls(s, principal.tenant_id, serverId, body.callIds, principal.key_id),
    )
    return {"callIds": closed}


@router.post(SERVER + "/dispatch-calls/{callId}/attachments", summary="Attach units")
async def attach_units(
    serverId: ServerId, callId: CallId, body: v2.Attach, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    _, idents = await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: service.attach(s, principal.tenant_id, serverId, callId, body.targets(), principal.key_id),
    )
    return {"callId": callId, "identIds": idents}


@router.delete(SERVER + "/dispatch-calls/attachments", summary="Detach units")
async def detach_units(
    serverId: ServerId, request: Request, body: Annotated[v2.Detach, Body()], principal: Principal = _WRITE
) -> dict[str, Any]:
    idents = await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: service.detach(s, principal.tenant_id, serverId, body.targets(), principal.key_id),
    )
    return {"identIds": idents}


@router.post(SERVER + "/dispatch-calls/{callId}/notes", summary="Add call note")
async def add_note(
    serverId: ServerId, callId: CallId, body: v2.AddNote, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    note = mapping.NoteIn(content=body.note, label=body.label, type=body.noteType)
    await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: service.add_note(s, principal.tenant_id, serverId, callId, note, principal.key_id),
    )
    return {"callId": callId, "note": body.note}


@router.patch(SERVER + "/dispatch-calls/{callId}/postal", summary="Update call postal")
async def set_postal(
    serverId: ServerId, callId: CallId, body: v2.SetPostal, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: service.set_postal(s, principal.tenant_id, serverId, callId, body.postal, principal.key_id),
    )
    return {"callId": callId, "postal": body.postal}


@router.patch(SERVER + "/dispatch-calls/{callId}/primary", summary="Update call primary")
async def set_primary(
    serverId: ServerId, callId: CallId, body: v2.SetPrimary, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    view = await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: service.set_primary(
            s, principal.tenant_id, serverId, callId, body.identId, body.trackPrimary, principal.key_id
        ),
    )
    return {"callId": callId, "identId": body.identId, "trackPrimary": _call(view)["trackPrimary"]}


@router.post(SERVER + "/calls/911", summary="Create 911 call")
async def create_911_call(
    serverId: ServerId, body: v2.EmergencyCallCreate, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    command = body.command(serverId, await request.json())
    view = await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: service.new_emergency(s, principal.tenant_id, command, principal.key_id),
    )
    return mapping.emergency_call_json(view.call, view.incident)


@router.delete(SERVER + "/calls/911/{callId}", summary="Remove 911 call")
async def remove_911_call(
    serverId: ServerId, callId: CallId, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: service.remove_emergency(s, principal.tenant_id, serverId, callId, principal.key_id),
    )
    return {"callId": callId, "serverId": serverId}


# --- units -----------------------------------------------------------------------------------------


@router.patch(SERVER + "/units/status", summary="Set unit status")
async def set_unit_status(
    serverId: ServerId, body: v2.UnitStatus, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    updated = await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: sonoran_units.unit_status(s, principal.tenant_id, body.targets(), body.status, principal.key_id),
    )
    return {"updated": updated, "status": mapping.UNIT_STATUS_NAMES[body.status]}


@router.patch(SERVER + "/units/panic", summary="Set unit panic")
async def set_unit_panic(
    serverId: ServerId, body: v2.UnitPanic, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    updated = await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: sonoran_units.unit_panic(s, principal.tenant_id, body.targets(), body.isPanic),
    )
    return {"updated": updated, "isPanic": body.isPanic}


@router.patch(SERVER + "/unit-locations", summary="Update unit locations")
async def update_unit_locations(
    serverId: ServerId, body: v2.UnitLocations, request: Request, principal: Principal = _WRITE
) -> dict[str, Any]:
    updates = [update for item in body.updates for update in item.updates()]
    updated = await _write(
        request,
        principal.tenant_id,
        serverId,
        lambda s: sonoran_units.unit_locations(s, principal.tenant_id, updates),
    )
    return {"updated": updated}


@router.get(SERVER + "/units", summary="Get active units")
def get_units(
    serverId: ServerId,
    includeOffline: bool = False,
    onlyUnits: bool = True,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    session: Session = Depends(read_session),
    principal: Principal = _READ,
) -> list[dict[str, Any]]:
    units = sonoran_units.active_units(
        session, principal.tenant_id, serverId, include_offline=includeOffline, limit=limit, offset=offset
    )
    return [mapping.unit_json(unit, v2=True) for unit in units]


# --- general ---------------------------------------------------------------------------------------


@router.get("/general/version", summary="Get version")
def get_version(principal: Principal = _START_UP) -> dict[str, Any]:
    return {"version": mapping.SUBSCRIPTION_VERSION, "name": mapping.SUBSCRIPTION_NAME}


@router.get("/general/servers", summary="Get servers")
def get_servers(session: Session = Depends(read_session), principal: Principal = _START_UP) -> dict[str, Any]:
    return {"servers": service.servers(session, principal.tenant_id)}


@router.put("/general/servers", summary="Set servers (the serverIds this community has)")
async def set_servers(body: v2.Servers, request: Request, principal: Principal = _WRITE) -> dict[str, Any]:
    configured = [server.model_dump(exclude_none=True) for server in body.servers]
    servers = await runtime_of(request).writes.run(lambda s: service.set_servers(s, principal.tenant_id, configured))
    return {"servers": servers}
