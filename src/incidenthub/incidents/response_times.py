"""The response-time rows (`models/analytics.py`): kept in the transaction of every change.

Just before a transaction commits, every incident it changed (those its outbox events name) is read once
with its assignments, and its rows are made again from them: one `response_times` row (none for a drill) and
one `unit_response_times` row per assignment. So the rows equal a recomputation from the incidents
(`expected`) at every commit; tests/analytics/test_upkeep.py checks it after changes through every door.
A deleted incident's rows go with it (foreign keys, ON DELETE CASCADE).

The local months of the calls a commit changed, before and after, are marked in `response_time_months`, for
`analytics/month_counts.py` to count again outside the write (`months_of`: every month the call could fall in,
whatever the tenant's zone, so no zone is read).

Times are integer epoch milliseconds, truncated (as `analytics/intervals.py` and every answer show them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.orm import Session

from incidenthub.clock import as_utc
from incidenthub.events import outbox
from incidenthub.incidents.response_times_repository import ResponseTimesRepository

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
EVERY_MONTH = -1  # the month a tenant-wide mark names
_FURTHEST = timedelta(hours=14)  # the furthest any zone is from UTC (Pacific/Kiritimati)
GROUPED = (
    "tenant_id",
    "number",
    "source",
    "category",
    "incident_type",
    "priority",
    "agency",
    "agency_type",
    "response_area",
    "call_position",
    "call_taker_id",
)


def epoch_ms(value: datetime | None) -> int | None:
    """An instant as integer epoch milliseconds (truncated); None stays None."""
    return None if value is None else (as_utc(value) - _EPOCH) // _MS


def local_month(ms: int, zone: ZoneInfo) -> int:
    """The local month (year * 12 + month - 1) in `zone` of the instant `ms` (epoch ms)."""
    local = datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)
    return local.year * 12 + local.month - 1


def _earliest(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def rows_of(incident: Any, assignments: Iterable[Any]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The rows of one incident (its canonical columns, read by attribute) and of its assignments (in the order
    they were made); (None, []) for a drill."""
    if incident.is_drill:
        return None, []
    began = incident.call_received_at or incident.call_picked_up_at or incident.source_created_at
    grouped = {name: getattr(incident, name) for name in GROUPED}
    grouped["began_ms"] = epoch_ms(began or incident.created_at)
    units = [
        {
            **grouped,
            "assignment_id": a.id,
            "incident_id": incident.id,
            "unit_id": a.unit_id,
            "dispatched_ms": epoch_ms(a.dispatched_at),
            "enroute_ms": epoch_ms(a.enroute_at),
            "arrived_ms": epoch_ms(a.arrived_at),
            "cleared_ms": epoch_ms(a.cleared_at),
            "first_arriving": False,
        }
        for a in assignments
    ]
    arrived = [u for u in units if u["arrived_ms"] is not None]
    if arrived:
        min(arrived, key=lambda u: u["arrived_ms"])["first_arriving"] = True  # ties: the first made
    row = {
        **grouped,
        "incident_id": incident.id,
        "received_ms": epoch_ms(incident.call_received_at),
        "picked_ms": epoch_ms(incident.call_picked_up_at),
        "hung_ms": epoch_ms(incident.call_hung_up_at),
        "queued_ms": epoch_ms(incident.dispatch_queued_at),
        "first_dispatched_ms": _earliest(epoch_ms(incident.dispatched_at), *(u["dispatched_ms"] for u in units)),
        "first_arrived_ms": _earliest(*(u["arrived_ms"] for u in arrived)),
    }
    return row, units


def _made(incidents: Iterable[Any], assignments: Iterable[Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    by_incident = {key: list(group) for key, group in groupby(assignments, key=lambda a: a.incident_id)}
    rows: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for incident in incidents:
        row, unit_rows = rows_of(incident, by_incident.get(incident.id, ()))
        if row is not None:
            rows.append(row)
            units.extend(unit_rows)
    return rows, units


def refresh(session: Session, touched: Mapping[tuple[str, str], bool]) -> None:
    """Make these incidents' rows again ((tenant id, incident id) -> created in this transaction, so it had
    none before) from the incidents as they are in the session."""
    by_tenant: dict[str, list[str]] = {}
    for tenant_id, incident_id in touched:
        by_tenant.setdefault(tenant_id, []).append(incident_id)
    repository = ResponseTimesRepository(session)
    rows: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for tenant_id, ids in sorted(by_tenant.items()):
        made = _made(repository.incidents(tenant_id, ids), repository.assignments(ids))
        rows += made[0]
        units += made[1]
    existing = sorted(incident_id for (_, incident_id), created in touched.items() if not created)
    before = repository.began(existing)
    repository.replace(existing, rows, units)
    mark(session, [*before, *((row["tenant_id"], row["began_ms"]) for row in rows)])


def months_of(ms: int) -> set[int]:
    """The local months (year * 12 + month - 1) the instant `ms` (epoch ms) can fall in, whatever the tenant's
    zone: its UTC month, and the one before or after when it is within 14 hours of a UTC month's start (no zone
    is further from UTC). Marking all of them needs no read of the tenant's zone, and a month marked needlessly
    is only counted again."""
    at = datetime.fromtimestamp(ms / 1000, UTC)
    return {(d.year * 12 + d.month - 1) for d in (at - _FURTHEST, at, at + _FURTHEST)}


def mark(session: Session, instants: Iterable[tuple[str, int]]) -> None:
    """Mark the local months of these (tenant id, began_ms) to be counted again."""
    months = {(tenant_id, month) for tenant_id, ms in instants for month in months_of(ms)}
    ResponseTimesRepository(session).mark_months(sorted(months))


def forget(session: Session, incident_id: str) -> None:
    """Mark the month of an incident about to be deleted (its rows go with it, ON DELETE CASCADE)."""
    mark(session, ResponseTimesRepository(session).began([incident_id]))


def mark_tenant(session: Session, tenant_id: str) -> None:
    """Mark every month of the tenant to be counted again (its zone or standards changed)."""
    ResponseTimesRepository(session).mark_months([(tenant_id, EVERY_MONTH)])


@event.listens_for(Session, "before_commit", insert=True)  # before the outbox writes (and forgets) its queue
def _before_commit(session: Session) -> None:
    touched = outbox.incidents_in(session)
    if touched:
        session.flush()
        refresh(session, touched)


def expected(session: Session, tenant_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A tenant's rows made from scratch from its incidents and assignments (for the tests)."""
    repository = ResponseTimesRepository(session)
    return _made(repository.all_incidents(tenant_id), repository.all_assignments(tenant_id))


def rebuild(session: Session, tenant_id: str) -> int:
    """Make a tenant's rows again from its incidents (after writes made without the upkeep); the incidents kept."""
    rows, units = expected(session, tenant_id)
    repository = ResponseTimesRepository(session)
    repository.clear(tenant_id)
    repository.replace([], rows, units)
    mark_tenant(session, tenant_id)
    return len(rows)
