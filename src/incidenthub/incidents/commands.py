"""What a door hands the incidents service: a vendor payload already mapped to canonical terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from incidenthub.models import Personnel


class IncidentFields(TypedDict, total=False):
    """The canonical fields a door may set on an incident; a misspelt name is a type error."""

    number: str | None
    case_number: str | None
    title: str | None
    description: str | None
    category: str | None
    incident_type: str | None
    initial_incident_type: str | None
    priority: str | None
    severity: str | None
    status: str
    stage: str | None
    disposition: str | None
    resolution_outcome: str | None
    resolution_notes: str | None
    subject: dict[str, Any] | None
    caller_name: str | None
    caller_number: str | None
    agency: str | None
    agency_type: str | None
    response_area: str | None
    radio_channel: str | None
    call_source: str | None
    call_position: str | None
    call_taker: Personnel | None
    address: str | None
    block: str | None
    postal: str | None
    landmark: str | None
    latitude: float | None
    longitude: float | None
    source_created_at: datetime | None
    call_received_at: datetime | None
    call_picked_up_at: datetime | None
    call_hung_up_at: datetime | None
    dispatch_queued_at: datetime | None
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    identified_at: datetime | None
    mitigated_at: datetime | None
    target_close_at: datetime | None
    closed_at: datetime | None
    resolved_at: datetime | None
    cancelled_at: datetime | None
    is_drill: bool
    tags: list[Any]
    owners: list[Any]
    stakeholders: list[Any]
    custom_fields: dict[str, Any]
    extra_metadata: dict[str, Any]
    raw_payload: dict[str, Any] | None


@dataclass(frozen=True)
class PersonCommand:
    """A person named by a source system; matched to the tenant's personnel by `personnel_id`."""

    personnel_id: str
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None


@dataclass(frozen=True)
class NoteCommand:
    """A note; `source_note_id` deduplicates repeats, else author + time + text (+ text alone if untimed)."""

    text: str
    noted_at: datetime | None
    author: str | None = None
    source_note_id: str | None = None

    @property
    def dedupe_key(self) -> tuple[str, ...]:
        if self.source_note_id:
            return ("id", self.source_note_id)
        if self.noted_at is None:
            return ("untimed", self.author or "", self.text)
        return ("content", self.author or "", self.noted_at.isoformat(), self.text)


@dataclass(frozen=True)
class ResponderCommand:
    """A unit and/or person on the incident, keyed by personnel id + unit name."""

    person: PersonCommand | None
    unit_name: str | None
    dispatched_by: str | None = None
    dispatched_at: datetime | None = None
    enroute_at: datetime | None = None
    arrived_at: datetime | None = None
    cleared_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.person.personnel_id if self.person else "", self.unit_name or "")


@dataclass(frozen=True)
class SourceIncident:
    """A whole incident as one source system knows it; upserted by (source, external_id)."""

    source: str
    external_id: str | None  # None: a native create without an idempotency key, never matched to another
    fields: IncidentFields
    raw: dict[str, Any]
    call_taker: PersonCommand | None = None
    notes: list[NoteCommand] = field(default_factory=list)
    responders: list[ResponderCommand] = field(default_factory=list)
    related_external_ids: list[str] = field(default_factory=list)
    # The payload keys the door maps onto canonical fields. Only the other keys of `raw` count as a change
    # on their own, so `"40.7"` after `40.7`, or a trailing space, does not make a new revision.
    known_keys: frozenset[str] = frozenset()

    def extras(self, raw: dict[str, Any] | None) -> dict[str, Any]:
        return {key: value for key, value in (raw or {}).items() if key not in self.known_keys}
