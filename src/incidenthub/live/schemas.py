"""The live events' wire shapes: an event as `events.repository.envelope` writes it, and a page of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

# `incident.created`, `incident.*` (a prefix) or `*` (everything); the same patterns as a webhook's `events`.
TYPE_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$"
EventPattern = Annotated[str, StringConstraints(pattern=TYPE_PATTERN, max_length=64)]


class EventRead(BaseModel):
    """One event, the same JSON in a page, a stream's `data:` line and a webhook's body."""

    id: str = Field(description="The event's id (`evt_...`), unique across tenants")
    seq: int = Field(description="The tenant's event number: grows in commit order, without gaps")
    type: str = Field(description="e.g. `incident.created`, `incident.status_changed`, `assignment.updated`")
    timestamp: datetime = Field(description="When the change happened (ISO 8601 UTC)")
    source: str | None = Field(description="The door the change came through: native, govworx, sonoran, devrev, eido")
    actor: str | None = Field(description="Who made the change (an API key id or a vendor's user)")
    resource_type: str = Field(description="`incident` or `assignment`")
    resource_id: str
    incident_id: str | None
    data: dict[str, Any] = Field(description="What changed, and `object`: the resource's new state as read")


class EventPage(BaseModel):
    data: list[EventRead]
    next_after: int = Field(
        description="Pass as `after` for the next page (an event's `seq`; past filtered-out events too)"
    )
    has_more: bool = Field(description="More events already exist after `next_after`")
