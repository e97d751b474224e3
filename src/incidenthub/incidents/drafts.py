"""New incidents built in memory and inserted set-based: a batch of creates in a few statements.

A `Draft` is a new incident's row with its timeline entries, notes and assignments; `insert_drafts` writes a
list of them in one statement per table. Its `record` and `advance` are the set-based twins of those in
`changes.py`, so an incident created this way reads exactly as one created row at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from incidenthub.audit import trail
from incidenthub.incidents import changes, classification
from incidenthub.incidents.changes import FINAL, LIFECYCLE, check_names, classified, creation_entry, insert_timeline
from incidenthub.incidents.commands import IncidentFields
from incidenthub.models import Assignment, Incident, Note, Personnel, Unit
from incidenthub.models.base import new_id

_INCIDENTS = cast(Table, Incident.__table__)
_INCIDENT_COLUMNS = [column.key for column in _INCIDENTS.columns]
_EMPTY: dict[str, Any] = {"tags": [], "owners": [], "stakeholders": [], "custom_fields": {}, "metadata": {}}


def blank_row() -> dict[str, Any]:
    """Every column of a new incident row, None but for the empty lists and objects a new incident has."""
    row: dict[str, Any] = dict.fromkeys(_INCIDENT_COLUMNS)
    row.update({name: type(empty)() for name, empty in _EMPTY.items()})
    return row


@dataclass
class Draft:
    """A new incident built in memory and inserted with others in a few statements (`insert_drafts`).

    Its `record` writes the same timeline rows, revisions and stamps as `record` on a stored incident, so an
    incident created set-based reads exactly as one created row at a time.
    """

    row: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.row["id"])

    def record(
        self,
        event: str,
        *,
        at: datetime,
        message: str | None = None,
        actor: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """The set-based twin of `record`: one timeline row and a new revision."""
        self.events.append(
            {
                "tenant_id": self.row["tenant_id"],
                "incident_id": self.id,
                "occurred_at": at,
                "event": event,
                "status": self.row["status"],
                "message": message,
                "actor": actor,
                "data": data,
            }
        )
        self.row["revision"] += 1
        self.row["updated_at"] = at
        self.row["content_hash"] = None

    def add_note(self, text: str, *, author: str | None, label: str | None, at: datetime) -> str:
        """A note now (the caller records it in the timeline as its door does); the note's id."""
        note_id = new_id("note")
        self.notes.append(
            {
                "id": note_id,
                "tenant_id": self.row["tenant_id"],
                "incident_id": self.id,
                "source_note_id": None,
                "text": text,
                "author": author,
                "label": label,
                "noted_at": at,
                "created_at": at,
            }
        )
        return note_id

    def advance(self, target: str, *, actor: str | None, at: datetime) -> bool:
        """The set-based twin of `advance`: forward only, `dispatched_at` stamped on reaching `assigned`."""
        current = self.row["status"]
        if current in FINAL or current not in LIFECYCLE or LIFECYCLE.index(target) <= LIFECYCLE.index(current):
            return False
        changed: dict[str, Any] = {"status": {"from": current, "to": target}}
        self.row["status"] = target
        if target == "assigned" and self.row["dispatched_at"] is None:
            self.row["dispatched_at"] = at
            changed["dispatched_at"] = {"from": None, "to": changes.plain(at)}
        self.record(
            target,
            message=f"Incident {target}",
            actor=actor,
            at=at,
            data={"changed": changed},
        )
        return True


def draft(
    tenant_id: str,
    source: str,
    external_id: str | None,
    fields: IncidentFields,
    raw: dict[str, Any] | None,
    *,
    actor: str | None,
    message: str,
    at: datetime,
    rules: classification.Rules,
) -> Draft:
    """A new incident with its `created` entry, as `create` would insert it (nothing written yet).

    `rules`: the tenant's classification (`rules_of`, read once per batch), which derives severity,
    category and title where the door set none, as `create` does."""
    check_names(fields)
    fields = classified(fields, rules)
    row = blank_row()
    row.update(
        id=new_id("inc"),
        tenant_id=tenant_id,
        source=source,
        external_id=external_id,
        status="created",
        raw_payload=raw,
        created_at=at,
        updated_at=at,
        revision=1,
        is_drill=False,
    )
    for name, value in fields.items():
        if name == "call_taker":
            row["call_taker_id"] = value.id if isinstance(value, Personnel) else None
            continue
        row["metadata" if name == "extra_metadata" else name] = value
    row.pop("call_taker", None)
    made = Draft(row)
    made.events.append(creation_entry(row, actor=actor, message=message, at=at))
    return made


def insert_drafts(session: Session, drafts: Sequence[Draft]) -> None:
    """Insert the drafts' incidents, then their timeline rows, notes and assignments (`assignments.assign_new`
    builds those): one statement each.

    Their source ids must be new (a counter's numbers): a collision fails the batch, which the write path
    then runs again one write at a time.
    """
    if not drafts:
        return
    session.execute(insert(_INCIDENTS), [d.row for d in drafts])
    for made in drafts:  # their source ids, by which the audit trail tells apart the writes of one batch
        trail.collect(session, made.row["id"], external_id=made.row["external_id"])
    insert_timeline(session, [e for d in drafts for e in d.events])
    for model, rows in (
        (Note, [n for d in drafts for n in d.notes]),
        (Assignment, [a for d in drafts for a in d.assignments]),
    ):
        if rows:
            session.execute(insert(cast(Table, model.__table__)), rows)


def as_incident(
    made: Draft, units: Mapping[str, Unit] | None = None, people: Mapping[str, Personnel] | None = None
) -> Incident:
    """What a draft inserted, read as an `Incident` is (to answer, and for its events' state, without reading
    it back); `units` and `people` by id for its assignments and call taker.

    Plain objects with the same attributes, not ORM instances: building a transient `Incident` with its notes
    costs milliseconds of attribute instrumentation, more than inserting it; every reader only reads them.
    """
    values = {("extra_metadata" if name == "metadata" else name): value for name, value in made.row.items()}
    values.pop("content_hash", None)
    people = people or {}
    held = [
        SimpleNamespace(
            **row,
            unit=(units or {}).get(row["unit_id"]),
            personnel=people.get(row["personnel_id"]) if row["personnel_id"] else None,
        )
        for row in made.assignments
    ]
    view = SimpleNamespace(
        **values,
        call_taker=people.get(made.row["call_taker_id"]) if made.row.get("call_taker_id") else None,
        notes=[SimpleNamespace(**note) for note in made.notes],
        assignments=held,
        timeline=[SimpleNamespace(**event) for event in made.events],
    )
    return cast(Incident, view)
