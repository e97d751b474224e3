"""HTTP routes of the GovWorx door, under GovWorx's own paths."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, Query, Request
from sqlalchemy.orm import Session

from incidenthub.adapters.govworx import mapping, service
from incidenthub.adapters.govworx.schemas import UploadResult, upload_schema
from incidenthub.auth.dependencies import authenticated
from incidenthub.auth.service import Principal
from incidenthub.incidents import batch
from incidenthub.problems import responses
from incidenthub.recordings.router import match_rules
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(prefix="/api/v1/external", tags=["govworx"])

_EXAMPLE = {
    "sysId": "INC-2026-001234",
    "number": "26-001234",
    "incidentType": "Medical Emergency - Cardiac Arrest",
    "incidentDate": "2026-01-06T10:25:00Z",
    "callTakerId": "CT-456",
    "closedAt": "2026-01-06T11:45:00Z",
    "callPosition": "Position-01",
    "callReceivedTime": "2026-01-06T10:23:00Z",
}


@router.put(
    "/incident",
    response_model=UploadResult,
    responses=responses(400, 401, 403, 413, 415, 422),
    summary="Upload Incident (GovWorx)",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": upload_schema()}}}},
    description=(
        "Creates the incident on the first upload of a `sysId`; a repeat with the same content changes "
        "nothing; a changed repeat updates it and bumps `revision`. Needs scope `events:manage`. "
        "Offset-less times are UTC unless `convertFromUtc=false`, then the tenant's local time."
    ),
)
async def upload_incident(
    request: Request,
    body: Annotated[dict[str, Any], Body(examples=[_EXAMPLE])],
    convert_from_utc: Annotated[bool, Query(alias="convertFromUtc")] = True,
    principal: Principal = Depends(authenticated),
) -> UploadResult:
    principal.require("events:manage")
    local = None if convert_from_utc else ZoneInfo(principal.tenant_timezone)
    command = mapping.to_command(mapping.parse_upload(body), body, local)
    runtime = runtime_of(request)
    # An identical repeat is answered by the write path from the stored digest, many to one query; a read
    # of its own per request (tried) made repeats slower, and new uploads too.
    rules = match_rules(runtime.settings)
    upsert = batch.Upsert(principal.tenant_id, command, actor=principal.key_id, rules=rules)
    written: batch.Written = await runtime.writes.run_batched(batch.UPSERT, upsert)
    return service.upload_result(command, written.result)


@router.get(
    "/mcp/resources/incidents/{incident_id}",
    responses=responses(401, 403, 404),
    summary="Get stored incident (GovWorx MCP resource)",
)
def stored_incident(
    incident_id: str, session: Session = Depends(read_session), principal: Principal = Depends(authenticated)
) -> dict[str, Any]:
    principal.require("events:manage", "incidents:read")
    return service.stored_incident(session, principal.tenant_id, incident_id)


@router.get("/user", responses=responses(401, 403, 422), summary="List users (the personnel registry)")
def list_users(
    session: Session = Depends(read_session),
    principal: Principal = Depends(authenticated),
    page: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    size: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> dict[str, Any]:
    principal.require("events:manage", "dispatch:read")
    return service.list_users(session, principal.tenant_id, page, size)


@router.get("/user/single", responses=responses(401, 403, 404, 422), summary="Look up a user")
def find_user(
    session: Session = Depends(read_session),
    principal: Principal = Depends(authenticated),
    user_id: Annotated[str | None, Query(alias="userId")] = None,
    email: str | None = None,
    personnel_id: Annotated[str | None, Query(alias="personnelId")] = None,
) -> dict[str, Any]:
    principal.require("events:manage", "dispatch:read")
    return service.find_user(session, principal.tenant_id, user_id, email, personnel_id)
