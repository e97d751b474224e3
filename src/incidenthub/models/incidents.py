"""The canonical incident and its children: notes, timeline events, links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from incidenthub.clock import utcnow
from incidenthub.models.base import Base, JSONType, SeqType, new_id
from incidenthub.models.dispatch import Assignment, Personnel


class Incident(Base):
    """One incident, whichever door it came through; `source` + `external_id` say which."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "external_id"),
        Index("ix_incidents_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("inc"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(256))
    number: Mapped[str | None] = mapped_column(String(128))
    case_number: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)

    category: Mapped[str | None] = mapped_column(String(64))
    incident_type: Mapped[str | None] = mapped_column(String(200))
    initial_incident_type: Mapped[str | None] = mapped_column(String(200))
    priority: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="created")
    stage: Mapped[str | None] = mapped_column(String(64))
    disposition: Mapped[str | None] = mapped_column(String(200))
    resolution_outcome: Mapped[str | None] = mapped_column(String(32))
    resolution_notes: Mapped[str | None] = mapped_column(Text)

    subject: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    caller_name: Mapped[str | None] = mapped_column(String(200))
    caller_number: Mapped[str | None] = mapped_column(String(64))
    agency: Mapped[str | None] = mapped_column(String(128))
    agency_type: Mapped[str | None] = mapped_column(String(64))
    response_area: Mapped[str | None] = mapped_column(String(128))
    radio_channel: Mapped[str | None] = mapped_column(String(128))
    call_source: Mapped[str | None] = mapped_column(String(128))
    call_position: Mapped[str | None] = mapped_column(String(128))
    call_taker_id: Mapped[str | None] = mapped_column(ForeignKey("personnel.id", ondelete="SET NULL"))

    address: Mapped[str | None] = mapped_column(String(500))
    block: Mapped[str | None] = mapped_column(String(128))
    postal: Mapped[str | None] = mapped_column(String(64))
    landmark: Mapped[str | None] = mapped_column(String(500))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)

    source_created_at: Mapped[datetime | None]
    call_received_at: Mapped[datetime | None]
    call_picked_up_at: Mapped[datetime | None]
    call_hung_up_at: Mapped[datetime | None]
    dispatch_queued_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    identified_at: Mapped[datetime | None]
    mitigated_at: Mapped[datetime | None]
    target_close_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    owners: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    stakeholders: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # "metadata" is reserved on declarative classes, hence the attribute name.
    extra_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    raw_payload: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Digest of the last whole-incident command a source sent (incidents.ingest.fingerprint); None after
    # any other change. An identical repeat is answered from it without loading the incident.
    content_hash: Mapped[str | None] = mapped_column(String(32))

    call_taker: Mapped[Personnel | None] = relationship(lazy="raise")
    notes: Mapped[list[Note]] = relationship(
        order_by="Note.noted_at, Note.seq", cascade="all, delete-orphan", lazy="raise"
    )
    timeline: Mapped[list[TimelineEvent]] = relationship(
        order_by="TimelineEvent.seq", cascade="all, delete-orphan", lazy="raise"
    )
    assignments: Mapped[list[Assignment]] = relationship(
        order_by="Assignment.created_at", cascade="all, delete-orphan", lazy="raise"
    )


# Recording matching: the incidents at a call position whose call began near a recording (see recordings/).
Index(
    "ix_incidents_tenant_position_call_begun",
    Incident.tenant_id,
    Incident.call_position,
    func.coalesce(Incident.call_received_at, Incident.call_picked_up_at),
)


class Note(Base):
    """A note on an incident; `source_note_id` lets a door deduplicate repeats."""

    __tablename__ = "notes"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_id("note"))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    source_note_id: Mapped[str | None] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(String(64))
    noted_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineEvent(Base):
    """Append-only: what happened to an incident, when, and by whom. Timeline and audit trail."""

    __tablename__ = "timeline_events"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[str] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class IncidentLink(Base):
    """A relation between two incidents, stored by the other side's source id so it can arrive later."""

    __tablename__ = "incident_links"
    __table_args__ = (
        UniqueConstraint("incident_id", "related_source", "related_external_id", "kind"),
        Index("ix_incident_links_tenant_related", "tenant_id", "related_source", "related_external_id"),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="related")
    related_source: Mapped[str] = mapped_column(String(32))
    related_external_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeletedIncident(Base):
    """The record that an incident was deleted: who, when, and what it was (its last read shape)."""

    __tablename__ = "deleted_incidents"
    __table_args__ = (Index("ix_deleted_incidents_tenant_incident", "tenant_id", "incident_id"),)

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # No foreign key: the incident is gone.
    incident_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(256))
    revision: Mapped[int] = mapped_column(Integer)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)
