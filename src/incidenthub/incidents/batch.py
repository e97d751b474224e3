"""Whole incidents from source systems, a batch at a time, in a few set-based statements.

The hot path of every intake door (a CAD upload, a native create, a bulk import): one lookup of the
batch's existing incidents by `(tenant, source, external_id)`, multi-row inserts of the new incidents,
their `created` timeline entries, notes, responders and links, and nothing at all for an unchanged
repeat (its content fingerprint matches the one stored with its last upload). A changed repeat, and a
new incident that needs more than inserts (a live unit to take off another incident), go through the
row-at-a-time rules of `ingest` and `changes`; the rows written here are the same as those would write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from incidenthub.clock import utcnow
from incidenthub.dispatch import assignments
from incidenthub.dispatch.repository import PersonnelRepository, UnitRepository
from incidenthub.incidents import changes, drafts
from incidenthub.incidents.commands import SourceIncident
from incidenthub.incidents.ingest import UpsertResult, fingerprint, upsert_from_source
from incidenthub.models import Assignment, Incident, IncidentLink, Note, Personnel, Recording, Unit
from incidenthub.models.base import new_id
from incidenthub.recordings import service as recordings_service
from incidenthub.recordings.repository import LONGEST_RECORDING
from incidenthub.recordings.service import MatchRules
from incidenthub.rows import insert_rows

# The kind the write path applies set-based (db.WritePath.register).
UPSERT = "incidents.upsert"


@dataclass
class Upsert:
    """One incident to create or update; `update=False` only creates (a native create's idempotency)."""

    tenant_id: str
    command: SourceIncident
    actor: str | None = None
    rules: MatchRules = field(default_factory=MatchRules)
    update: bool = True
    message: str = "Incident created"


@dataclass
class Written:
    """What an upsert did; `rows` holds what was inserted for a new incident (to answer without a read)."""

    result: UpsertResult
    rows: dict[str, Any] | None = None
    event: dict[str, Any] | None = None


_INCIDENTS = cast(Table, Incident.__table__)
_PG_ROWS_PER_STATEMENT = 500
_IDS_PER_QUERY = 2000


def upsert_many(session: Session, items: Sequence[Upsert]) -> list[Written]:
    """Apply every upsert in the session's transaction; results in the order of `items`."""
    results: list[Written | None] = [None] * len(items)
    # Severity, category and title derived once per incident here, as changes.create does one at a time;
    # each tenant's rules read once per batch (the session does not keep an unreferenced tenant row).
    rules = {tenant_id: changes.rules_of(session, tenant_id) for tenant_id in {item.tenant_id for item in items}}
    items = [
        replace(
            item,
            command=replace(item.command, fields=changes.classified(item.command.fields, rules[item.tenant_id])),
        )
        for item in items
    ]
    pending = list(enumerate(items))
    while pending:
        # The same source id twice in one batch: the second waits for a later round and updates the first.
        seen: set[tuple[str, str, str | None]] = set()
        round_, later = [], []
        for index, item in pending:
            key = (item.tenant_id, item.command.source, item.command.external_id)
            if item.command.external_id is not None and key in seen:
                later.append((index, item))
            else:
                seen.add(key)
                round_.append((index, item))
        for index, written in _round(session, round_):
            results[index] = written
        pending = later
    return [written for written in results if written is not None]


def _round(session: Session, items: list[tuple[int, Upsert]]) -> list[tuple[int, Written]]:
    keys: set[tuple[str, str, str | None]] = {
        (item.tenant_id, item.command.source, item.command.external_id)
        for _, item in items
        if item.command.external_id is not None
    }
    existing = _existing_of(session, keys)
    out: list[tuple[int, Written]] = []
    fresh: list[tuple[int, Upsert, str]] = []
    for index, item in items:
        command = item.command
        digest = fingerprint(command)
        found = existing.get((item.tenant_id, command.source, command.external_id)) if command.external_id else None
        if found is None:
            fresh.append((index, item, digest))
            continue
        incident_id, revision, stored = found
        if not item.update or stored == digest:
            out.append((index, Written(UpsertResult(incident_id, False, [], revision))))
        else:
            out.append((index, _one(session, item)))
    out.extend(_insert(session, fresh, [item for _, item in items]))
    return out


def _existing_of(
    session: Session, keys: set[tuple[str, str, str | None]]
) -> dict[tuple[str, str, str | None], tuple[str, int, str | None]]:
    """(tenant, source, external id) -> (id, revision, content digest) of those that exist.

    One query per tenant and source, on the unique index: a row-value `IN` of whole keys is a table scan
    on SQLite, whose cost grew with every incident stored.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for tenant_id, source, external_id in keys:
        if external_id is not None:
            groups.setdefault((tenant_id, source), []).append(external_id)
    found: dict[tuple[str, str, str | None], tuple[str, int, str | None]] = {}
    for (tenant_id, source), external_ids in groups.items():
        for start in range(0, len(external_ids), _IDS_PER_QUERY):
            rows = session.execute(
                select(Incident.external_id, Incident.id, Incident.revision, Incident.content_hash).where(
                    Incident.tenant_id == tenant_id,
                    Incident.source == source,
                    Incident.external_id.in_(external_ids[start : start + _IDS_PER_QUERY]),
                )
            )
            found.update({(tenant_id, source, e): (i, r, h) for e, i, r, h in rows})
    return found


def _one(session: Session, item: Upsert) -> Written:
    """The row-at-a-time path: a changed repeat, or a new incident whose responders take units off others."""
    result = upsert_from_source(session, item.tenant_id, item.command, actor=item.actor, match_rules=item.rules)
    return Written(result)


def _needs_rules(command: SourceIncident) -> bool:
    """Whether inserting the incident would take a live unit off another incident (only an active one can)."""
    active = command.fields.get("status", "created") not in changes.FINAL
    return active and any(r.unit_name and r.cleared_at is None for r in command.responders)


def _insert(
    session: Session, fresh: list[tuple[int, Upsert, str]], everyone: list[Upsert]
) -> list[tuple[int, Written]]:
    """Insert the new incidents; `everyone` is the whole round in submission order, whose people's names
    are applied last so that the latest upload's names stand, as they would one upload at a time."""
    out: list[tuple[int, Written]] = []
    simple = []
    for index, item, digest in fresh:
        if _needs_rules(item.command):
            out.append((index, _one(session, item)))
        else:
            simple.append((index, item, digest))
    if not simple:
        return out
    people = _personnel(session, everyone)
    units = _units(session, [item for _, item, _ in simple])
    now = utcnow()
    incidents: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    responders: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for _, item, digest in simple:
        row = _incident_row(item, digest, people, now)
        incidents.append(row)
        events.append(changes.creation_entry(row, actor=item.actor, message=item.message, at=now))
        notes.extend(_note_rows(row, item.command, now))
        responders.extend(_assignment_rows(row, item.command, people, units, now))
        links.extend(
            {
                "tenant_id": row["tenant_id"],
                "incident_id": row["id"],
                "kind": "related",
                "related_source": item.command.source,
                "related_external_id": external_id,
                "created_at": now,
            }
            for external_id in dict.fromkeys(item.command.related_external_ids)
            if external_id != item.command.external_id
        )
    inserted = _insert_incidents(session, incidents)
    kept = [row for row in incidents if row["id"] in inserted]
    for model, rows in ((Note, notes), (Assignment, responders), (IncidentLink, links)):
        rows = [r for r in rows if r["incident_id"] in inserted]
        if rows:
            insert_rows(session, cast(Table, model.__table__), rows)
    # Their events' state from what was just inserted, as a read of it would give: no read.
    held = _as_incidents(kept, notes, responders, people, units)
    changes.insert_timeline(session, [e for e in events if e["incident_id"] in inserted], held)
    events_by_id = {event["incident_id"]: event for event in events}
    rules = {row["id"]: item.rules for (_, item, _), row in zip(simple, incidents, strict=True)}
    _match_recordings(session, kept, rules)
    for (index, item, _digest), row in zip(simple, incidents, strict=True):
        if row["id"] in inserted:
            out.append((index, Written(UpsertResult(row["id"], True, [], 1), row, events_by_id[row["id"]])))
        else:
            # Another process inserted the same source id between our lookup and our insert: theirs stands.
            out.append((index, _one(session, item) if item.update else _existing(session, item)))
    return out


def _insert_incidents(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the incidents; the ids of those inserted (a source id another writer took first is skipped)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # The transaction holds SQLite's write lock from its start: no one can have inserted them since the lookup.
        insert_rows(session, _INCIDENTS, rows)
        return {row["id"] for row in rows}
    statement = (
        postgresql.insert(_INCIDENTS)
        .on_conflict_do_nothing(index_elements=["tenant_id", "source", "external_id"])
        .returning(_INCIDENTS.c.id)
    )
    inserted: set[str] = set()
    # PostgreSQL takes at most 65,535 parameters a statement; an incident row has about 70.
    for start in range(0, len(rows), _PG_ROWS_PER_STATEMENT):
        chunk = rows[start : start + _PG_ROWS_PER_STATEMENT]
        inserted.update(row.id for row in session.execute(statement, chunk))
    return inserted


def _existing(session: Session, item: Upsert) -> Written:
    key = (item.tenant_id, item.command.source, item.command.external_id)
    incident_id, revision, _digest = _existing_of(session, {key})[key]
    return Written(UpsertResult(incident_id, False, [], revision))


def _as_incidents(
    rows: list[dict[str, Any]],
    notes: list[dict[str, Any]],
    responders: list[dict[str, Any]],
    people: dict[tuple[str, str], Personnel],
    units: dict[tuple[str, str], Unit],
) -> dict[str, Incident]:
    """id -> a transient incident holding the rows inserted for it, with its people and units."""
    built = {row["id"]: drafts.Draft(row) for row in rows}
    for note in notes:
        if note["incident_id"] in built:
            built[note["incident_id"]].notes.append(note)
    for responder in responders:
        if responder["incident_id"] in built:
            built[responder["incident_id"]].assignments.append(responder)
    by_unit = {unit.id: unit for unit in units.values()}
    by_person = {person.id: person for person in people.values()}
    return {incident_id: drafts.as_incident(made, by_unit, by_person) for incident_id, made in built.items()}


def _incident_row(item: Upsert, digest: str, people: dict[tuple[str, str], Personnel], now: datetime) -> dict[str, Any]:
    command = item.command
    row = drafts.blank_row()
    row.update(
        id=new_id("inc"),
        tenant_id=item.tenant_id,
        source=command.source,
        external_id=command.external_id,
        status="created",
        raw_payload=command.raw,
        created_at=now,
        updated_at=now,
        revision=1,
        is_drill=False,
        content_hash=digest,
    )
    changes.check_names(command.fields)
    for name, value in command.fields.items():
        row["metadata" if name == "extra_metadata" else name] = value
    if command.call_taker is not None:
        row["call_taker_id"] = people[(item.tenant_id, command.call_taker.personnel_id)].id
    row.pop("call_taker", None)
    return row


def _note_rows(row: dict[str, Any], command: SourceIncident, now: datetime) -> list[dict[str, Any]]:
    """The notes as `ingest._merge_notes` files them: a note without a source id is known by its content and,
    untimed, by author and text alone, so a timed and an untimed copy of one note are one note."""
    rows: list[dict[str, Any]] = []
    known: dict[tuple[str, ...], dict[str, Any]] = {}
    for note in command.notes:
        # A note the source sent without a time is stored at the incident's date (the column needs one).
        noted_at = note.noted_at or row["source_created_at"] or now
        found = known.get(note.dedupe_key)
        if found is not None:
            if note.source_note_id:
                found.update(text=note.text, author=note.author, noted_at=noted_at)
            continue
        stored = {
            "id": new_id("note"),
            "tenant_id": row["tenant_id"],
            "incident_id": row["id"],
            "source_note_id": note.source_note_id,
            "text": note.text,
            "author": note.author,
            "label": None,
            "noted_at": noted_at,
            "created_at": now,
        }
        rows.append(stored)
        author = note.author or ""
        keys = (
            [("id", note.source_note_id)]
            if note.source_note_id
            else [("content", author, noted_at.isoformat(), note.text), ("untimed", author, note.text)]
        )
        for key in keys:
            known[key] = stored
    return rows


def _assignment_rows(
    row: dict[str, Any],
    command: SourceIncident,
    people: dict[tuple[str, str], Personnel],
    units: dict[tuple[str, str], Unit],
    now: datetime,
) -> list[dict[str, Any]]:
    tenant_id = row["tenant_id"]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    primary_given = False
    for responder in command.responders:
        unit_id = units[(tenant_id, responder.unit_name)].id if responder.unit_name else None
        person_id = people[(tenant_id, responder.person.personnel_id)].id if responder.person else None
        key = (person_id or "", unit_id or "")
        times = {name: getattr(responder, name) for name in assignments.REPORTED_TIMES}
        values = {**times, "dispatched_by": responder.dispatched_by, "status": assignments.status_from_times(responder)}
        if key in rows:
            rows[key].update(values)  # listed twice: the last one counts, as the row-at-a-time rules do
            continue
        rows[key] = {
            "id": new_id("asg"),
            "tenant_id": tenant_id,
            "incident_id": row["id"],
            "unit_id": unit_id,
            "personnel_id": person_id,
            "is_primary": unit_id is not None and not primary_given,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        primary_given = primary_given or unit_id is not None
    return list(rows.values())


def _personnel(session: Session, items: list[Upsert]) -> dict[tuple[str, str], Personnel]:
    """(tenant, personnel id) -> every person the batch names, created on first sight."""
    wanted: dict[str, dict[str, dict[str, str | None]]] = {}
    for item in items:
        named = [item.command.call_taker] + [r.person for r in item.command.responders]
        for person in named:
            if person is None:
                continue
            names = {
                "first_name": person.first_name,
                "last_name": person.last_name,
                "display_name": person.display_name,
            }
            merged = wanted.setdefault(item.tenant_id, {}).setdefault(person.personnel_id, {})
            merged.update({k: v for k, v in names.items() if v})
    found: dict[tuple[str, str], Personnel] = {}
    for tenant_id, people in wanted.items():
        rows: dict[str, Personnel] = PersonnelRepository(session).get_or_create_many(tenant_id, people)
        found.update({(tenant_id, pid): person for pid, person in rows.items()})
    return found


def _units(session: Session, items: list[Upsert]) -> dict[tuple[str, str], Unit]:
    """(tenant, call sign) -> every unit the batch names, registered on first sight."""
    wanted: dict[str, set[str]] = {}
    for item in items:
        for responder in item.command.responders:
            if responder.unit_name:
                wanted.setdefault(item.tenant_id, set()).add(responder.unit_name)
    found: dict[tuple[str, str], Unit] = {}
    for tenant_id, names in wanted.items():
        rows: dict[str, Unit] = UnitRepository(session).get_or_create_many(tenant_id, sorted(names))
        found.update({(tenant_id, name): unit for name, unit in rows.items()})
    return found


def _match_recordings(session: Session, rows: list[dict[str, Any]], rules: dict[str, MatchRules]) -> None:
    """New incidents at a call position with recordings near their call: match them (one lookup for all)."""
    placed = [row for row in rows if row["call_position"]]
    if not placed:
        return
    # Generous on purpose: this only decides which new incidents the exact matcher looks at.
    tolerance = timedelta(seconds=max(rule.tolerance_seconds + rule.default_call_seconds for rule in rules.values()))
    reach = LONGEST_RECORDING + recordings_service.LONGEST_CALL + tolerance
    begun = [row["call_received_at"] or row["call_picked_up_at"] for row in placed]
    times = [when for when in begun if when is not None]
    if not times:
        return
    positions: dict[str, set[str]] = {}
    for row in placed:
        positions.setdefault(row["tenant_id"], set()).add(row["call_position"])
    busy: set[tuple[str, str]] = set()
    for tenant_id, names in positions.items():  # per tenant: on the (tenant, position, start) index
        busy.update(
            (tenant_id, position)
            for (position,) in session.execute(
                select(Recording.position)
                .where(
                    Recording.tenant_id == tenant_id,
                    Recording.position.in_(sorted(names)),
                    Recording.started_at >= min(times) - reach,
                    Recording.started_at <= max(times) + reach,
                )
                .distinct()
            )
        )
    for row in placed:
        if (row["tenant_id"], row["call_position"]) in busy:
            incident = session.get(Incident, row["id"])
            assert incident is not None  # noqa: S101 - inserted above in this transaction
            recordings_service.match_pending_for(session, incident, rules[row["id"]])
