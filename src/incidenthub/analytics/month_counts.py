"""The legs of the response-time rows counted per tenant's local month (`response_time_counts`), so an answer over
a year sums a few count rows per month instead of grouping ten million leg rows at request time.

A count row: tenant, local month of the call's start, kind of group (`none` or a `group_by`) and group, leg, the
leg's value in ms (exact: CAD times are to the second, so a month has a few thousand values per leg, not a row per
leg; negative for clock skew, NULL when missing), what the tenant's standards select on (lower-cased category,
agency type, priority: only those one of its standards selects on, the others NULL, so they do not split the
counts; and first arriving), and how many legs (`n`). Call takers and units are counted by id; the answer reads
their names, so a rename shows at once.

Kept outside the write: each commit marks the months it changed (`incidents/response_times.py`), and `recount`
(`incidenthub serve` and `incidenthub worker` run it every `INCIDENTHUB_ANALYTICS_RECOUNT_SECONDS`; tests call
it) counts them again from the rows, one kind per transaction. A marked month, and the part of a period that is
not whole months, is read from the rows (`plan`), so an answer never reads a count older than the rows.
"""

# Statements are built from fixed identifiers and named placeholders only; every value is bound (Query.bind).
# ruff: noqa: S608

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, make_url, text
from sqlalchemy.orm import Session

from incidenthub.analytics import standards
from incidenthub.analytics.legs import GROUP_BY, Query, leg_rows
from incidenthub.analytics.period import Period, zone_of
from incidenthub.analytics.repository import AnalyticsRepository
from incidenthub.db import Database
from incidenthub.incidents import response_times
from incidenthub.incidents.response_times import EVERY_MONTH
from incidenthub.models import ResponseTimeCount
from incidenthub.rows import insert_rows

log = logging.getLogger(__name__)
KINDS: tuple[str, ...] = ("none", *GROUP_BY)
ATTRIBUTES = ("agency_type", "category", "priority")  # what a standard may select on (besides first arriving)
_LOCK_KEY = 0x1A7E_C0DE  # PostgreSQL advisory lock of the one recounter at work
_WIDTH = {"agency_type": 64, "category": 64, "priority": 64}


def kept_by(chosen: Sequence[standards.Standard]) -> frozenset[str]:
    """The attributes these standards select on."""
    found = set()
    for standard in chosen:
        for name, allowed in (
            ("category", standard.categories),
            ("agency_type", standard.agency_types),
            ("priority", standard.priorities),
        ):
            if allowed is not None:
                found.add(name)
    return frozenset(found)


def _as_text(attributes: frozenset[str]) -> str:
    return ",".join(sorted(attributes))


def month_start(month: int, zone_name: str | None) -> datetime:
    """The first instant (UTC) of a local month (year * 12 + month - 1)."""
    return datetime(month // 12, month % 12 + 1, 1, tzinfo=zone_of(zone_name)).astimezone(UTC)


def month_period(month: int, zone_name: str | None) -> Period:
    return Period(month_start(month, zone_name), month_start(month + 1, zone_name), zone_of(zone_name))


@dataclass(frozen=True)
class Plan:
    """How to answer a period: the months to sum from the counts and the periods to read from the rows."""

    months: list[int]
    rows: list[Period]


def plan(session: Session, tenant_id: str, period: Period, needed: frozenset[str]) -> Plan:
    """The whole local months of the period that are counted and not marked since, with the counts made keeping
    every attribute in `needed`; the rest of the period (its ends, the marked months) from the rows."""
    zone = period.zone.key
    since, until = period.since.astimezone(period.zone), period.until.astimezone(period.zone)
    first = since.year * 12 + since.month - 1
    if month_start(first, zone) < period.since:
        first += 1
    last = until.year * 12 + until.month - 1  # the month `until` falls in: counted only up to its start
    kept = session.execute(
        text("SELECT attributes FROM response_time_counted WHERE tenant_id = :t"), {"t": tenant_id}
    ).scalar_one_or_none()
    if first >= last or kept is None or not needed <= set(filter(None, kept.split(","))):
        return Plan([], [period])
    marked = set(
        session.execute(
            text("SELECT month FROM response_time_months WHERE tenant_id = :t AND (month = :every OR month >= :a)"),
            {"t": tenant_id, "every": EVERY_MONTH, "a": first},
        ).scalars()
    )
    if EVERY_MONTH in marked:
        return Plan([], [period])
    rows = []
    if period.since < month_start(first, zone):
        rows.append(Period(period.since, month_start(first, zone), period.zone))
    rows += [month_period(m, zone) for m in range(first, last) if m in marked]
    if month_start(last, zone) < period.until:
        rows.append(Period(month_start(last, zone), period.until, period.zone))
    return Plan([m for m in range(first, last) if m not in marked], rows)


def count_selects(query: Query, tenant_id: str, months: Sequence[int], group_by: str | None, leg: str | None) -> str:
    """The counts of these months as leg-row histogram rows (columns of `figures_sql`'s parts, with `n`), the
    call takers' and units' names read now."""
    kind = group_by or "none"
    g, label, joins = "c.g", "CAST(NULL AS VARCHAR(200))", ""
    if group_by is None:
        g = "'all'"
    elif group_by in ("hour", "weekday"):
        g = "CAST(c.g AS INTEGER)"
    elif group_by == "call_taker":
        g, label = "p.personnel_id", "COALESCE(p.display_name, p.personnel_id)"
        joins = "LEFT JOIN personnel p ON p.id = c.g"
    elif group_by == "unit":
        g, joins = "un.call_sign", "LEFT JOIN units un ON un.id = c.g"
    only = f" AND leg = {query.bind(leg)}" if leg is not None else ""
    listed = ", ".join(query.bind(m) for m in months)
    # The months summed first, grouped in the order of ix_response_time_counts_answer (which holds every column
    # read): SQLite streams the index instead of sorting the count rows.
    summed = f"""SELECT leg, g, v, category, agency_type, priority, first_arriving, SUM(n) AS n
  FROM response_time_counts
  WHERE tenant_id = {query.bind(tenant_id)} AND kind = {query.bind(kind)} AND month IN ({listed}){only}
  GROUP BY leg, g, v, category, agency_type, priority, first_arriving"""
    return f"""SELECT {g} AS g, {label} AS label, c.leg AS leg, c.v AS v, c.category AS category,
       c.agency_type AS agency_type, c.priority AS priority, c.first_arriving AS first_arriving, c.n AS n
FROM ({summed}) c {joins}"""


def _counted(
    session: Session, tenant_id: str, month: int, zone_name: str | None, kind: str, kept: frozenset[str]
) -> list[dict[str, Any]]:
    """The count rows of one kind of one month, grouped from the rows by the database (a read)."""
    query = Query(session.get_bind().dialect.name, {})
    group_by = None if kind == "none" else kind
    attributes = ", ".join(a if a in kept else f"CAST(NULL AS VARCHAR({_WIDTH[a]})) AS {a}" for a in ATTRIBUTES)
    by = ", ".join(["g", "leg", "v", *(a for a in ATTRIBUTES if a in kept), "first_arriving"])
    parts = [
        f"SELECT CAST(g AS VARCHAR(200)) AS g, leg, v, {attributes}, first_arriving, COUNT(*) AS n "
        f"FROM ({select}) b GROUP BY {by}"
        for select in leg_rows(query, tenant_id, month_period(month, zone_name), group_by, ids=True)
    ]
    found = session.execute(text("\nUNION ALL ".join(parts)), query.params).mappings().all()
    return [{**row, "tenant_id": tenant_id, "month": month, "kind": kind} for row in found]


def _replace(session: Session, tenant_id: str, month: int, kind: str, rows: list[dict[str, Any]]) -> None:
    session.execute(
        text("DELETE FROM response_time_counts WHERE tenant_id = :t AND month = :m AND kind = :k"),
        {"t": tenant_id, "m": month, "k": kind},
    )
    insert_rows(session, cast(Table, ResponseTimeCount.__table__), rows)


def _kept_now(session: Session, tenant_id: str) -> frozenset[str]:
    """The attributes the tenant's standards select on now (all of them when its settings cannot be read)."""
    try:
        return kept_by(standards.from_settings(AnalyticsRepository(session).settings(tenant_id)))
    except standards.StandardsError:
        return frozenset(ATTRIBUTES)


def _months_of(session: Session, tenant_id: str, zone_name: str | None) -> list[int]:
    low, high = session.execute(
        text("SELECT MIN(began_ms), MAX(began_ms) FROM response_times WHERE tenant_id = :t"), {"t": tenant_id}
    ).one()
    if low is None:
        return []
    zone = zone_of(zone_name)
    return list(range(response_times.local_month(low, zone), response_times.local_month(high, zone) + 1))


def recount(database: Database, limit: int = 100) -> int:
    """Count again the months marked since they were last counted (at most `limit` marks a round), each kind of
    group in its own transaction, and drop each mark that did not change meanwhile; returns how many marks were
    handled. A tenant whose standards now select on other attributes is marked whole first."""
    with database.transaction() as session:
        counted = session.execute(text("SELECT tenant_id, attributes FROM response_time_counted")).all()
        for tenant_id, attributes in counted:
            if attributes != _as_text(_kept_now(session, tenant_id)):
                response_times.mark_tenant(session, tenant_id)
        marks = session.execute(
            text(
                "SELECT m.tenant_id, m.month, m.mark, t.timezone FROM response_time_months m "
                "JOIN tenants t ON t.id = m.tenant_id ORDER BY m.tenant_id, m.month LIMIT :limit"
            ),
            {"limit": limit},
        ).all()
    for tenant_id, month, mark, zone_name in marks:
        with database.transaction() as session:
            stored = session.execute(
                text("SELECT attributes FROM response_time_counted WHERE tenant_id = :t"), {"t": tenant_id}
            ).scalar_one_or_none()
            if month == EVERY_MONTH or stored is None:  # counted anew with what its standards select on now
                kept = _kept_now(session, tenant_id)
                _keep(session, tenant_id, _as_text(kept))
            else:  # as the tenant's other months (a change of standards marks them all)
                kept = frozenset(filter(None, stored.split(",")))
            if month == EVERY_MONTH:
                session.execute(text("DELETE FROM response_time_counts WHERE tenant_id = :t"), {"t": tenant_id})
                months = _months_of(session, tenant_id, zone_name)
            else:
                months = [month]
        for each in months:
            for kind in KINDS:
                # Grouped in a read (no write waits for it), stored in a short write. Rows changed meanwhile
                # changed the mark too: the month stays marked, read from the rows, and is counted again.
                with database.read_sessions() as session:
                    rows = _counted(session, tenant_id, each, zone_name, kind, kept)
                with database.transaction() as session:
                    _replace(session, tenant_id, each, kind, rows)
        with database.transaction() as session:
            session.execute(
                text("DELETE FROM response_time_months WHERE tenant_id = :t AND month = :m AND mark = :k"),
                {"t": tenant_id, "m": month, "k": mark},
            )
    return len(marks)


def _keep(session: Session, tenant_id: str, attributes: str) -> None:
    session.execute(text("DELETE FROM response_time_counted WHERE tenant_id = :t"), {"t": tenant_id})
    session.execute(
        text("INSERT INTO response_time_counted (tenant_id, attributes) VALUES (:t, :a)"),
        {"t": tenant_id, "a": attributes},
    )


def recount_all(database: Database, limit: int = 100) -> int:
    """Count every marked month again; returns how many marks were handled."""
    total = 0
    while True:
        done = recount(database, limit)
        total += done
        if done < limit:
            return total


class Recounter:
    """A thread counting the marked months again every `interval` seconds (`serve`, `worker`)."""

    def __init__(self, database: Database, interval: float) -> None:
        self.database = database
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="incidenthub-month-counts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the thread to stop after its current round."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop after the current round; False when it was still counting after `timeout` seconds."""
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def round(self) -> int | None:
        """Count the marked months again, unless another process's recounter is at it (SQLite: a lock file beside
        the database, as the webhook worker's; PostgreSQL: an advisory lock): with one server process per core,
        each would otherwise count the same months. Returns how many marks, None when it was not this turn."""
        url = make_url(self.database.url)
        if url.get_backend_name() == "postgresql":
            with self.database.write_engine.connect() as connection:
                if not connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_KEY}).scalar():
                    return None
                try:
                    return recount_all(self.database)
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
        if url.database in (None, "", ":memory:"):
            return recount_all(self.database)
        with Path(f"{url.database}.analytics-recount-lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            return recount_all(self.database)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                done = self.round()
                if done:
                    log.info("analytics: %d marked month(s) counted again", done)
            except Exception:
                log.exception("analytics: counting the marked months failed; trying again next round")
