"""Reads of the audit trail (its rows are written by `trail.record`, inside the write path's transactions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from incidenthub.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    key_id: str | None = None
    door: str | None = None
    incident_id: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, tenant_id: str, filters: AuditFilter, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
        """One page of the tenant's entries, newest first, and how many match in all."""
        conditions: list[Any] = [AuditEntry.tenant_id == tenant_id]
        if filters.key_id is not None:
            conditions.append(AuditEntry.key_id == filters.key_id)
        if filters.door is not None:
            conditions.append(AuditEntry.door == filters.door)
        if filters.incident_id is not None:
            conditions.append(AuditEntry.incident_id == filters.incident_id)
        if filters.at_from is not None:
            conditions.append(AuditEntry.at >= filters.at_from)
        if filters.at_to is not None:
            conditions.append(AuditEntry.at <= filters.at_to)
        rows = self.session.scalars(
            select(AuditEntry).where(*conditions).order_by(AuditEntry.seq.desc()).offset(offset).limit(limit)
        ).all()
        total = self.session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
        return list(rows), total
