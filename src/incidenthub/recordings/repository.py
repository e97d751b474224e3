"""Every query over recordings, and the incidents a recording may belong to.

Matching reads stay bounded however busy a call position is: incidents are found through the index on
`(tenant_id, call_position, coalesce(call_received_at, call_picked_up_at))` over the few hours a call can
span, ranked by overlap in SQL, and only the best few are loaded (their id and call times, not the
whole incident). Recordings are found through `(tenant_id, position, started_at)` over a window no
wider than the longest recording.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, Row, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from incidenthub.models import Incident, Recording

# Both ends of a recording lie within this of each other (a longer one is refused at registration).
LONGEST_RECORDING = timedelta(hours=24)
# The expression the incidents' call index is built on; queries must spell it the same way to use it.
CALL_BEGUN = func.coalesce(Incident.call_received_at, Incident.call_picked_up_at)


class _epoch(FunctionElement[float]):
    """Seconds since 1970 of a stored UTC time (SQLite keeps it as text, PostgreSQL as timestamptz)."""

    type = Float()
    inherit_cache = True


class _greatest(FunctionElement[float]):
    type = Float()
    inherit_cache = True


class _least(FunctionElement[float]):
    type = Float()
    inherit_cache = True


@compiles(_epoch, "sqlite")
def _epoch_sqlite(element: _epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(_epoch)
def _epoch_default(element: _epoch, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"


@compiles(_greatest, "sqlite")
def _greatest_sqlite(element: _greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(_greatest)
def _greatest_default(element: _greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"GREATEST({compiler.process(element.clauses, **kw)})"


@compiles(_least, "sqlite")
def _least_sqlite(element: _least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(_least)
def _least_default(element: _least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"LEAST({compiler.process(element.clauses, **kw)})"


class RecordingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, recording: Recording) -> None:
        self.session.add(recording)
        self.session.flush()

    def page(
        self, tenant_id: str, *, unmatched: bool | None, position: str | None, offset: int, limit: int
    ) -> tuple[list[Recording], int]:
        conditions = [Recording.tenant_id == tenant_id]
        if unmatched is True:
            conditions.append(Recording.incident_id.is_(None))
        elif unmatched is False:
            conditions.append(Recording.incident_id.is_not(None))
        if position is not None:
            conditions.append(Recording.position == position)
        total = self.session.scalar(select(func.count()).select_from(Recording).where(*conditions)) or 0
        rows = self.session.scalars(
            select(Recording)
            .where(*conditions)
            .order_by(Recording.started_at.desc(), Recording.id)
            .offset(offset)
            .limit(limit)
        )
        return list(rows), total

    def of_incident(self, tenant_id: str, incident_id: str) -> list[Recording]:
        return list(
            self.session.scalars(
                select(Recording)
                .where(Recording.tenant_id == tenant_id, Recording.incident_id == incident_id)
                .order_by(Recording.started_at)
            )
        )

    def near(self, tenant_id: str, position: str, start: datetime, end: datetime) -> list[Recording]:
        """Recordings at this position that start before `end` and end after `start`."""
        return list(
            self.session.scalars(
                select(Recording).where(
                    Recording.tenant_id == tenant_id,
                    Recording.position == position,
                    Recording.started_at >= start - LONGEST_RECORDING,
                    Recording.started_at <= end,
                    Recording.ended_at >= start,
                )
            )
        )

    def best_calls(
        self,
        tenant_id: str,
        position: str,
        recording: tuple[datetime, datetime],
        *,
        longest_call: timedelta,
        tolerance_seconds: float,
        default_call_seconds: float,
        limit: int,
    ) -> list[Row[str, datetime | None, datetime | None, datetime | None, float]]:
        """The call times of the `limit` incidents at a position whose call window overlaps most.

        The overlap is computed here only to rank and cut; the caller scores the rows exactly. Ties go to
        the smaller incident id, as the caller sorts them.
        """
        started, ended = recording
        tolerance = timedelta(seconds=tolerance_seconds)
        window_start = _epoch(CALL_BEGUN) - tolerance_seconds
        pickup = _epoch(func.coalesce(Incident.call_picked_up_at, Incident.call_received_at))
        call_end = func.coalesce(_epoch(Incident.call_hung_up_at), pickup + default_call_seconds)
        window_end = _greatest(call_end, _epoch(CALL_BEGUN)) + tolerance_seconds
        overlap: ColumnElement[float] = _least(literal(ended.timestamp(), Float), window_end) - _greatest(
            literal(started.timestamp(), Float), window_start
        )
        ranked = overlap.label("overlap")
        rows = self.session.execute(
            select(Incident.id, Incident.call_received_at, Incident.call_picked_up_at, Incident.call_hung_up_at, ranked)
            .where(
                Incident.tenant_id == tenant_id,
                Incident.call_position == position,
                # Only calls that begin late enough to reach the recording and early enough to touch it.
                CALL_BEGUN >= started - longest_call - tolerance,
                CALL_BEGUN <= ended + tolerance,
                overlap >= -1.0,  # a second's slack for rounding; the caller drops those that do not touch
            )
            .order_by(ranked.desc(), Incident.id)
            .limit(limit)
        )
        return list(rows)
