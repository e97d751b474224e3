"""HTTP routes of Sonoran CAD v1: `POST /emergency/<name>` and `POST /general/<name>`, answers in text/plain.

Every failure is HTTP 400 text/plain (500 only for our own faults): Sonoran.js reads a JSON error body as a
success, so v1 never answers JSON for an error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from incidenthub.adapters.sonoran import intake, mapping, service
from incidenthub.adapters.sonoran import schemas_v1 as v1
from incidenthub.adapters.sonoran import units as sonoran_units
from incidenthub.adapters.sonoran.errors import V1Error
from incidenthub.auth import limits, scopes
from incidenthub.auth.dependencies import principal_for_key
from incidenthub.auth.repository import TenantRepository
from incidenthub.auth.service import Principal
from incidenthub.errors import Unauthorized
from incidenthub.inputs import MAX_DEPTH, unstorable
from incidenthub.models import Tenant
from incidenthub.runtime import Runtime, runtime_of

router = APIRouter(tags=["sonoran v1"])
COMMUNITY_ID_MAX = 128  # tenants.sonoran_community_id


def _authenticate(runtime: Runtime, body: dict[str, Any], *accepted: str) -> Principal:
    """The community `id` names the tenant; the `key` must be one of that tenant's keys, with an accepted scope."""
    community, key = body.get("id"), body.get("key")
    community = str(community) if community else None
    if community is not None and (unstorable(community) or len(community) > COMMUNITY_ID_MAX):
        community = None  # no tenant can have it (and databases refuse a NUL or a lone surrogate even in a lookup)
    principal = None
    if isinstance(key, str) and key:
        try:
            principal = principal_for_key(runtime, key)
        except Unauthorized as error:
            limits.failed(runtime, error)  # 429 instead, once this address or key id is throttled
            principal = None
        else:
            limits.admit(runtime, principal)  # counted against the key's rate limit; 429 past it
    if principal is not None and community is not None and principal.sonoran_community_id == community:
        # The usual call: a (cached) key of the community it names. No query; the checks below find why not.
        if any(scopes.grants(principal.scopes, scope) for scope in accepted):
            return principal
        raise V1Error(v1.ENDPOINT_NOT_ENABLED)
    with runtime.database.read_sessions() as session:
        tenant = TenantRepository(session).by_sonoran_community_id(community) if community else None
    if tenant is None:
        if principal is not None:
            with runtime.database.read_sessions() as session:
                own = session.get(Tenant, principal.tenant_id)
            if own is not None and not own.sonoran_community_id:
                raise V1Error(v1.API_NOT_ENABLED)
        raise V1Error(v1.INVALID_COMMUNITY_ID)
    if principal is None or principal.tenant_id != tenant.id:
        raise V1Error(v1.INVALID_API_KEY)
    if not any(scopes.grants(principal.scopes, scope) for scope in accepted):
        raise V1Error(v1.ENDPOINT_NOT_ENABLED)
    return principal


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise V1Error("INVALID REQUEST: the body is not valid JSON") from None
    except RecursionError:
        raise V1Error(f"INVALID REQUEST: the body is nested deeper than {MAX_DEPTH} levels") from None
    if not isinstance(body, dict):
        raise V1Error("INVALID REQUEST: the body must be a JSON object")
    # Checked before anything is looked up or stored; a bad `id` or `key` names no community (_authenticate).
    bad = unstorable({name: value for name, value in body.items() if name not in ("id", "key")})
    if bad:
        # Named as v1's validation errors name a place: data[0].metaData.x
        parts = bad[0].split(".")
        if len(parts) > 1 and parts[0] == "data" and parts[1].isdigit():
            raise V1Error(f"INVALID REQUEST DATA: data[{parts[1]}]{''.join('.' + p for p in parts[2:])}: {bad[1]}")
        raise V1Error(f"INVALID REQUEST: {bad[0]}: {bad[1]}")
    return body


async def _write(request: Request, work: Callable[[Session], str]) -> Response:
    text = await runtime_of(request).writes.run(work)
    return PlainTextResponse(text)


@router.post("/general/{name}", summary="Sonoran v1 general endpoints (get_version, get_servers)")
async def general(name: str, request: Request) -> Response:
    body = await _body(request)
    v1.envelope_type("general", name, body)
    runtime = runtime_of(request)
    # Sonoran.js calls these on start-up with its one integration key: reading or writing dispatch will do.
    principal = await run_in_threadpool(_authenticate, runtime, body, "dispatch:read", "dispatch:write")
    if name == "get_version":
        return PlainTextResponse(str(mapping.SUBSCRIPTION_VERSION))

    def read() -> list[dict[str, Any]]:
        with runtime.database.read_sessions() as session:
            return service.servers(session, principal.tenant_id)

    return JSONResponse({"servers": await run_in_threadpool(read)})


@router.post("/emergency/{name}", summary="Sonoran v1 emergency endpoints (new_dispatch, get_calls, unit_status, ...)")
async def emergency(name: str, request: Request) -> Response:
    body = await _body(request)
    v1.envelope_type("emergency", name, body)
    runtime = runtime_of(request)
    scope = "dispatch:read" if name in v1.READS else "dispatch:write"
    principal = await run_in_threadpool(_authenticate, runtime, body, scope)
    items = v1.data_items(body, name, required=name not in v1.READS)
    tenant, actor = principal.tenant_id, principal.key_id
    if name in v1.READS:
        return await run_in_threadpool(_read, runtime, name, tenant, items)
    if name == "new_dispatch":
        calls = [v1.new_call(item, raw) for item, raw in zip(v1.parse(v1.NewDispatchItem, items), items, strict=True)]
        created = await runtime.writes.run_batched(intake.NEW_CALLS, intake.NewCalls(tenant, actor, calls))
        return PlainTextResponse(v1.join([v1.created_text(call.call_id) for call in created]))
    return await _write(request, _writer(name, tenant, actor, items))


def _read(runtime: Runtime, name: str, tenant: str, items: list[dict[str, Any]]) -> Response:
    with runtime.database.read_sessions() as session:
        if name == "get_calls":
            query = v1.parse(v1.GetCallsItem, items or [{}])[0]
            board = service.get_calls(
                session, tenant, query.serverId, query.closedLimit, query.closedOffset, query.type
            )
            return JSONResponse(
                {
                    "activeCalls": [
                        mapping.dispatch_call_json(c.call, c.incident, iso_time=False) for c in board.active
                    ],
                    "emergencyCalls": [mapping.emergency_call_json(c.call, c.incident) for c in board.emergency],
                    "closedCalls": [
                        mapping.dispatch_call_json(c.call, c.incident, iso_time=False) for c in board.closed
                    ],
                }
            )
        units_query = v1.parse(v1.ActiveUnitsItem, items or [{}])[0]
        units = sonoran_units.active_units(
            session,
            tenant,
            units_query.serverId,
            include_offline=units_query.includeOffline,
            limit=units_query.limit,
            offset=units_query.offset,
        )
        return JSONResponse([mapping.unit_json(unit, v2=False) for unit in units])


T = TypeVar("T")


def _each(parsed: Sequence[T], apply: Callable[[Session, T], str]) -> Callable[[Session], str]:
    return lambda session: v1.join([apply(session, item) for item in parsed])


def _writer(name: str, tenant: str, actor: str, items: list[dict[str, Any]]) -> Callable[[Session], str]:
    """Validate every item now; the returned unit of work applies them all in one transaction."""
    if name == "edit_dispatch":

        def edit(s: Session, pair: tuple[v1.EditDispatchItem, dict[str, Any]]) -> str:
            e, raw = pair
            service.edit_dispatch(s, tenant, e.serverId, e.callId, v1.call_fields(e), raw, actor)
            return v1.edited_text(e.callId)

        return _each(list(zip(v1.parse(v1.EditDispatchItem, items), items, strict=True)), edit)
    if name == "attach_unit":

        def attach(s: Session, a: v1.AttachItem) -> str:
            service.attach(s, tenant, a.serverId, a.callId, a.targets(), actor)
            return v1.UNITS_ATTACHED

        return _each(v1.parse(v1.AttachItem, items), attach)
    if name == "detach_unit":

        def detach(s: Session, d: v1.DetachItem) -> str:
            service.detach(s, tenant, d.serverId, d.targets(), actor)
            return v1.UNITS_DETACHED

        return _each(v1.parse(v1.DetachItem, items), detach)
    if name == "add_call_note":

        def note(s: Session, n: v1.AddNoteItem) -> str:
            service.add_note(s, tenant, n.serverId, n.callId, _note(n), actor)
            return v1.note_text(n.note, n.callId)

        return _each(v1.parse(v1.AddNoteItem, items), note)
    if name == "close_call":

        def close(s: Session, c: v1.CloseItem) -> str:
            service.close_calls(s, tenant, c.serverId, [c.callId], actor)
            return v1.closed_text(c.callId)

        return _each(v1.parse(v1.CloseItem, items), close)
    if name == "set_call_postal":

        def postal(s: Session, p: v1.PostalItem) -> str:
            service.set_postal(s, tenant, p.serverId, p.callId, p.postal, actor)
            return v1.postal_text(p.callId, p.postal)

        return _each(v1.parse(v1.PostalItem, items), postal)
    if name == "set_call_primary":

        def primary(s: Session, p: v1.PrimaryItem) -> str:
            service.set_primary(s, tenant, p.serverId, p.callId, p.primary, p.trackPrimary, actor)
            return v1.primary_text(p.callId, p.primary)

        return _each(v1.parse(v1.PrimaryItem, items), primary)
    if name in ("call_911", "911_call"):
        calls_911 = [
            v1.emergency_call(item, raw) for item, raw in zip(v1.parse(v1.Call911Item, items), items, strict=True)
        ]
        return _each(calls_911, lambda s, c: v1.emergency_text(service.new_emergency(s, tenant, c, actor).call.call_id))
    if name == "remove_911":

        def remove(s: Session, r: v1.Remove911Item) -> str:
            service.remove_emergency(s, tenant, r.serverId, r.callId, actor)
            return v1.removed_text(r.callId)

        return _each(v1.parse(v1.Remove911Item, items), remove)
    if name == "unit_status":

        def status(s: Session, u: v1.UnitStatusItem) -> str:
            service.require_server(s, tenant, u.serverId)
            sonoran_units.unit_status(s, tenant, u.targets(), u.status, actor)
            return v1.UNIT_STATUS_UPDATED

        return _each(v1.parse(v1.UnitStatusItem, items), status)
    if name == "unit_location":
        located = v1.parse(v1.UnitLocationItem, items)
        updates = [update for item in located for update in v1.location_update(item)]

        def locate(s: Session, _: None) -> str:
            for server_id in dict.fromkeys(item.serverId for item in located):
                service.require_server(s, tenant, server_id)
            sonoran_units.unit_locations(s, tenant, updates)
            return v1.UNIT_LOCATION_UPDATED

        return _each([None], locate)
    if name == "unit_panic":

        def panic(s: Session, p: v1.UnitPanicItem) -> str:
            service.require_server(s, tenant, p.serverId)
            sonoran_units.unit_panic(s, tenant, p.targets(), p.isPanic)
            return v1.UNIT_PANIC_UPDATED

        return _each(v1.parse(v1.UnitPanicItem, items), panic)
    raise V1Error(v1.INVALID_REQUEST_TYPE)


def _note(item: v1.AddNoteItem) -> mapping.NoteIn:
    return mapping.NoteIn(content=item.note, label=item.label, type=item.noteType)
