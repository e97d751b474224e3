"""HTTP routes of the API keys API (scope `keys:manage`), mounted at /v1 and /v1/external."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from incidenthub.auth import service
from incidenthub.auth.dependencies import authenticated, require
from incidenthub.auth.schemas import ApiKeyCreate, ApiKeyList, ApiKeyRead, ApiKeyWithSecret, CurrentApiKey
from incidenthub.auth.service import Principal
from incidenthub.problems import responses
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(tags=["api keys"])

_MANAGE = require("keys:manage")


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyWithSecret,
    responses=responses(400, 401, 403, 413, 415, 422),
    summary="Create an API key (its secret is shown only in this answer)",
)
async def create_api_key(
    body: ApiKeyCreate, request: Request, principal: Principal = Depends(_MANAGE)
) -> ApiKeyWithSecret:
    def work(session: Session) -> ApiKeyWithSecret:
        issued = service.issue_key(session, principal, list(body.scopes), body.name, body.expires_at, body.environment)
        return ApiKeyWithSecret.model_validate({**service.key_view(issued.key), "key": issued.secret})

    return await runtime_of(request).writes.run(work)


@router.get("/api-keys", response_model=ApiKeyList, responses=responses(401, 403), summary="List API keys")
def list_api_keys(session: Session = Depends(read_session), principal: Principal = Depends(_MANAGE)) -> ApiKeyList:
    keys = service.list_keys(session, principal.tenant_id)
    return ApiKeyList.model_validate({"data": [service.key_view(key) for key in keys]})


@router.get(
    "/whoami",
    response_model=CurrentApiKey,
    responses=responses(401),
    summary="The calling key: its id, name, scopes, expiry and tenant (any valid key; never the secret)",
)
def current_api_key(
    session: Session = Depends(read_session), principal: Principal = Depends(authenticated)
) -> CurrentApiKey:
    return CurrentApiKey.model_validate(service.current_key(session, principal.key_id))


@router.delete(
    "/api-keys/{key_id}",
    response_model=ApiKeyRead,
    responses=responses(401, 403, 404, 422),
    summary="Revoke an API key (again: the same answer, the first revocation's time)",
)
async def revoke_api_key(key_id: str, request: Request, principal: Principal = Depends(_MANAGE)) -> ApiKeyRead:
    tenant_id = principal.tenant_id
    runtime = runtime_of(request)

    def work(session: Session) -> ApiKeyRead:
        return ApiKeyRead.model_validate(service.key_view(service.revoke_key(session, key_id, tenant_id)))

    revoked = await runtime.writes.run(work)
    runtime.keys.forget(revoked.key_id)  # here at once; other processes within key_cache_seconds
    return revoked
