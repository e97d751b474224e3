"""Units, personnel and their assignments to incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incidenthub.clock import utcnow
from incidenthub.models.base import Base, JSONType, new_id


class Personnel(Base):
    """A person of a tenant (call taker, dispatcher, responder), matched by their personnel id."""

    __tablename__ = "personnel"
    __table_args__ = (UniqueConstraint("tenant_id", "personnel_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("per"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    personnel_id: Mapped[str] = mapped_column(String(128))
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str | None:
        joined = " ".join(part for part in (self.first_name, self.last_name) if part)
        return self.display_name or joined or None


class Unit(Base):
    """A responding unit (engine, patrol car, ambulance) and its last known state."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("tenant_id", "call_sign"),
        Index("ix_units_tenant_id_ident_id", "tenant_id", "ident_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("unt"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    call_sign: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(200))
    external_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    department: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(32), default="available")
    location_text: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    panic: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Sonoran's identId, a per-tenant counter handed out on first need; also kept in `extra` (older readers).
    # A column of its own so that finding a unit by it is an index lookup, not a scan of the tenant's units.
    ident_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Assignment(Base):
    """A unit and/or person on an incident, with the times of each step of their response."""

    __tablename__ = "assignments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("asg"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    personnel_id: Mapped[str | None] = mapped_column(ForeignKey("personnel.id", ondelete="SET NULL"))
    dispatched_by: Mapped[str | None] = mapped_column(String(200))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str | None] = mapped_column(String(32))
    dispatched_at: Mapped[datetime | None]
    enroute_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="raise")
    personnel: Mapped[Personnel | None] = relationship(lazy="raise")
