"""The live stream's own query over the outbox (the rest are `events.repository.EventRepository`'s)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incidenthub.models import OutboxEvent


def newest_by_tenant(session: Session, tenant_ids: Sequence[str]) -> dict[str, int]:
    """Each tenant's latest event number, for the tenants that have events (one indexed query)."""
    query = (
        select(OutboxEvent.tenant_id, func.max(OutboxEvent.seq))
        .where(OutboxEvent.tenant_id.in_(tenant_ids))
        .group_by(OutboxEvent.tenant_id)
    )
    return {tenant_id: int(seq) for tenant_id, seq in session.execute(query)}
