"""The audit trail: one row per record a write changed, naming the key, door and address it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.models.base import Base, JSONType, SeqType


class AuditEntry(Base):
    """Who (key id and name, never the secret), when, by which door, from which address, and what changed.

    No foreign keys to incidents or keys: the trail outlives a deleted incident and a revoked key.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_tenant_seq", "tenant_id", "seq"),
        Index("ix_audit_entries_tenant_incident", "tenant_id", "incident_id"),
        Index("ix_audit_entries_tenant_key", "tenant_id", "key_id"),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column()
    # The rows one write made share its id (a write may change several records).
    write_id: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    key_name: Mapped[str | None] = mapped_column(String(200))
    door: Mapped[str] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(300))
    incident_id: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[str | None] = mapped_column(String(256))
    # Timeline event kinds and the names of the fields changed: never their values.
    events: Mapped[list[Any]] = mapped_column(JSONType)
    fields: Mapped[list[Any]] = mapped_column(JSONType)
