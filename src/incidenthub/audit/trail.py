"""What a write changed, collected while it runs, and the audit rows the write path inserts with it.

Every change to an incident passes the timeline (`changes.record`, `changes.insert_timeline`), which calls
`collect`; the rows of every write of a transaction are inserted in one statement just before the commit, so a
committed write always has its rows and a rolled-back one has none. Only ids, event kinds and field names are
kept: never a value (no phone number, no name, no body).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from incidenthub.audit.context import COLLECTED, Actor
from incidenthub.clock import utcnow
from incidenthub.models import AuditEntry
from incidenthub.models.base import new_id
from incidenthub.rows import insert_rows

_TABLE = cast(Table, AuditEntry.__table__)
# A bulk write names at most this many records one by one; the rest are counted in one row.
MAX_RECORDS_PER_WRITE = 1000
_ID_LENGTH = 256


def collect(
    session: Session | None,
    incident_id: str | None,
    *,
    event: str | None = None,
    fields: Iterable[str] = (),
    external_id: str | None = None,
    record_id: str | None = None,
) -> None:
    """Note one change of the write being run (nothing outside the write path, e.g. the CLI)."""
    if session is None:
        return
    collected = session.info.get(COLLECTED)
    if collected is None:
        return
    collected.append(
        {
            "incident_id": incident_id,
            "event": event,
            "fields": sorted(fields),
            "external_id": external_id,
            "record_id": record_id,
        }
    )


def record(session: Session, writes: Sequence[tuple[Actor, Any, list[dict[str, Any]]]]) -> None:
    """Insert the audit rows of a transaction's committed writes: one statement for all of them."""
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for actor, result, changes in writes:
        rows.extend(_rows(actor, result, changes, at))
    if rows:
        insert_rows(session, _TABLE, rows)


def _rows(actor: Actor, result: Any, changes: list[dict[str, Any]], at: Any) -> list[dict[str, Any]]:
    base = {
        "tenant_id": actor.tenant_id,
        "at": at,
        "write_id": new_id("wrt"),
        "key_id": actor.key_id,
        "key_name": actor.key_name,
        "door": actor.door,
        "address": actor.address,
        "method": actor.method,
        "route": actor.route[:300],
    }
    records: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    for change in changes:
        key = (change["incident_id"], None if change["incident_id"] else change["record_id"])
        row = records.setdefault(key, {"incident_id": key[0], "record_id": change["record_id"], "e": {}, "f": {}})
        row["record_id"] = row["record_id"] or change["record_id"]
        if change["event"]:
            row["e"][change["event"]] = None
        row["f"].update(dict.fromkeys(change["fields"]))
    if not records:
        # A write that changed no incident (a webhook endpoint, a unit, settings): the record its route names,
        # else the one it answered with.
        path = dict(actor.path_ids)
        incident_id = path.pop("incident_id", None)
        record_id = next(iter(path.values()), None) or _id_of(result)
        fields = dict.fromkeys(actor.fields_sent)
        records[(incident_id, record_id)] = {"incident_id": incident_id, "record_id": record_id, "e": {}, "f": fields}
    rows = [
        {
            **base,
            "incident_id": row["incident_id"],
            "record_id": (row["record_id"] or None) and str(row["record_id"])[:_ID_LENGTH],
            "events": list(row["e"]),
            "fields": list(row["f"]),
        }
        for row in list(records.values())[:MAX_RECORDS_PER_WRITE]
    ]
    left = len(records) - MAX_RECORDS_PER_WRITE
    if left > 0:
        rows.append({**base, "incident_id": None, "record_id": None, "events": [f"{left} more records"], "fields": []})
    return rows


def _id_of(result: Any) -> str | None:
    """The id of what a write answered with (a model or a dict: its `id`, else its own `..._id`), if any."""
    names = list(result) if isinstance(result, dict) else list(getattr(type(result), "model_fields", {}))
    for name in ["id", *(n for n in names if n.endswith("_id") and n not in _NOT_ITS_OWN)]:
        value = result.get(name) if isinstance(result, dict) else getattr(result, name, None)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


_NOT_ITS_OWN = frozenset({"tenant_id", "incident_id", "key_id"})
