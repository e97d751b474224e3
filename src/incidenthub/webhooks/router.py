"""HTTP routes of the webhooks API (scope `webhooks:manage`), mounted at /v1 and /v1/external."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.problems import responses
from incidenthub.runtime import read_session, runtime_of
from incidenthub.webhooks import service, urls
from incidenthub.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(tags=["webhooks"])

_MANAGE = require("webhooks:manage")
_READ = responses(401, 403, 404, 422)
_SIGNED = responses(401, 403, 404, 409, 422)
_WRITE = responses(400, 401, 403, 404, 413, 415, 422)
Page = Annotated[int, Query(ge=1, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]


async def _checked(request: Request, url: str) -> str:
    allowed = urls.allowed_networks(runtime_of(request).settings.webhook_allowed_networks)
    return await run_in_threadpool(service.check_url, url, allowed)  # resolves the name: off the event loop


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookWithSecret,
    responses=responses(400, 401, 403, 413, 415, 422),
    summary="Create webhook endpoint",
)
async def create_webhook(
    body: WebhookCreate, request: Request, principal: Principal = Depends(_MANAGE)
) -> WebhookWithSecret:
    await _checked(request, body.url)
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: service.create(session, tenant_id, body))


@router.get("/webhooks", response_model=WebhookPage, responses=responses(401, 403, 422), summary="List webhooks")
def list_webhooks(
    page: Page = 1,
    limit: Limit = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(_MANAGE),
) -> WebhookPage:
    return service.list_endpoints(session, principal.tenant_id, page, limit)


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead, responses=_READ, summary="Get webhook")
def get_webhook(
    webhook_id: str, session: Session = Depends(read_session), principal: Principal = Depends(_MANAGE)
) -> WebhookRead:
    return service.read(session, principal.tenant_id, webhook_id)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookRead, responses=_WRITE, summary="Update webhook")
async def update_webhook(
    webhook_id: str, body: WebhookUpdate, request: Request, principal: Principal = Depends(_MANAGE)
) -> WebhookRead:
    if body.url is not None:
        await _checked(request, body.url)
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: service.update(session, tenant_id, webhook_id, body))


@router.delete("/webhooks/{webhook_id}", status_code=204, responses=_READ, summary="Delete webhook")
async def delete_webhook(webhook_id: str, request: Request, principal: Principal = Depends(_MANAGE)) -> Response:
    tenant_id = principal.tenant_id
    await runtime_of(request).writes.run(lambda session: service.delete(session, tenant_id, webhook_id))
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    responses=_SIGNED,
    summary="Rotate the signing secret (the old one keeps signing during the overlap)",
)
async def rotate_secret(
    webhook_id: str, request: Request, principal: Principal = Depends(_MANAGE)
) -> WebhookWithSecret:
    tenant_id = principal.tenant_id
    overlap = runtime_of(request).settings.webhook_secret_overlap_seconds
    return await runtime_of(request).writes.run(
        lambda session: service.rotate_secret(session, tenant_id, webhook_id, overlap)
    )


@router.post(
    "/webhooks/{webhook_id}/test",
    status_code=202,
    response_model=DeliveryRead,
    responses=_SIGNED,
    summary="Send a webhook.ping event",
)
async def ping_webhook(webhook_id: str, request: Request, principal: Principal = Depends(_MANAGE)) -> DeliveryRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: service.ping(session, tenant_id, webhook_id))


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=_READ,
    summary="List deliveries, newest first, with every attempt",
)
def list_deliveries(
    webhook_id: str,
    status: Literal["pending", "delivered", "failed"] | None = None,
    page: Page = 1,
    limit: Limit = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(_MANAGE),
) -> DeliveryPage:
    return service.deliveries(session, principal.tenant_id, webhook_id, status, page, limit)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryRead,
    responses=_READ,
    summary="Send a delivery again",
)
async def redeliver(
    webhook_id: str, delivery_id: str, request: Request, principal: Principal = Depends(_MANAGE)
) -> DeliveryRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.redeliver(session, tenant_id, webhook_id, delivery_id)
    )
