"""HTTP routes of the native incidents API (Sety-shaped), mounted at /v1 and /v1/external."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.incidents import batch, service
from incidenthub.incidents.repository import IncidentFilter
from incidenthub.incidents.schemas import (
    CancelRequest,
    Category,
    IncidentCreate,
    IncidentEnvelope,
    IncidentPage,
    IncidentRead,
    NoteCreate,
    NoteRead,
    Severity,
    Status,
    StatusChange,
)
from incidenthub.problems import responses
from incidenthub.query_times import QueryTime, query_utc
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(tags=["incidents"])

_AUTH = responses(401, 403)
_WRITE = responses(400, 401, 403, 413, 415, 422)
# Every answer with the incident's SLA reads the tenant's SLA targets first.
_SLA_SETTINGS: dict[int | str, dict[str, Any]] = {
    409: {**responses(409)[409], "description": "Conflict, or the tenant's SLA settings cannot be used"}
}


@router.post(
    "/incidents",
    status_code=201,
    response_model=IncidentEnvelope,
    responses={
        200: {"model": IncidentEnvelope, "description": "Idempotent repeat: the existing incident"},
        **_WRITE,
        **_SLA_SETTINGS,
    },
    summary="Create incident",
)
async def create_incident(
    body: IncidentCreate,
    request: Request,
    response: Response,
    principal: Principal = Depends(require("incidents:write")),
) -> IncidentEnvelope:
    raw: dict[str, Any] = await request.json()
    runtime = runtime_of(request)
    with runtime.database.read_sessions() as session:  # unusable SLA settings refuse it before any write
        targets = service.sla_clock(session, principal.tenant_id).targets
    command = service.native_command(body, raw)
    upsert = batch.Upsert(principal.tenant_id, command, actor=principal.key_id, update=False)
    written: batch.Written = await runtime.writes.run_batched(batch.UPSERT, upsert)
    if written.rows is not None and written.event is not None:
        return IncidentEnvelope(incident=service.created_read(written.rows, written.event, targets), idempotent=False)
    with runtime.database.read_sessions() as session:
        stored = service.read_incident(session, principal.tenant_id, written.result.incident_id)
    if written.result.created:  # made one incident at a time (another writer raced it): read back
        return IncidentEnvelope(incident=stored, idempotent=False)
    # The key was known: the incident it made, unchanged.
    response.status_code = 200
    return IncidentEnvelope(incident=stored, idempotent=True)


@router.get(
    "/incidents",
    response_model=IncidentPage,
    responses={**responses(401, 403, 422), **_SLA_SETTINGS},
    summary="List incidents",
)
def list_incidents(
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("incidents:read")),
    status: Status | None = None,
    category: Category | None = None,
    severity: Severity | None = None,
    source: str | None = None,
    external_id: str | None = None,
    from_date: Annotated[QueryTime | None, Query(description="created at or after (UTC if no offset)")] = None,
    to_date: Annotated[QueryTime | None, Query(description="created at or before (UTC if no offset)")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 20,
) -> IncidentPage:
    filters = IncidentFilter(
        status=status,
        category=category,
        severity=severity,
        source=source,
        external_id=external_id,
        created_from=query_utc("from_date", from_date),
        created_to=query_utc("to_date", to_date),
    )
    return service.list_incidents(session, principal.tenant_id, filters, page, limit)


@router.get(
    "/incidents/{incident_id}",
    response_model=IncidentRead,
    responses={**responses(401, 403, 404), **_SLA_SETTINGS},
    summary="Get incident",
)
def get_incident(
    incident_id: str,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("incidents:read")),
) -> IncidentRead:
    return service.read_incident(session, principal.tenant_id, incident_id)


@router.post(
    "/incidents/{incident_id}/notes",
    status_code=201,
    response_model=NoteRead,
    responses={**_WRITE, **responses(404)},
    summary="Add note",
)
async def add_note(
    incident_id: str,
    body: NoteCreate,
    request: Request,
    principal: Principal = Depends(require("incidents:write")),
) -> NoteRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.add_note(session, tenant_id, incident_id, body, actor=principal.key_id)
    )


@router.post(
    "/incidents/{incident_id}/cancel",
    response_model=IncidentRead,
    responses={**_WRITE, **responses(404, 409)},
    summary="Cancel incident",
)
async def cancel_incident(
    incident_id: str,
    request: Request,
    body: CancelRequest | None = None,
    principal: Principal = Depends(require("incidents:write")),
) -> IncidentRead:
    tenant_id = principal.tenant_id
    reason = body.reason if body else None
    return await runtime_of(request).writes.run(
        lambda session: service.cancel_incident(session, tenant_id, incident_id, reason, actor=principal.key_id)
    )


@router.post(
    "/incidents/{incident_id}/status",
    response_model=IncidentRead,
    responses={**_WRITE, **responses(404, 409)},
    summary="Change incident status",
)
async def change_status(
    incident_id: str,
    body: StatusChange,
    request: Request,
    principal: Principal = Depends(require("incidents:write")),
) -> IncidentRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.change_status(session, tenant_id, incident_id, body, actor=principal.key_id)
    )
