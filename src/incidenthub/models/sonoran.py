"""The Sonoran CAD call index: a tenant's integer call ids, each pointing at its canonical incident."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.clock import utcnow
from incidenthub.models.base import Base


class SonoranCall(Base):
    """One Sonoran call (dispatch or 911) of a tenant: its server, kind and whether it left the board.

    The call's content lives on the incident; this row is what the call lists filter and page on.
    """

    __tablename__ = "sonoran_calls"
    __table_args__ = (Index("ix_sonoran_calls_board", "tenant_id", "server_id", "kind", "closed"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    call_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    server_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "dispatch" or "emergency"
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
