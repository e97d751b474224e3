"""Match call recordings to incidents: same call position, most overlap with the call window.

An incident's call window runs from `call_received_at` (else `call_picked_up_at`) to
`call_hung_up_at` (else pickup + a default call length), widened by a tolerance on both sides.
A recording goes to the incident whose window it overlaps most. When a second incident overlaps
at least half as much as the best one, the match is `ambiguous`: the candidates are reported and
no incident is chosen. A recording that arrives before its incident stays `unmatched` until an
incident at that position arrives, then it is matched.

The work per recording is bounded however many incidents a position has: only calls that began within
the longest call length (plus tolerance) before the recording can overlap it, and only the
`MAX_CANDIDATES` that overlap most are loaded and reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from incidenthub.clock import utcnow
from incidenthub.config import Settings
from incidenthub.errors import FieldError, Invalid
from incidenthub.incidents import service as incidents_service
from incidenthub.models import Incident, Recording
from incidenthub.recordings.repository import LONGEST_RECORDING, RecordingRepository
from incidenthub.recordings.schemas import RecordingCreate, RecordingPage, RecordingRead

# The longest call we look back for when searching the incidents a recording may belong to.
LONGEST_CALL = timedelta(hours=6)
_AMBIGUITY_RATIO = 0.5
# A recording lists at most this many candidates, those that overlap it most.
MAX_CANDIDATES = 10


@dataclass(frozen=True)
class MatchRules:
    tolerance_seconds: float = 60.0
    default_call_seconds: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MatchRules:
        """The rules the INCIDENTHUB_RECORDING_* settings give; every door and the import use these."""
        return cls(
            tolerance_seconds=settings.recording_match_tolerance_seconds,
            default_call_seconds=settings.recording_default_call_seconds,
        )


class CallTimes(Protocol):
    """An incident's call times: the whole incident, or just those columns."""

    @property
    def call_received_at(self) -> datetime | None: ...
    @property
    def call_picked_up_at(self) -> datetime | None: ...
    @property
    def call_hung_up_at(self) -> datetime | None: ...


def call_window(incident: CallTimes, rules: MatchRules) -> tuple[datetime, datetime] | None:
    """When the incident's call was live, widened by the tolerance; None without call times."""
    start = incident.call_received_at or incident.call_picked_up_at
    if start is None:
        return None
    pickup = incident.call_picked_up_at or start
    end = incident.call_hung_up_at or pickup + timedelta(seconds=rules.default_call_seconds)
    tolerance = timedelta(seconds=rules.tolerance_seconds)
    return start - tolerance, max(end, start) + tolerance


def _overlap(recording: Recording, window: tuple[datetime, datetime]) -> float | None:
    """Seconds of overlap; None when the two do not touch at all."""
    start, end = max(recording.started_at, window[0]), min(recording.ended_at, window[1])
    return None if start > end else (end - start).total_seconds()


def _evaluate(session: Session, recording: Recording, rules: MatchRules) -> None:
    calls = RecordingRepository(session).best_calls(
        recording.tenant_id,
        recording.position,
        (recording.started_at, recording.ended_at),
        longest_call=LONGEST_CALL,
        tolerance_seconds=rules.tolerance_seconds,
        default_call_seconds=rules.default_call_seconds,
        limit=MAX_CANDIDATES,
    )
    scored: list[tuple[float, str]] = []
    for call in calls:
        window = call_window(call, rules)
        overlap = _overlap(recording, window) if window else None
        if overlap is not None:
            scored.append((overlap, call.id))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    recording.candidates = [{"incident_id": i, "overlap_seconds": round(o, 3)} for o, i in scored]
    best = scored[0] if scored else None
    runner_up = scored[1] if len(scored) > 1 else None
    if best is None:
        recording.incident_id, recording.match_status, recording.overlap_seconds = None, "unmatched", None
        return
    if runner_up is not None and runner_up[0] >= best[0] * _AMBIGUITY_RATIO:
        recording.incident_id, recording.match_status, recording.overlap_seconds = None, "ambiguous", None
        return
    recording.incident_id, recording.match_status, recording.overlap_seconds = best[1], "matched", best[0]
    recording.matched_at = utcnow()


def register(session: Session, tenant_id: str, request: RecordingCreate, rules: MatchRules) -> RecordingRead:
    """Store a recording's metadata and match it now if its incident is already here."""
    if request.ended_at < request.started_at:
        raise Invalid("ended_at is before started_at", [FieldError("ended_at", "must not be before started_at")])
    if request.ended_at - request.started_at > LONGEST_RECORDING:
        hours = LONGEST_RECORDING.total_seconds() / 3600
        raise Invalid(
            f"a recording may last at most {hours:g} hours",
            [FieldError("ended_at", f"must be at most {hours:g} hours after started_at")],
        )
    recording = Recording(
        tenant_id=tenant_id,
        position=request.position,
        started_at=request.started_at,
        ended_at=request.ended_at,
        recorder_ref=request.recorder_ref,
        caller_number=request.caller_number,
        candidates=[],
        created_at=utcnow(),
    )
    _evaluate(session, recording, rules)
    RecordingRepository(session).add(recording)
    return to_read(recording)


def match_pending_for(session: Session, incident: Incident, rules: MatchRules) -> None:
    """Re-match the recordings near an incident's call window (it just arrived or changed)."""
    repository = RecordingRepository(session)
    # Those matched to it before (its position or times may have changed), and those near its call now.
    recordings = {r.id: r for r in repository.of_incident(incident.tenant_id, incident.id)}
    window = call_window(incident, rules)
    if window is not None and incident.call_position is not None:
        recordings.update({r.id: r for r in repository.near(incident.tenant_id, incident.call_position, *window)})
    for recording in recordings.values():
        _evaluate(session, recording, rules)
    session.flush()


def list_recordings(
    session: Session, tenant_id: str, *, unmatched: bool | None, position: str | None, page: int, limit: int
) -> RecordingPage:
    rows, total = RecordingRepository(session).page(
        tenant_id, unmatched=unmatched, position=position, offset=(page - 1) * limit, limit=limit
    )
    return RecordingPage(
        data=[to_read(r) for r in rows], page=page, limit=limit, total=total, has_more=page * limit < total
    )


def of_incident(session: Session, tenant_id: str, incident_id: str) -> list[RecordingRead]:
    incidents_service.get_incident(session, tenant_id, incident_id)  # 404 unless it is this tenant's
    return [to_read(r) for r in RecordingRepository(session).of_incident(tenant_id, incident_id)]


def to_read(recording: Recording) -> RecordingRead:
    return RecordingRead(
        recording_id=recording.id,
        position=recording.position,
        started_at=recording.started_at,
        ended_at=recording.ended_at,
        recorder_ref=recording.recorder_ref,
        caller_number=recording.caller_number,
        incident_id=recording.incident_id,
        match_status=recording.match_status,
        overlap_seconds=recording.overlap_seconds,
        candidates=recording.candidates,
        created_at=recording.created_at,
    )
