"""What a door hands the incidents service: a vendor payload already mapped to canonical terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
    external_id: str
    fields: dict[str, Any]
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
