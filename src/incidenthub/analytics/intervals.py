"""The response-time legs of one incident and of each of its assignments, from stored times only. Pure.

A leg is the time between two stored instants, in seconds, to the millisecond (the resolution every answer
shows times at, so a leg is exactly the difference of the two times shown with it). Times are aware UTC
instants, so a leg is the same whichever local clock the centre keeps (a call across a DST change is as long
as it was).

- A leg whose start or end is not stored is null, never zero.
- A leg whose end is before its start (clock skew between systems) is null too, and reported as a
  data-quality issue naming the leg and by how many seconds the end precedes the start.
- Each leg carries the two stored times it came from: the field (`incident.call_received_at`,
  `assignment.arrived_at`, ...) and its value.

Incident legs: call answer (received -> picked up), call processing (picked up -> first unit dispatched),
queue (queued -> first unit dispatched), total (received -> first unit arrived), call duration (picked up ->
hung up). "First unit dispatched" is the earliest stored dispatch time, the incident's own or an
assignment's; "first unit arrived" the earliest assignment arrival.

Assignment legs: turnout (dispatched -> en route), travel (en route -> arrived), response (dispatched ->
arrived), on scene (arrived -> cleared).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from incidenthub.clock import as_utc

IncidentLegName = Literal["call_answer", "call_processing", "queue", "total", "call_duration"]
AssignmentLegName = Literal["turnout", "travel", "response", "on_scene"]
LegName = Literal[
    "call_answer", "call_processing", "queue", "total", "call_duration", "turnout", "travel", "response", "on_scene"
]

INCIDENT_LEGS: tuple[IncidentLegName, ...] = ("call_answer", "call_processing", "queue", "total", "call_duration")
ASSIGNMENT_LEGS: tuple[AssignmentLegName, ...] = ("turnout", "travel", "response", "on_scene")
LEG_NAMES: tuple[LegName, ...] = (*INCIDENT_LEGS, *ASSIGNMENT_LEGS)

LABELS: dict[str, str] = {
    "call_answer": "Call answer: call received -> picked up",
    "call_processing": "Call processing: picked up -> first unit dispatched",
    "queue": "Queue: queued for dispatch -> first unit dispatched",
    "total": "Total: call received -> first unit arrived",
    "call_duration": "Call duration: picked up -> hung up",
    "turnout": "Turnout: dispatched -> en route",
    "travel": "Travel: en route -> arrived",
    "response": "Response: dispatched -> arrived",
    "on_scene": "On scene: arrived -> cleared",
}


@dataclass(frozen=True)
class Stamp:
    """One stored time: the field it is kept in and its value (None when not stored)."""

    field: str
    at: datetime | None


@dataclass(frozen=True)
class Leg:
    """One interval: its seconds (None when missing or negative) and the two stored times it came from."""

    name: str
    start: Stamp
    end: Stamp
    seconds: float | None
    # Seconds by which the end precedes the start, when it does (a data-quality issue); else None.
    negative_by: float | None = None

    @property
    def missing(self) -> bool:
        """Whether a stored time the leg needs is absent."""
        return self.start.at is None or self.end.at is None


@dataclass(frozen=True)
class Issue:
    """A data-quality issue: a leg whose end is stored before its start."""

    leg: str
    assignment_id: str | None
    start: Stamp
    end: Stamp
    negative_by_seconds: float

    @property
    def message(self) -> str:
        """The issue in words, naming the leg and the skew."""
        where = f" of assignment {self.assignment_id}" if self.assignment_id else ""
        return (
            f"{self.leg}{where}: {self.end.field} is {span(self.negative_by_seconds)} before {self.start.field}"
            " (clock skew?); the leg is left out"
        )


def span(seconds: float) -> str:
    """Seconds in words: `12 s`, `0.25 s`, `285 s (4 min 45 s)`, `90061 s (1 d 1 h 1 min 1 s)`."""
    text = f"{seconds:.3f}".rstrip("0").rstrip(".") + " s"
    if seconds < 60:
        return text
    whole, parts = int(seconds), []
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)):
        if whole >= size:
            parts.append(f"{whole // size} {unit}")
            whole %= size
    return f"{text} ({' '.join(parts)})"


@dataclass(frozen=True)
class IncidentTimes:
    """The stored times of an incident the incident legs need."""

    call_received_at: datetime | None = None
    call_picked_up_at: datetime | None = None
    call_hung_up_at: datetime | None = None
    dispatch_queued_at: datetime | None = None
    dispatched_at: datetime | None = None


@dataclass(frozen=True)
class AssignmentTimes:
    """The stored milestones of one assignment (a unit on the incident)."""

    id: str
    dispatched_at: datetime | None = None
    enroute_at: datetime | None = None
    arrived_at: datetime | None = None
    cleared_at: datetime | None = None
    unit_id: str | None = None
    call_sign: str | None = None


@dataclass(frozen=True)
class AssignmentLegs:
    """The legs of one assignment; `first_arriving` marks the unit that arrived first on the incident."""

    assignment: AssignmentTimes
    legs: dict[str, Leg]
    first_arriving: bool = False


@dataclass(frozen=True)
class Intervals:
    """Every leg of an incident and of its assignments, and the data-quality issues found."""

    legs: dict[str, Leg]
    assignments: list[AssignmentLegs]
    issues: list[Issue] = field(default_factory=list)


def _ms(value: datetime) -> datetime:
    """The instant to the millisecond, as every answer shows it (so a leg is the difference of the times shown)."""
    value = as_utc(value)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def leg(name: str, start: Stamp, end: Stamp) -> Leg:
    """The leg from `start` to `end`: None when either is missing; None and `negative_by` when end < start."""
    if start.at is None or end.at is None:
        return Leg(name, start, end, None)
    seconds = (_ms(end.at) - _ms(start.at)).total_seconds()
    if seconds < 0:
        return Leg(name, start, end, None, negative_by=-seconds)
    return Leg(name, start, end, seconds)


def _earliest(stamps: Sequence[Stamp]) -> Stamp | None:
    present = [s for s in stamps if s.at is not None]
    return min(present, key=lambda s: as_utc(s.at)) if present else None  # type: ignore[arg-type]


def _assignment_field(assignment_id: str, name: str) -> str:
    return f"assignments[{assignment_id}].{name}"


def assignment_legs(times: AssignmentTimes) -> dict[str, Leg]:
    """Turnout, travel, response and on-scene legs of one assignment."""

    def stamp(name: str) -> Stamp:
        return Stamp(_assignment_field(times.id, name), getattr(times, name))

    dispatched, enroute = stamp("dispatched_at"), stamp("enroute_at")
    arrived, cleared = stamp("arrived_at"), stamp("cleared_at")
    return {
        "turnout": leg("turnout", dispatched, enroute),
        "travel": leg("travel", enroute, arrived),
        "response": leg("response", dispatched, arrived),
        "on_scene": leg("on_scene", arrived, cleared),
    }


def compute(incident: IncidentTimes, assignments: Sequence[AssignmentTimes] = ()) -> Intervals:
    """The legs of an incident and of each of its assignments, with the data-quality issues."""

    def own(name: str) -> Stamp:
        return Stamp(f"incident.{name}", getattr(incident, name))

    received, picked_up, hung_up = own("call_received_at"), own("call_picked_up_at"), own("call_hung_up_at")
    queued = own("dispatch_queued_at")
    dispatch_stamps = [own("dispatched_at")]
    dispatch_stamps += [Stamp(_assignment_field(a.id, "dispatched_at"), a.dispatched_at) for a in assignments]
    first_dispatched = _earliest(dispatch_stamps) or own("dispatched_at")
    arrived = [a for a in assignments if a.arrived_at is not None]
    first = min(arrived, key=lambda a: as_utc(a.arrived_at)) if arrived else None  # type: ignore[arg-type]
    first_arrived = Stamp(
        _assignment_field(first.id if first else "", "arrived_at"), first.arrived_at if first else None
    )

    legs = {
        "call_answer": leg("call_answer", received, picked_up),
        "call_processing": leg("call_processing", picked_up, first_dispatched),
        "queue": leg("queue", queued, first_dispatched),
        "total": leg("total", received, first_arrived),
        "call_duration": leg("call_duration", picked_up, hung_up),
    }
    per_assignment = [AssignmentLegs(a, assignment_legs(a), first_arriving=a is first) for a in assignments]

    issues = _issues(legs, None)
    for entry in per_assignment:
        issues += _issues(entry.legs, entry.assignment.id)
    return Intervals(legs, per_assignment, issues)


def _issues(legs: dict[str, Leg], assignment_id: str | None) -> list[Issue]:
    return [
        Issue(item.name, assignment_id, item.start, item.end, item.negative_by)
        for item in legs.values()
        if item.negative_by is not None
    ]
