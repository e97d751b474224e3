"""Tenants and their API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.clock import utcnow
from incidenthub.models.base import Base, JSONType, new_id


class Tenant(Base):
    """An agency, community or organisation; every record belongs to exactly one."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ten"))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    sonoran_community_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Requests per minute each of its API keys may make; None: the server's default (rate_limit_per_minute).
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key: only a public prefix and a hash of the secret are stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("key"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    # `live` or `test`, the environment the key's prefix names (`ih_live_...`); None for a key made before
    # environments existed (`ih_<lookup>_...`).
    environment: Mapped[str | None] = mapped_column(String(8))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class TenantCounter(Base):
    """A per-tenant increasing number (Sonoran call ids, display numbers), handed out one at a time."""

    __tablename__ = "tenant_counters"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class RateCounter(Base):
    """A fixed-window count shared by every server process: an API key's requests this minute, or the failed
    authentications of an address or a key id in the current window. One row per bucket, reset in place.

    In the main database on PostgreSQL (and on an in-memory SQLite database). On a SQLite file database the
    migrations create this table in the main database too, but it stays empty there: the counts are kept in the
    same table in a side file `<file>.limits` (`incidenthub.auth.limits.counters_database`), so that a count
    never waits for the main file's one write lock."""

    __tablename__ = "rate_counters"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(BigInteger)
