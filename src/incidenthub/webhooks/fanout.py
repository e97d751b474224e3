"""From the outbox to deliveries: each new event of a tenant, once per active endpoint whose filter takes it.

A tenant's cursor (its last fanned-out `seq`) moves in the transaction that inserts the deliveries, so an
event is fanned out exactly once: never skipped, never twice, whatever crashes in between. The sequence is
handed out in commit order, so nothing can later appear behind the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from incidenthub.clock import utcnow
from incidenthub.events.repository import EventRepository, envelope, matches
from incidenthub.models import OutboxEvent, WebhookCursor, WebhookEndpoint
from incidenthub.models.base import new_id
from incidenthub.webhooks.repository import CursorRepository, DeliveryRepository, EndpointRepository

# An endpoint kind's body for an event: (session, event, the endpoint's secret) -> the JSON body, or None when
# the event means nothing to that kind. Kind `webhook` sends the envelope; the doors give the others.
Renderer = Callable[[Session, OutboxEvent, str], Any]

BATCH = 500


def behind(session: Session) -> bool:
    """Whether some tenant has events not yet fanned out (a cheap read, before taking the write lock)."""
    newer = exists().where(OutboxEvent.tenant_id == WebhookCursor.tenant_id, OutboxEvent.seq > WebhookCursor.last_seq)
    return session.scalar(select(WebhookCursor.tenant_id).where(newer).limit(1)) is not None


def fan_out(session: Session, renderers: Mapping[str, Renderer], *, skip_locked: bool) -> int:
    """Turn the next events of every tenant into deliveries; how many events were taken."""
    taken = 0
    now = utcnow()
    deliveries = DeliveryRepository(session)
    for cursor in CursorRepository(session).claim(skip_locked=skip_locked):
        events = EventRepository(session).after(cursor.tenant_id, cursor.last_seq, BATCH)
        if not events:
            continue
        endpoints = EndpointRepository(session).active(cursor.tenant_id)
        rows = [
            row
            for event in events
            for endpoint in endpoints
            if (row := _delivery(session, renderers, endpoint, event, now)) is not None
        ]
        deliveries.add_many(rows)
        cursor.last_seq = events[-1].seq
        taken += len(events)
    session.flush()
    return taken


def _delivery(
    session: Session,
    renderers: Mapping[str, Renderer],
    endpoint: WebhookEndpoint,
    event: OutboxEvent,
    now: Any,
) -> dict[str, Any] | None:
    if event.seq <= endpoint.start_seq or not any(matches(pattern, event.type) for pattern in endpoint.events):
        return None
    payload: Any
    if endpoint.kind == "webhook":
        payload = envelope(event)
    else:
        render = renderers.get(endpoint.kind)
        payload = render(session, event, endpoint.secret) if render is not None else None
        if payload is None:
            return None
    return {
        "id": new_id("whd"),
        "tenant_id": event.tenant_id,
        "endpoint_id": endpoint.id,
        "event_id": event.event_id,
        "event_type": event.type,
        "incident_id": event.incident_id,
        "seq": event.seq,
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
