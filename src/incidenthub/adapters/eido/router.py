"""HTTP routes of the EIDO door: the export under /v1 (and /v1/external), NENA's dereference path, the import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from sqlalchemy.orm import Session

from incidenthub.adapters.eido import mapping, service
from incidenthub.adapters.eido.schemas import DOCUMENT_SCHEMA, EidoImported
from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.incidents import batch
from incidenthub.problems import responses
from incidenthub.recordings.router import match_rules
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(tags=["eido"])
dereference = APIRouter(tags=["eido"])

_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {"description": "The EIDO document", "content": {"application/json": {"schema": DOCUMENT_SCHEMA}}}
}


@router.get(
    "/incidents/{incident_id}/eido",
    responses={**_DOCUMENT, **responses(401, 403, 404)},
    summary="Get incident as a NENA EIDO document",
    description="The incident as an Emergency Incident Data Object (NENA-STA-021.1). Needs scope `incidents:read`.",
)
def incident_eido(
    incident_id: str,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("incidents:read")),
) -> dict[str, Any]:
    return service.document(session, principal.tenant_id, principal.tenant_slug, incident_id)


@dereference.get(
    "/EIDO/{IncidentId}",
    responses={**_DOCUMENT, **responses(401, 403, 404)},
    summary="Dereference an EIDO (NENA's GetEIDO)",
    description="NENA's dereference path: the same document as `GET /v1/incidents/{incident_id}/eido`.",
    operation_id="GetEIDO",
)
def get_eido(
    IncidentId: str,  # NENA's parameter name
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("incidents:read")),
) -> dict[str, Any]:
    return service.document(session, principal.tenant_id, principal.tenant_slug, IncidentId)


@router.post(
    "/eido",
    status_code=201,
    response_model=EidoImported,
    responses={
        200: {"model": EidoImported, "description": "The incident existed: updated, or unchanged by the same document"},
        **responses(400, 401, 403, 413, 415, 422),
    },
    summary="Import a NENA EIDO document as an incident",
    description=(
        "Creates the incident the document's `incidentComponent.$id` names (source `eido`), or updates it; the same "
        "document again changes nothing. A document NENA's schema refuses, or with a `$ref` naming no component, is "
        "answered 422 with each JSON pointer in `errors[].field`. Needs scope `incidents:write`."
    ),
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": DOCUMENT_SCHEMA}}}},
)
async def import_eido(
    request: Request,
    response: Response,
    body: Annotated[dict[str, Any], Body()],
    principal: Principal = Depends(require("incidents:write")),
) -> EidoImported:
    command = mapping.to_command(mapping.check(body))
    runtime = runtime_of(request)
    upsert = batch.Upsert(principal.tenant_id, command, actor=principal.key_id, rules=match_rules(runtime.settings))
    written: batch.Written = await runtime.writes.run_batched(batch.UPSERT, upsert)
    if not written.result.created:
        response.status_code = 200
    return service.imported(command, written.result)
