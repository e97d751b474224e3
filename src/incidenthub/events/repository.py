"""Every query over the outbox, and the one JSON shape an event has wherever it goes (webhooks, streams, pages)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from incidenthub.clock import iso_utc
from incidenthub.models import OutboxEvent


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """An event as every consumer receives it (Standard Webhooks' `type`, `timestamp`, `data` and ours)."""
    return {
        "id": event.event_id,
        "seq": event.seq,
        "type": event.type,
        "timestamp": iso_utc(event.occurred_at),
        "source": event.source,
        "actor": event.actor,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "incident_id": event.incident_id,
        "data": event.data,
    }


def matches(pattern: str, event_type: str) -> bool:
    """Whether a subscription pattern takes a type: exact, `*` (everything) or a prefix such as `incident.*`."""
    if pattern in ("*", event_type):
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


class EventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def after(
        self,
        tenant_id: str,
        seq: int,
        limit: int,
        *,
        types: Sequence[str] = (),
        incident_id: str | None = None,
    ) -> list[OutboxEvent]:
        """The tenant's next `limit` events after `seq`, in sequence order; `types` as subscription patterns."""
        query = select(OutboxEvent).where(OutboxEvent.tenant_id == tenant_id, OutboxEvent.seq > seq)
        if incident_id is not None:
            query = query.where(OutboxEvent.incident_id == incident_id)
        if types and "*" not in types:
            query = query.where(
                or_(
                    *(
                        OutboxEvent.type.startswith(t[:-1], autoescape=True)
                        if t.endswith(".*")
                        else OutboxEvent.type == t
                        for t in types
                    )
                )
            )
        return list(self.session.scalars(query.order_by(OutboxEvent.seq).limit(limit)))

    def last_seq(self, tenant_id: str) -> int:
        """The tenant's latest event number (0 before its first event)."""
        return int(
            self.session.scalar(select(func.max(OutboxEvent.seq)).where(OutboxEvent.tenant_id == tenant_id)) or 0
        )
