"""Webhook endpoints, their deliveries (one per event and endpoint) and every attempt of each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.clock import utcnow
from incidenthub.models.base import Base, JSONType, new_id


class WebhookEndpoint(Base):
    """Where a tenant's events go: a signed Standard Webhooks receiver (`webhook`) or a Sonoran game server
    (`sonoran`, Sonoran's `{key, type, data}` push events; its `secret` is the key put in each body).

    The secret is kept as given (the worker signs with it); `previous_secret` keeps signing until
    `previous_secret_expires_at` after a rotation. Events after `start_seq` (the tenant's last event when
    the endpoint was made) are delivered to it.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("wh"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="webhook")
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(1000))
    secret: Mapped[str] = mapped_column(String(200))
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_expires_at: Mapped[datetime | None]
    start_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # When the endpoint began failing without a success since (None while it delivers).
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookCursor(Base):
    """How far the worker has fanned out a tenant's events into deliveries (its outbox `seq`)."""

    __tablename__ = "webhook_cursors"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class WebhookDelivery(Base):
    """One event to one endpoint: its body as it is sent on every attempt, and where it stands.

    `status` is `pending` (due at `next_attempt_at`), `delivered` or `failed` (final). While one is pending,
    the later deliveries of the same incident to the same endpoint wait (order per incident).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "status", "incident_id", "seq"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("whd"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[str | None] = mapped_column(String(32))
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    payload: Mapped[Any] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    first_attempt_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class WebhookAttempt(Base):
    """One POST of a delivery: what came back (status, a bounded excerpt) or what went wrong, and what next."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None]
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(String(2000))
    error: Mapped[str | None] = mapped_column(String(1000))
    next_attempt_at: Mapped[datetime | None]
