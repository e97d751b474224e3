"""Sety access control: sites, access codes and the access log (check-ins, checkouts, denied attempts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.clock import utcnow
from incidenthub.models.base import Base, JSONType, new_id


class AccessSite(Base):
    """An estate, office or event venue with its named gates and its IANA timezone."""

    __tablename__ = "access_sites"
    __table_args__ = (Index("ix_access_sites_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("site"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    gates: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessCode(Base):
    """An invitation: a short typed code and a long QR token, valid at one site for a time and a number of uses."""

    __tablename__ = "access_codes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "token"),
        Index("ix_access_codes_tenant_created", "tenant_id", "created_at"),
        Index("ix_access_codes_tenant_site", "tenant_id", "site_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("acc"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(ForeignKey("access_sites.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(64))
    visitor_name: Mapped[str] = mapped_column(String(200))
    visitor_phone: Mapped[str | None] = mapped_column(String(64))
    visitor_email: Mapped[str | None] = mapped_column(String(320))
    visitor_reference: Mapped[str | None] = mapped_column(String(200))
    host_name: Mapped[str | None] = mapped_column(String(200))
    host_unit: Mapped[str | None] = mapped_column(String(200))
    host_phone: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(500))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    gates: Mapped[list[str]] = mapped_column(JSONType, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessLog(Base):
    """One entry of a site's visitor log: a check-in (by code or walk-in), later its checkout, or a refused attempt."""

    __tablename__ = "access_logs"
    __table_args__ = (
        Index("ix_access_logs_tenant_occurred", "tenant_id", "occurred_at"),
        Index("ix_access_logs_site_occurred", "site_id", "occurred_at"),
        Index("ix_access_logs_site_status", "site_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("alog"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    site_id: Mapped[str] = mapped_column(ForeignKey("access_sites.id", ondelete="CASCADE"))
    access_code_id: Mapped[str | None] = mapped_column(ForeignKey("access_codes.id", ondelete="SET NULL"), index=True)
    # inside | checked_out | denied
    status: Mapped[str] = mapped_column(String(16))
    # code | token | walk_in
    method: Mapped[str] = mapped_column(String(16))
    denial_reason: Mapped[str | None] = mapped_column(String(32))
    # What was typed, masked, when it matched no code (a denied `unknown` or `throttled` attempt).
    presented_code: Mapped[str | None] = mapped_column(String(16))
    gate: Mapped[str | None] = mapped_column(String(64))
    visitor_name: Mapped[str | None] = mapped_column(String(200))
    visitor_phone: Mapped[str | None] = mapped_column(String(64))
    visitor_email: Mapped[str | None] = mapped_column(String(320))
    visitor_reference: Mapped[str | None] = mapped_column(String(200))
    host_name: Mapped[str | None] = mapped_column(String(200))
    host_unit: Mapped[str | None] = mapped_column(String(200))
    host_phone: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(500))
    vehicle_plate: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(String(2000))
    # When it happened: the check-in time, or the time of the refused attempt.
    occurred_at: Mapped[datetime]
    checked_in_at: Mapped[datetime | None]
    checked_out_at: Mapped[datetime | None]
    checkout_notes: Mapped[str | None] = mapped_column(String(2000))
    # The API key that recorded it (the guard's device); the throttle counts per key.
    recorded_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessGuess(Base):
    """A code that matched nothing, presented by a key at a site (validation or check-in): the throttle counts these."""

    __tablename__ = "access_guesses"
    __table_args__ = (Index("ix_access_guesses_site_key_at", "site_id", "key_id", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("agu"))
    site_id: Mapped[str] = mapped_column(ForeignKey("access_sites.id", ondelete="CASCADE"))
    key_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
