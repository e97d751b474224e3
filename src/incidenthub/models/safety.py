"""Threat intelligence: each counted incident's place on the H3 grid, per-cell aggregates, safe places.

`safety_points` holds one row per incident that counts (coordinates, not a drill, not a false alarm, not
cancelled): its H3 cell and what it adds. `safety_cells` and `safety_hours` are the sums of those rows per
cell and category, and per cell and local hour of the week; they are kept in the transaction that writes
the incident (`incidents/safety.py`), so they never disagree with it.

Weights decay with age. So that a sum of decayed weights can be kept without rewriting it as time passes,
each row stores `decayed = weight * 2 ** ((t - EPOCH) / half_life)`; the weight now is the sum times
`2 ** (-(now - EPOCH) / half_life)`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.clock import utcnow
from incidenthub.models.base import Base, JSONType, new_id


class SafetyPoint(Base):
    """One counted incident on the grid: what it adds to its cell's sums (and takes away when it changes)."""

    __tablename__ = "safety_points"
    __table_args__ = (
        Index("ix_safety_points_tenant_cell_occurred", "tenant_id", "cell", "occurred_at"),
        Index("ix_safety_points_tenant_occurred", "tenant_id", "occurred_at"),
    )

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    cell: Mapped[str] = mapped_column(String(16))  # H3, resolution 9
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(Float)  # the severity's weight
    decayed: Mapped[float] = mapped_column(Float)  # weight * 2 ** ((occurred_at - EPOCH) / half_life)
    occurred_at: Mapped[datetime]
    hour_of_week: Mapped[int] = mapped_column(Integer)  # Monday 00:00-00:59 is 0, in the tenant's timezone


class SafetyCell(Base):
    """The counted incidents of one category in one resolution-9 cell, with the cell's parents and centre."""

    __tablename__ = "safety_cells"
    __table_args__ = (Index("ix_safety_cells_tenant_p7", "tenant_id", "p7", "decayed"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), primary_key=True)
    p5: Mapped[str] = mapped_column(String(16))
    p6: Mapped[str] = mapped_column(String(16))
    p7: Mapped[str] = mapped_column(String(16))
    p8: Mapped[str] = mapped_column(String(16))
    latitude: Mapped[float] = mapped_column(Float)  # the cell's centre
    longitude: Mapped[float] = mapped_column(Float)
    incidents: Mapped[int] = mapped_column(Integer)
    critical: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)
    decayed: Mapped[float] = mapped_column(Float)
    last_at: Mapped[datetime]


class SafetyHour(Base):
    """The counted incidents of one resolution-9 cell in one local hour of the week (all categories)."""

    __tablename__ = "safety_hours"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    cell: Mapped[str] = mapped_column(String(16), primary_key=True)
    hour_of_week: Mapped[int] = mapped_column(Integer, primary_key=True)
    incidents: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float)
    decayed: Mapped[float] = mapped_column(Float)


class SafePlace(Base):
    """A registered safe place: police station, hospital, fire station, security post."""

    __tablename__ = "safe_places"
    __table_args__ = (Index("ix_safe_places_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("place"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(64))
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    extra_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
