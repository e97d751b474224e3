"""The rules of webhook endpoints: made, changed, rotated, tested and their deliveries read or sent again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from incidenthub.clock import iso_utc, utcnow
from incidenthub.errors import Conflict, FieldError, Invalid, NotFound
from incidenthub.events.repository import EventRepository
from incidenthub.models import WebhookDelivery, WebhookEndpoint
from incidenthub.models.base import new_id
from incidenthub.webhooks import signing, urls
from incidenthub.webhooks.repository import CursorRepository, DeliveryRepository, EndpointRepository
from incidenthub.webhooks.schemas import (
    AttemptRead,
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)

MAX_PAGE_SIZE = 100
PING = "webhook.ping"


def check_url(url: str, allowed: Sequence[urls.Network]) -> str:
    """The URL if a delivery may go there (resolved now); 422 naming `url` otherwise."""
    try:
        urls.resolve(url, allowed)
    except urls.UrlRefused as refused:
        raise Invalid(f"url: {refused}", [FieldError("url", str(refused))]) from None
    return url


def to_read(endpoint: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(
        webhook_id=endpoint.id,
        kind="sonoran" if endpoint.kind == "sonoran" else "webhook",
        url=endpoint.url,
        events=list(endpoint.events),
        description=endpoint.description,
        active=endpoint.active,
        disabled_reason=endpoint.disabled_reason,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def with_secret(endpoint: WebhookEndpoint) -> WebhookWithSecret:
    return WebhookWithSecret(**to_read(endpoint).model_dump(), secret=endpoint.secret)


def _found(session: Session, tenant_id: str, webhook_id: str) -> WebhookEndpoint:
    endpoint = EndpointRepository(session).get(tenant_id, webhook_id)
    if endpoint is None:
        raise NotFound(f"Webhook {webhook_id} not found")
    return endpoint


def _signed(session: Session, tenant_id: str, webhook_id: str, what: str) -> WebhookEndpoint:
    """A Standard Webhooks endpoint: a Sonoran push endpoint has no signing secret and no ping event."""
    endpoint = _found(session, tenant_id, webhook_id)
    if endpoint.kind != "webhook":
        raise Conflict(f"Webhook {webhook_id} is a Sonoran push endpoint: it has no {what} (see `tenant update`)")
    return endpoint


def add_endpoint(
    session: Session,
    tenant_id: str,
    *,
    url: str,
    events: list[str],
    description: str | None = None,
    active: bool = True,
    kind: str = "webhook",
    secret: str | None = None,
) -> WebhookEndpoint:
    """A new endpoint receiving the tenant's events from now on (the URL checked by the caller)."""
    last_seq = EventRepository(session).last_seq(tenant_id)
    now = utcnow()
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id,
        kind=kind,
        url=url,
        events=events,
        description=description,
        active=active,
        secret=secret or signing.new_secret(),
        start_seq=last_seq,
        created_at=now,
        updated_at=now,
    )
    EndpointRepository(session).add(endpoint)
    CursorRepository(session).ensure(tenant_id, last_seq)
    return endpoint


def create(session: Session, tenant_id: str, body: WebhookCreate) -> WebhookWithSecret:
    endpoint = add_endpoint(
        session, tenant_id, url=body.url, events=body.events, description=body.description, active=body.active
    )
    return with_secret(endpoint)


def list_endpoints(session: Session, tenant_id: str, page: int, limit: int) -> WebhookPage:
    rows, total = EndpointRepository(session).page(tenant_id, page, limit)
    data = [to_read(row) for row in rows]
    return WebhookPage(data=data, page=page, limit=limit, total=total, has_more=page * limit < total)


def read(session: Session, tenant_id: str, webhook_id: str) -> WebhookRead:
    return to_read(_found(session, tenant_id, webhook_id))


def update(session: Session, tenant_id: str, webhook_id: str, body: WebhookUpdate) -> WebhookRead:
    endpoint = _found(session, tenant_id, webhook_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("url", "events", "active"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name}: may not be null", [FieldError(name, "may not be null")])
    if "url" in changes:
        endpoint.url = changes["url"]
    if "events" in changes:
        endpoint.events = changes["events"]
    if "description" in changes:
        endpoint.description = changes["description"]
    if "active" in changes:
        if changes["active"] and not endpoint.active:
            endpoint.disabled_reason = None  # re-enabled: it starts afresh
            endpoint.failing_since = None
        endpoint.active = changes["active"]
    endpoint.updated_at = utcnow()
    session.flush()
    return to_read(endpoint)


def delete(session: Session, tenant_id: str, webhook_id: str) -> None:
    EndpointRepository(session).delete(_found(session, tenant_id, webhook_id))


def rotate_secret(session: Session, tenant_id: str, webhook_id: str, overlap_seconds: float) -> WebhookWithSecret:
    """A new secret; the old one keeps signing alongside it for `overlap_seconds`."""
    endpoint = _signed(session, tenant_id, webhook_id, "signing secret")
    now = utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(seconds=overlap_seconds)
    endpoint.secret = signing.new_secret()
    endpoint.updated_at = now
    session.flush()
    return with_secret(endpoint)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one during its overlap."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        found.append(endpoint.previous_secret)
    return found


def ping(session: Session, tenant_id: str, webhook_id: str) -> DeliveryRead:
    """A `webhook.ping` event for this endpoint alone, through the same deliveries as every event."""
    endpoint = _signed(session, tenant_id, webhook_id, "ping event")
    now = utcnow()
    event_id = new_id("evt")
    payload: dict[str, Any] = {
        "id": event_id,
        "seq": None,
        "type": PING,
        "timestamp": iso_utc(now),
        "source": None,
        "actor": None,
        "resource_type": "webhook",
        "resource_id": endpoint.id,
        "incident_id": None,
        "data": {"webhook_id": endpoint.id, "url": endpoint.url},
    }
    delivery = WebhookDelivery(
        tenant_id=tenant_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=PING,
        incident_id=None,
        seq=0,
        payload=payload,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery_read(delivery, [])


def delivery_read(delivery: WebhookDelivery, attempts: Sequence[Any]) -> DeliveryRead:
    return DeliveryRead(
        delivery_id=delivery.id,
        webhook_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        incident_id=delivery.incident_id,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
        attempt_log=[AttemptRead.model_validate(a, from_attributes=True) for a in attempts],
    )


def deliveries(
    session: Session, tenant_id: str, webhook_id: str, status: str | None, page: int, limit: int
) -> DeliveryPage:
    endpoint = _found(session, tenant_id, webhook_id)
    repository = DeliveryRepository(session)
    rows, total = repository.page(endpoint.id, status, page, limit)
    attempts = repository.attempts_of([row.id for row in rows])
    data = [delivery_read(row, attempts[row.id]) for row in rows]
    return DeliveryPage(data=data, page=page, limit=limit, total=total, has_more=page * limit < total)


def redeliver(session: Session, tenant_id: str, webhook_id: str, delivery_id: str) -> DeliveryRead:
    """Send a delivery again (same body, same `webhook-id`) as soon as the worker can: a fresh retry window."""
    endpoint = _found(session, tenant_id, webhook_id)
    repository = DeliveryRepository(session)
    delivery = repository.get(endpoint.id, delivery_id)
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} not found")
    now = utcnow()
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.first_attempt_at = None
    delivery.delivered_at = None
    session.flush()
    return delivery_read(delivery, repository.attempts_of([delivery.id])[delivery.id])


def set_sonoran_push(
    session: Session, tenant_id: str, url: str | None, key: str | None, allowed: Sequence[urls.Network]
) -> WebhookEndpoint | None:
    """The tenant's Sonoran push endpoint (kind `sonoran`, every event): made, changed, or removed by url ''.

    `key` is what each push carries as `key` (the API key the game server expects)."""
    repository = EndpointRepository(session)
    current = repository.of_kind(tenant_id, "sonoran")
    if url == "":
        if current is not None:
            repository.delete(current)
        return None
    if key is not None and not key.strip():
        raise Invalid("the Sonoran push key may not be empty", [FieldError("sonoran_push_key", "empty")])
    if url is not None:
        check_url(url, allowed)
    if current is None:
        if url is None or key is None:
            raise Invalid(
                "a Sonoran push endpoint needs both --sonoran-push-url and --sonoran-push-key",
                [FieldError("sonoran_push_url" if url is None else "sonoran_push_key", "required")],
            )
        return add_endpoint(
            session, tenant_id, url=url, events=["*"], kind="sonoran", secret=key, description="Sonoran push events"
        )
    if url is not None:
        current.url = url
    if key is not None:
        current.secret = key
    current.active, current.disabled_reason, current.failing_since = True, None, None
    current.updated_at = utcnow()
    session.flush()
    return current
