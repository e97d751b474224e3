"""Every query over the webhook tables, scoped by tenant where a caller asks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, exists, func, insert, select
from sqlalchemy.orm import Session, aliased

from incidenthub.models import WebhookAttempt, WebhookCursor, WebhookDelivery, WebhookEndpoint


class EndpointRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, endpoint: WebhookEndpoint) -> None:
        self.session.add(endpoint)
        self.session.flush()

    def delete(self, endpoint: WebhookEndpoint) -> None:
        self.session.delete(endpoint)
        self.session.flush()

    def get(self, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        endpoint = self.session.get(WebhookEndpoint, endpoint_id)
        return endpoint if endpoint is not None and endpoint.tenant_id == tenant_id else None

    def page(self, tenant_id: str, page: int, limit: int) -> tuple[list[WebhookEndpoint], int]:
        where = WebhookEndpoint.tenant_id == tenant_id
        total = int(self.session.scalar(select(func.count()).where(where)) or 0)
        query = select(WebhookEndpoint).where(where).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        return list(self.session.scalars(query.offset((page - 1) * limit).limit(limit))), total

    def active(self, tenant_id: str) -> list[WebhookEndpoint]:
        query = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.active.is_(True))
        return list(self.session.scalars(query.order_by(WebhookEndpoint.id)))

    def of_kind(self, tenant_id: str, kind: str) -> WebhookEndpoint | None:
        query = select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.kind == kind)
        return self.session.scalars(query.limit(1)).first()


class CursorRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure(self, tenant_id: str, last_seq: int) -> None:
        """The tenant's fan-out cursor, made at `last_seq` if it has none."""
        if self.session.get(WebhookCursor, tenant_id) is None:
            self.session.add(WebhookCursor(tenant_id=tenant_id, last_seq=last_seq))
            self.session.flush()

    def claim(self, *, skip_locked: bool) -> list[WebhookCursor]:
        """The cursors to move, each locked until the commit (PostgreSQL: those another worker holds are skipped)."""
        query = select(WebhookCursor).order_by(WebhookCursor.tenant_id)
        if skip_locked:
            query = query.with_for_update(skip_locked=True)
        return list(self.session.scalars(query))


class DeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(cast(Table, WebhookDelivery.__table__)), rows)

    def get(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None:
        delivery = self.session.get(WebhookDelivery, delivery_id)
        return delivery if delivery is not None and delivery.endpoint_id == endpoint_id else None

    def page(self, endpoint_id: str, status: str | None, page: int, limit: int) -> tuple[list[WebhookDelivery], int]:
        where = [WebhookDelivery.endpoint_id == endpoint_id]
        if status is not None:
            where.append(WebhookDelivery.status == status)
        total = int(self.session.scalar(select(func.count()).where(*where)) or 0)
        query = (
            select(WebhookDelivery)
            .where(*where)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.seq.desc(), WebhookDelivery.id)
        )
        return list(self.session.scalars(query.offset((page - 1) * limit).limit(limit))), total

    def attempts_of(self, delivery_ids: Sequence[str]) -> dict[str, list[WebhookAttempt]]:
        found: dict[str, list[WebhookAttempt]] = {delivery_id: [] for delivery_id in delivery_ids}
        if delivery_ids:
            query = select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
            for attempt in self.session.scalars(query.order_by(WebhookAttempt.id)):
                found[attempt.delivery_id].append(attempt)
        return found

    def due(self, now: datetime, limit: int, *, skip_locked: bool) -> list[WebhookDelivery]:
        """Pending deliveries due now to active endpoints, none behind an earlier pending one of the same
        incident to the same endpoint (order per incident), oldest first; locked until the commit."""
        earlier = aliased(WebhookDelivery)
        blocked = exists().where(
            earlier.endpoint_id == WebhookDelivery.endpoint_id,
            earlier.incident_id == WebhookDelivery.incident_id,
            earlier.status == "pending",
            earlier.seq < WebhookDelivery.seq,
        )
        query = (
            select(WebhookDelivery)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.active.is_(True),
                ~and_(WebhookDelivery.incident_id.is_not(None), blocked),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.seq)
            .limit(limit)
        )
        if skip_locked:
            query = query.with_for_update(of=WebhookDelivery, skip_locked=True)
        return list(self.session.scalars(query))

    def add_attempt(self, attempt: WebhookAttempt) -> None:
        self.session.add(attempt)
