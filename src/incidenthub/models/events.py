"""The outbox: every change of state, written in the transaction that made it, for webhooks and live streams."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.models.base import Base, JSONType, SeqType, new_id


class OutboxEvent(Base):
    """One event: `seq` grows per tenant in commit order (a reader that saw N has seen every event before N).

    `incident_id` is kept without a foreign key: the events of a deleted incident stay on record.
    """

    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "seq"),
        Index("ix_outbox_events_tenant_incident", "tenant_id", "incident_id"),
    )

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_id("evt"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
