"""Tables of the DevRev door: a tenant's custom schema fragments and its tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from incidenthub.clock import utcnow
from incidenthub.models.base import Base, JSONType, new_id


class CustomSchemaFragment(Base):
    """A named set of typed custom fields (the tenant fragment, a subtype, or an app fragment)."""

    __tablename__ = "custom_schema_fragments"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("csf"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    # tenant_fragment | subtype | app_fragment
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(String(500))
    fields: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tag(Base):
    """A tenant's tag, created on first use; `number` gives its display id `TAG-<number>`."""

    __tablename__ = "devrev_tags"
    __table_args__ = (UniqueConstraint("tenant_id", "name"), UniqueConstraint("tenant_id", "number"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("tag"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
