"""Call-audio recordings (metadata only) and the incident each was matched to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.clock import utcnow
from incidenthub.models.base import Base, JSONType, new_id


class Recording(Base):
    """A call recording's metadata, matched to an incident by call position and time."""

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_tenant_position_started", "tenant_id", "position", "started_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("rec"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    position: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    recorder_ref: Mapped[str] = mapped_column(String(1000))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    # matched | unmatched | ambiguous
    match_status: Mapped[str] = mapped_column(String(16), default="unmatched")
    overlap_seconds: Mapped[float | None] = mapped_column(Float)
    candidates: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    matched_at: Mapped[datetime | None]
