"""Sety's `SLA` of one incident: per leg a target, the time elapsed and whether it is breached. Pure.

Every leg starts when the incident started: the call received (`call_received_at`), else the time the source
system created it (`source_created_at`), else the time incidenthub created it (`created_at`).

- `assign`: to the first unit dispatched (the earliest of the incident's `dispatched_at` and its assignments').
- `arrive`: to the first unit arrived (the earliest assignment `arrived_at`).
- `resolve`: to `resolved_at`.

A leg whose end is stored is `met` (elapsed up to it). One whose end is not stored runs to the request time
while the incident is open (`running`), and stops when the incident closed without it (`stopped`, elapsed up
to `resolved_at`, else `cancelled_at`). A leg is breached when its elapsed seconds exceed the target (exactly
the target is not a breach). Instants count to the millisecond, as every answer shows them. A leg whose end is
before its start (clock skew between systems) has no elapsed time and is neither breached nor not (null).

Targets are per severity (`DEFAULT_TARGETS`); a tenant changes them under `tenants.settings["sla"]`:

    {"targets": {"critical": {"assign": 30, "arrive": 300}, "low": {"resolve": null}}}

A leg named replaces the default for that severity, `null` takes its target away (the leg is not shown); a
severity the table does not know (or none) takes the `medium` targets. `SlaSettingsError` names the member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from incidenthub.clock import as_utc

SETTINGS_KEY = "sla"
SlaLeg = Literal["assign", "arrive", "resolve"]
SLA_LEGS: tuple[SlaLeg, ...] = ("assign", "arrive", "resolve")
SEVERITY_LEVELS: tuple[str, ...] = ("low", "medium", "high", "critical")
FALLBACK_SEVERITY = "medium"
MAX_TARGET_SECONDS = 30 * 86_400

# Seconds. Chosen for a safety-response service (Sety dispatches the nearest responder): a critical incident
# gets a unit within a minute and on scene within 8 minutes (NFPA 1710's travel figure for the first engine),
# lower severities proportionally more.
DEFAULT_TARGETS: dict[str, dict[str, float | None]] = {
    "critical": {"assign": 60, "arrive": 480, "resolve": 3_600},
    "high": {"assign": 120, "arrive": 900, "resolve": 14_400},
    "medium": {"assign": 300, "arrive": 1_800, "resolve": 86_400},
    "low": {"assign": 900, "arrive": 3_600, "resolve": 259_200},
}


class SlaSettingsError(ValueError):
    """A tenant's SLA settings that cannot be used; `field` names the member (`sla.targets.high.assign`)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


_Seconds = Field(default=None, gt=0, le=MAX_TARGET_SECONDS)


class _LegTargets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assign: float | None = _Seconds
    arrive: float | None = _Seconds
    resolve: float | None = _Seconds


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: dict[Literal["low", "medium", "high", "critical"], _LegTargets] = Field(default_factory=dict)


@dataclass(frozen=True)
class Targets:
    """Target seconds per severity and leg (None: the leg has no target)."""

    by_severity: Mapping[str, Mapping[str, float | None]]

    def of(self, severity: str | None) -> tuple[str, dict[str, float | None]]:
        """The severity whose targets apply (the fallback for an unknown one) and its targets per leg."""
        chosen = severity if severity is not None and severity in self.by_severity else FALLBACK_SEVERITY
        return chosen, dict(self.by_severity[chosen])


DEFAULTS = Targets(DEFAULT_TARGETS)


def from_settings(settings: Mapping[str, Any] | None) -> Targets:
    """The SLA targets of a tenant with these settings (the defaults changed by `settings["sla"]`)."""
    raw = (settings or {}).get(SETTINGS_KEY)
    if raw is None:
        return DEFAULTS
    if not isinstance(raw, Mapping):
        raise SlaSettingsError(SETTINGS_KEY, "must be an object with `targets`")
    try:
        parsed = _Settings.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        # A bad severity name is reported at the key (Pydantic adds a `[key]` step after it).
        member = ".".join([SETTINGS_KEY, *(str(part) for part in first["loc"] if part != "[key]")])
        raise SlaSettingsError(member, first["msg"]) from None
    table = {severity: dict(legs) for severity, legs in DEFAULT_TARGETS.items()}
    for severity, legs in parsed.targets.items():
        for name in legs.model_fields_set:
            table[severity][name] = getattr(legs, name)
    return Targets(table)


def _ms(value: datetime) -> datetime:
    value = as_utc(value)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from `start` to `end` to the millisecond; None when either is missing or end is before start."""
    if start is None or end is None:
        return None
    seconds = (_ms(end) - _ms(start)).total_seconds()
    return seconds if seconds >= 0 else None


def _earliest(values: Iterable[datetime | None]) -> datetime | None:
    present = [as_utc(v) for v in values if v is not None]
    return min(present) if present else None


@dataclass(frozen=True)
class SlaTimes:
    """The stored times the SLA legs are measured between."""

    started_at: datetime
    started_from: str
    first_dispatched_at: datetime | None
    first_arrived_at: datetime | None
    resolved_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, incident: Any, assignments: Iterable[Any]) -> SlaTimes:
        """The times of an incident row and its assignment rows (anything with the same attribute names)."""
        units = list(assignments)
        started_from = next(
            (name for name in ("call_received_at", "source_created_at") if getattr(incident, name) is not None),
            "created_at",
        )
        return cls(
            started_at=getattr(incident, started_from),
            started_from=started_from,
            first_dispatched_at=_earliest([incident.dispatched_at, *(a.dispatched_at for a in units)]),
            first_arrived_at=_earliest(a.arrived_at for a in units),
            resolved_at=incident.resolved_at,
            cancelled_at=incident.cancelled_at,
        )

    def end_of(self, leg: SlaLeg) -> datetime | None:
        """The stored instant that ends the leg (None while not reached)."""
        return {"assign": self.first_dispatched_at, "arrive": self.first_arrived_at, "resolve": self.resolved_at}[leg]

    @property
    def closed_at(self) -> datetime | None:
        """When the incident closed (resolved, else cancelled): legs not reached by then stop there."""
        return self.resolved_at if self.resolved_at is not None else self.cancelled_at


def leg_state(times: SlaTimes, leg: SlaLeg, target: float, now: datetime) -> dict[str, Any]:
    """One leg of the SLA: target, status (met, running, stopped), elapsed seconds and whether breached."""
    end = times.end_of(leg)
    status = "met" if end is not None else ("stopped" if times.closed_at is not None else "running")
    until = end if end is not None else (times.closed_at if times.closed_at is not None else now)
    elapsed = seconds_between(times.started_at, until)
    return {
        "target_seconds": target,
        "status": status,
        "ended_at": end if end is not None else times.closed_at,
        "elapsed_seconds": elapsed,
        "breached": None if elapsed is None else elapsed > target,
    }


def evaluate(severity: str | None, times: SlaTimes, targets: Targets, now: datetime) -> dict[str, Any]:
    """The whole SLA of an incident at `now`: each leg with a target, and `breached` if any leg is."""
    chosen, per_leg = targets.of(severity)
    legs: dict[str, dict[str, Any] | None] = {
        leg: None if per_leg.get(leg) is None else leg_state(times, leg, float(per_leg[leg]), now)  # type: ignore[arg-type]
        for leg in SLA_LEGS
    }
    return {
        "severity": chosen,
        "started_at": times.started_at,
        "started_from": times.started_from,
        "evaluated_at": _ms(now),
        "breached": any(item is not None and item["breached"] is True for item in legs.values()),
        **legs,
    }
