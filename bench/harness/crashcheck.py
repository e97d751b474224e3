"""What `make crash` checks after every kill. Each check returns the problems it found (empty: it holds).

On the database as the kill left it, before the restart:
- `PRAGMA integrity_check` answers `ok` (SQLite);
- the schema is at the head migration (Alembic's current revision == the script's heads).

Through the native API after the restart (`GET /v1/incidents`, every page), for every write the ledger holds:
- an acknowledged create (2xx) is there; its fields equal those of the last acknowledged version of the
  record or of a version sent after it whose answer never came (nothing older, nothing mixed);
- every acknowledged note is there exactly once; no note is there that was refused or never sent;
- the status is that of the last acknowledged status change or of one sent after it without an answer;
- a write that was refused (4xx) or never sent (connection refused) is not visible.

Nothing half-written, on every incident visible:
- exactly one `created` timeline entry, and it is the first;
- each note added through the API has exactly one `note_added` entry naming it, and each entry's note is there;
- the status is the status of the last timeline entry.

The events outbox (read from `outbox_events`):
- per tenant, `seq` is 1..N: no gap, no duplicate;
- each incident has exactly one `incident.created`, each `note_added` entry exactly one `incident.note_added`,
  and the event types of each incident are exactly those its timeline entries imply (so every status change
  has its `incident.status_changed`);
- no event names an incident or a note that is not in the database.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, select, text

from bench.harness.crashload import Ledger, Record, Write
from incidenthub.db import Database
from incidenthub.incidents.events import types_of
from incidenthub.migrate import alembic_config
from incidenthub.models import OutboxEvent


@dataclass
class Verified:
    """What one round of checks looked at, and what it found wrong."""

    problems: list[str] = field(default_factory=list)
    writes: Counter[str] = field(default_factory=Counter)  # acknowledged writes verified, per door
    absent: int = 0  # refused or never-sent writes verified absent
    incidents: int = 0
    events: int = 0
    integrity: str = ""
    migration: str = ""


# --- the database as the kill left it ---------------------------------------------------------------------


def check_database(url: str, verified: Verified) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                rows = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
                verified.integrity = "ok" if rows == ["ok"] else "; ".join(map(str, rows))[:500]
                if rows != ["ok"]:
                    verified.problems.append(f"PRAGMA integrity_check: {verified.integrity}")
            else:
                verified.integrity = "n/a (PostgreSQL)"
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(alembic_config(Database(url))).get_heads())
    verified.migration = ",".join(sorted(current))
    if current != heads:
        verified.problems.append(f"migration: database at {sorted(current)}, heads are {sorted(heads)}")


def read_events(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            table = OutboxEvent.__table__
            query = select(table.c.tenant_id, table.c.seq, table.c.event_id, table.c.type, table.c.incident_id,
                           table.c.data).order_by(table.c.tenant_id, table.c.seq)  # fmt: skip
            return [dict(row._mapping) for row in connection.execute(query)]
    finally:
        engine.dispose()


# --- the records, through the native API ------------------------------------------------------------------


def read_incidents(base_url: str, key: str) -> list[dict[str, Any]]:
    """Every incident of the tenant, with notes and timeline, through `GET /v1/incidents` page by page."""
    found: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, trust_env=False, timeout=60) as client:
        page = 1
        while True:
            response = client.get("/v1/incidents", params={"page": page, "limit": 100})
            response.raise_for_status()
            body = response.json()
            found += body["data"]
            if not body["has_more"]:
                break
            page += 1
    if len({incident["incident_id"] for incident in found}) != len(found):
        raise SystemExit("crash: GET /v1/incidents repeated an incident across pages")
    return found


def stored_fields(door: str, incident: dict[str, Any]) -> dict[str, Any]:
    """The fields `crashload._expected` names, as the native API shows them."""
    address = (incident.get("location") or {}).get("address")
    if door == "govworx":
        notes = sorted(n["note"] for n in incident["notes"] if n["source_note_id"] is not None)
        return {"title": incident["title"], "incident_type": incident["incident_type"],
                "priority": incident["priority"], "address": address, "external_id": incident["external_id"],
                "govworx_notes": notes}  # fmt: skip
    if door == "native":
        return {"title": incident["title"], "severity": incident["severity"], "category": incident["category"],
                "address": address, "external_id": incident["external_id"]}  # fmt: skip
    if door == "sonoran":
        return {"title": incident["title"], "address": address, "priority": incident["priority"]}
    return {"title": incident["title"], "description": incident["description"], "priority": incident["priority"]}


def _allowed(writes: list[Write]) -> list[Write]:
    """The writes whose result may be what is stored: the last acknowledged one and those sent after it that
    got no answer (none acknowledged: only those without an answer)."""
    last_ok = max((i for i, w in enumerate(writes) if w.outcome == "ok"), default=0)
    return [w for w in writes[last_ok:] if w.outcome in ("ok", "unknown")]


def check_records(ledger: Ledger, incidents: list[dict[str, Any]], verified: Verified) -> None:
    by_source = {(i["source"], i["external_id"]): i for i in incidents}
    by_id = {i["incident_id"]: i for i in incidents}
    for record in ledger.records:
        incident = by_id.get(record.incident_id or "") or by_source.get((record.source, record.external_id))
        _check_record(record, incident, verified)


def _check_record(record: Record, incident: dict[str, Any] | None, verified: Verified) -> None:
    name = f"{record.door} record {record.uid}"
    if incident is None:
        if record.created:
            verified.problems.append(f"LOST: {name}: acknowledged ({_answers(record.versions)}) but not stored")
        elif record.external_id is not None and record.versions:
            verified.absent += 1  # refused, never sent or unanswered, and not there: as it may be
        return
    if not any(w.outcome in ("ok", "unknown") for w in record.versions):
        verified.problems.append(f"{name}: stored although no create was accepted ({_answers(record.versions)})")
        return
    stored = stored_fields(record.door, incident)
    allowed = _allowed(record.versions)
    if all(w.expect != stored for w in allowed):
        verified.problems.append(f"{name}: stored {stored}, expected one of {[w.expect for w in allowed]}")
    else:
        verified.writes.update(w.door for w in record.versions if w.outcome == "ok")
    _check_notes(record, incident, name, verified)
    if record.statuses:
        statuses = [w.expect["status"] for w in _allowed(record.statuses)]
        if not any(w.outcome == "ok" for w in record.statuses):
            statuses.append("created")
        if incident["status"] not in statuses:
            verified.problems.append(f"{name}: status {incident['status']!r}, expected one of {statuses}")
        else:
            verified.writes["status"] += sum(1 for w in record.statuses if w.outcome == "ok")


def _check_notes(record: Record, incident: dict[str, Any], name: str, verified: Verified) -> None:
    stored = Counter(n["note"] for n in incident["notes"] if n["note"].startswith(f"note {record.uid} #"))
    for write in record.notes:
        count = stored.get(write.expect["note"], 0)
        if write.outcome == "ok" and count != 1:
            verified.problems.append(f"LOST: {name}: acknowledged note {write.expect['note']!r} stored {count} times")
        elif write.outcome in ("refused", "not_sent") and count:
            verified.problems.append(f"{name}: note {write.expect['note']!r} stored, but was {write.outcome}")
        elif write.outcome == "unknown" and count > 1:
            verified.problems.append(f"{name}: note {write.expect['note']!r} stored {count} times")
        else:
            verified.writes["note"] += write.outcome == "ok"
            verified.absent += write.outcome in ("refused", "not_sent")
    sent = {w.expect["note"] for w in record.notes}
    for text_ in set(stored) - sent:
        verified.problems.append(f"{name}: note {text_!r} stored but never sent")


def _answers(writes: list[Write]) -> str:
    return ", ".join(f"{w.door}:{w.outcome}:{w.status_code}" for w in writes)


# --- nothing half-written ---------------------------------------------------------------------------------


def check_whole(incidents: list[dict[str, Any]], verified: Verified) -> None:
    for incident in incidents:
        name, timeline = f"incident {incident['incident_id']}", incident["timeline"]
        created = [entry for entry in timeline if entry["event"] == "created"]
        if len(created) != 1 or timeline[0]["event"] != "created":
            verified.problems.append(f"{name}: {len(created)} `created` entries; the first is {timeline[:1]}")
        noted = Counter((entry["data"] or {}).get("note_id") for entry in timeline if entry["event"] == "note_added")
        note_ids = {note["note_id"] for note in incident["notes"]}
        for note in incident["notes"]:
            if note["source_note_id"] is None and noted.get(note["note_id"]) != 1:
                verified.problems.append(f"{name}: note {note['note_id']} has {noted.get(note['note_id'], 0)} entries")
        for note_id in set(noted) - note_ids:
            verified.problems.append(f"{name}: a `note_added` entry names note {note_id}, which is not there")
        if timeline and timeline[-1]["status"] != incident["status"]:
            verified.problems.append(f"{name}: status {incident['status']}, its last entry {timeline[-1]['status']}")


# --- the events outbox ------------------------------------------------------------------------------------


def check_events(incidents: list[dict[str, Any]], events: list[dict[str, Any]], verified: Verified) -> None:
    verified.events = len(events)
    by_tenant: dict[str, list[int]] = {}
    for event in events:
        by_tenant.setdefault(event["tenant_id"], []).append(event["seq"])
    for tenant_id, seqs in by_tenant.items():
        if seqs != list(range(1, len(seqs) + 1)):
            gaps = sorted(set(range(1, max(seqs) + 1)) - set(seqs))[:10]
            duplicates = [seq for seq, n in Counter(seqs).items() if n > 1][:10]
            verified.problems.append(
                f"tenant {tenant_id}: {len(seqs)} events, seq not 1..N: gaps {gaps}, twice {duplicates}"
            )
    per_incident: dict[str, Counter[str]] = {}
    for event in events:
        per_incident.setdefault(event["incident_id"], Counter())[event["type"]] += 1
    notes_named = Counter(e["data"].get("note_id") for e in events if e["type"] == "incident.note_added")
    notes_stored = {note["note_id"] for incident in incidents for note in incident["notes"]}
    notes_entered: set[str] = set()  # the notes with a `note_added` timeline entry
    for incident in incidents:
        incident_id = incident["incident_id"]
        implied: Counter[str] = Counter()
        for entry in incident["timeline"]:
            implied.update(type_ for type_, _ in types_of(entry["event"], entry["status"], entry["data"]))
            if entry["event"] == "note_added":
                notes_entered.add(entry["data"]["note_id"])
        found = per_incident.pop(incident_id, Counter())
        if found["incident.created"] != 1:
            verified.problems.append(f"incident {incident_id}: {found['incident.created']} `incident.created` events")
        if found != implied:
            verified.problems.append(
                f"incident {incident_id}: events {dict(found)}, its timeline implies {dict(implied)}"
            )
    for note_id in notes_entered:
        if notes_named.get(note_id) != 1:
            verified.problems.append(f"note {note_id}: {notes_named.get(note_id, 0)} `incident.note_added` events")
    for note_id in set(notes_named) - notes_stored:
        verified.problems.append(f"an `incident.note_added` event names note {note_id}, which is not stored")
    for incident_id, types in per_incident.items():
        verified.problems.append(f"events {dict(types)} for incident {incident_id}, which is not stored")
