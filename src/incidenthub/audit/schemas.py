"""The audit trail as the native API shows it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AuditEntryRead(BaseModel):
    """One record a write changed: who (key id and name), when (UTC), by which door, from where, and what."""

    id: int = Field(description="Position in the trail: a later entry has a greater id")
    write_id: str = Field(description="Entries of one write (which may change several records) share it")
    at: datetime = Field(description="When the write was committed (UTC)")
    key_id: str = Field(description="The API key that wrote (its id; never its secret)")
    key_name: str | None = Field(description="That key's name")
    door: str = Field(description="The door the write came through: native, govworx, sonoran, devrev, eido")
    address: str | None = Field(description="The client's IP address")
    method: str = Field(description="The request's HTTP method")
    route: str = Field(description="The route's path template, e.g. /v1/incidents/{incident_id}/notes")
    incident_id: str | None = Field(description="The incident the write changed, if it changed one")
    record_id: str | None = Field(description="The other record it changed or named (a note, unit, endpoint, ...)")
    events: list[str] = Field(description="Timeline event kinds the write made on the incident (created, updated, ...)")
    fields: list[str] = Field(description="Names of the fields it changed (never their values)")


class AuditPage(BaseModel):
    data: list[AuditEntryRead]
    page: int
    limit: int
    total: int
    has_more: bool
