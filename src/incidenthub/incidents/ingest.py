"""Upsert a whole incident from a source system (a CAD upload, an import line), idempotently.

The first upload of a `(source, external_id)` creates the incident. A repeat with the same content
changes nothing: same revision, no timeline entry. A repeat with changed content updates the
record, bumps `revision` once, and one timeline entry lists every field that changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session

from incidenthub.dispatch import assignments
from incidenthub.dispatch.repository import PersonnelRepository, UnitRepository
from incidenthub.incidents import changes
from incidenthub.incidents.commands import IncidentFields, NoteCommand, PersonCommand, ResponderCommand, SourceIncident
from incidenthub.incidents.repository import IncidentRepository
from incidenthub.models import Incident, IncidentLink, Note, Personnel
from incidenthub.recordings import service as recordings_service
from incidenthub.recordings.service import MatchRules


@dataclass(frozen=True)
class UpsertResult:
    incident_id: str
    created: bool
    changed: list[str]
    revision: int

    @property
    def updated(self) -> bool:
        return not self.created and bool(self.changed)


def upsert_from_source(
    session: Session,
    tenant_id: str,
    command: SourceIncident,
    actor: str | None = None,
    match_rules: MatchRules | None = None,
) -> UpsertResult:
    """Create or update the incident `command` describes; see the module docstring for the rules."""
    repository = IncidentRepository(session)
    fields: IncidentFields = {**command.fields}
    people = _people(session, tenant_id, command)
    if command.call_taker is not None:
        fields["call_taker"] = people[command.call_taker.personnel_id]
    external_id = command.external_id
    # Locked: two writers (the server and an import, say) updating one incident take turns.
    incident = None
    if external_id is not None:
        incident = repository.by_source_id(tenant_id, command.source, external_id, full=True, for_update=True)
    created = False
    if incident is None:
        incident = changes.create(session, tenant_id, command.source, external_id, fields, command.raw, actor=actor)
        if incident is None and external_id is not None:  # a concurrent writer created it first: update theirs
            incident = repository.by_source_id(tenant_id, command.source, external_id, full=True, for_update=True)
        else:
            created = incident is not None
        if incident is None:
            raise AssertionError("the incident exists: its insert just collided with it")
    # One flush at the end rather than one before every lookup below.
    with session.no_autoflush:
        changed: dict[str, Any] = {} if created else changes.set_fields(incident, fields)
        changed.update(_merge_notes(incident, command.notes))
        changed.update(_merge_responders(session, incident, command.responders, people, actor))
        changed.update(_merge_links(session, incident, command.source, command.related_external_ids, created))
    if not created:
        if command.extras(incident.raw_payload) != command.extras(command.raw):
            changed["raw_payload"] = None  # fields the canonical model has no place for changed
        if changed:
            incident.raw_payload = command.raw
        changes.record_change(incident, changed, actor=actor)
    # Any other change to the incident (another door, a note) goes through changes.record, which forgets it.
    incident.content_hash = fingerprint(command)
    session.flush()
    # A new incident can only match recordings at its call position; a changed one may also lose its own.
    if (created and incident.call_position) or (not created and changed):
        recordings_service.match_pending_for(session, incident, match_rules or MatchRules())
    return UpsertResult(incident.id, created, [] if created else list(changed), incident.revision)


def _people(session: Session, tenant_id: str, command: SourceIncident) -> dict[str, Personnel]:
    """personnel id -> the tenant's person, for the call taker and every responder, in one set-based step;
    the names the source sends now are kept (where a person appears twice, the later non-empty name wins)."""
    mentioned: list[PersonCommand] = [command.call_taker] if command.call_taker is not None else []
    mentioned += [responder.person for responder in command.responders if responder.person is not None]
    names: dict[str, dict[str, str | None]] = {}
    for person in mentioned:
        sent = {"first_name": person.first_name, "last_name": person.last_name, "display_name": person.display_name}
        merged = names.setdefault(person.personnel_id, dict.fromkeys(sent))
        merged.update({field: value for field, value in sent.items() if value})
    return PersonnelRepository(session).get_or_create_many(tenant_id, names) if names else {}


def _note_keys(note: Note) -> list[tuple[str, ...]]:
    if note.source_note_id:
        return [("id", note.source_note_id)]
    author = note.author or ""
    return [("content", author, note.noted_at.isoformat(), note.text), ("untimed", author, note.text)]


def _merge_notes(incident: Incident, notes: list[NoteCommand]) -> dict[str, Any]:
    known = {key: note for note in incident.notes for key in _note_keys(note)}
    added = edited = 0
    for command in notes:
        # A note the source sent without a time is stored at the incident's date (the column needs one).
        noted_at = command.noted_at or incident.source_created_at or incident.created_at
        note = known.get(command.dedupe_key)
        if note is None:
            note = Note(
                tenant_id=incident.tenant_id,
                incident_id=incident.id,
                source_note_id=command.source_note_id,
                text=command.text,
                author=command.author,
                noted_at=noted_at,
            )
            incident.notes.append(note)
            for key in _note_keys(note):
                known[key] = note
            added += 1
        elif command.source_note_id and (note.text, note.author, note.noted_at) != (
            command.text,
            command.author,
            noted_at,
        ):
            note.text, note.author, note.noted_at = command.text, command.author, noted_at
            edited += 1
    return {"notes": {"added": added, "edited": edited}} if added or edited else {}


def _merge_responders(
    session: Session,
    incident: Incident,
    responders: list[ResponderCommand],
    people: dict[str, Personnel],
    actor: str | None,
) -> dict[str, Any]:
    """The responders of the upload, through the one set of assignment rules."""
    # The units, found or registered all at once (not one query per responder).
    wanted = [command.unit_name for command in responders if command.unit_name]
    units = UnitRepository(session).get_or_create_many(incident.tenant_id, wanted) if wanted else {}
    reported = [
        assignments.Reported(
            unit=units[command.unit_name] if command.unit_name else None,
            person=people[command.person.personnel_id] if command.person else None,
            dispatched_by=command.dispatched_by,
            dispatched_at=command.dispatched_at,
            enroute_at=command.enroute_at,
            arrived_at=command.arrived_at,
            cleared_at=command.cleared_at,
        )
        for command in responders
    ]
    counts = assignments.report(session, incident, reported, actor=actor)
    return {"responders": counts} if counts else {}


def _merge_links(session: Session, incident: Incident, source: str, related: list[str], new: bool) -> dict[str, Any]:
    """Make the incident's links into `source` exactly `related`: the upload says what it relates to now."""
    wanted = [external_id for external_id in dict.fromkeys(related) if external_id != incident.external_id]
    outgoing = [] if new else IncidentRepository(session).outgoing_links(incident.id)
    existing = {link.related_external_id: link for link in outgoing if link.related_source == source}
    added = [external_id for external_id in wanted if external_id not in existing]
    removed = [external_id for external_id in existing if external_id not in wanted]
    for external_id in removed:
        session.delete(existing[external_id])
    for external_id in added:
        session.add(
            IncidentLink(
                tenant_id=incident.tenant_id,
                incident_id=incident.id,
                related_source=source,
                related_external_id=external_id,
                kind="related",
            )
        )
    if not added and not removed:
        return {}
    return {"related_incidents": {"added": added, "removed": removed}}


def fingerprint(command: SourceIncident) -> str:
    """A digest of everything a command says: the same again from the same source is an unchanged repeat."""
    said = [
        command.fields,
        command.call_taker,
        command.notes,
        command.responders,
        command.related_external_ids,
        command.extras(command.raw),
    ]
    try:
        content = orjson.dumps(said, default=_plain, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # an integer beyond 64 bits in a field the source sent: digest its text instead
        content = repr(said).encode()
    return hashlib.sha256(content).hexdigest()[:32]


def _plain(value: Any) -> Any:
    """What orjson does not know as itself: a person row (by its id), big integers (as text)."""
    if isinstance(value, Personnel):
        return value.personnel_id
    return str(value)
