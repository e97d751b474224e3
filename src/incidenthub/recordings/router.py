"""HTTP routes for call-audio recordings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.config import Settings
from incidenthub.problems import responses
from incidenthub.recordings import service
from incidenthub.recordings.schemas import RecordingCreate, RecordingList, RecordingPage, RecordingRead
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(tags=["recordings"])


def match_rules(settings: Settings) -> service.MatchRules:
    return service.MatchRules.from_settings(settings)


@router.post(
    "/recordings",
    status_code=201,
    response_model=RecordingRead,
    responses=responses(400, 401, 403, 413, 422),
    summary="Register a call recording and match it to its incident",
)
async def register_recording(
    body: RecordingCreate,
    request: Request,
    principal: Principal = Depends(require("events:manage", "incidents:write")),
) -> RecordingRead:
    runtime = runtime_of(request)
    rules = match_rules(runtime.settings)
    tenant_id = principal.tenant_id
    return await runtime.writes.run(lambda session: service.register(session, tenant_id, body, rules))


@router.get("/recordings", response_model=RecordingPage, responses=responses(401, 403, 422), summary="List recordings")
def list_recordings(
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("incidents:read")),
    unmatched: Annotated[
        bool | None, Query(description="true: not matched to an incident (unmatched or ambiguous)")
    ] = None,
    position: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RecordingPage:
    return service.list_recordings(
        session, principal.tenant_id, unmatched=unmatched, position=position, page=page, limit=limit
    )


@router.get(
    "/incidents/{incident_id}/recordings",
    response_model=RecordingList,
    responses=responses(401, 403, 404),
    summary="Recordings matched to an incident",
)
def incident_recordings(
    incident_id: str,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("incidents:read")),
) -> RecordingList:
    return RecordingList(data=service.of_incident(session, principal.tenant_id, incident_id))
