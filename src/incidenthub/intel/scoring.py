"""The safety score of a place: three kinds of evidence against the tenant's own average. Pure.

- `nearby`: the decayed weight of the counted incidents within the radius (severity x age);
- `time_of_day`: the decayed weight of those that happened in the same local hours of the week (the hour
  asked for and its two neighbours), times 56, so an even spread over the week equals `nearby`;
- `recent`: the undecayed weight of those of the last 7 days, times (half-life / ln 2) / 7, so a steady rate
  equals `nearby`.

risk = (0.5 nearby + 0.3 time_of_day + 0.2 recent) / area / reference density, where the reference is the
tenant's own weighted incidents per km² outside the circle (so 1.0 is "as dangerous as the tenant's
average", and an incident added inside the circle can only raise the risk), floored at one weighted
incident per km². score = round(100 x 2 ** -risk): 100 is a place with no history, 50 the average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FACTOR_WEIGHTS: dict[str, float] = {"nearby_incidents": 0.5, "time_of_day": 0.3, "recent_trend": 0.2}
TIME_WINDOW_HOURS = 3  # the hour asked for and its two neighbours
RECENT_DAYS = 7
REFERENCE_FLOOR = 1.0  # weighted incidents per km²
LEVELS: tuple[tuple[int, str], ...] = ((75, "safe"), (50, "moderate"), (25, "caution"), (0, "danger"))


@dataclass(frozen=True)
class Evidence:
    """What was found around a place (weights are severity weights; decayed ones are decayed to now)."""

    nearby: float
    same_hours: float
    recent: float
    area_km2: float


@dataclass(frozen=True)
class Factor:
    name: str
    value: float  # the component, in weighted incidents (scaled as described above)
    weight: float  # its share of the risk formula
    contribution: float  # points it took off the score


@dataclass(frozen=True)
class Score:
    score: int
    level: str
    risk: float
    reference_per_km2: float
    factors: tuple[Factor, ...]


def reference_density(tenant_total: float, tenant_area_km2: float, nearby: float, area_km2: float) -> float:
    """The tenant's weighted incidents per km² outside the circle, floored."""
    outside_area = tenant_area_km2 - area_km2
    if outside_area <= 0:
        return REFERENCE_FLOOR
    return max(REFERENCE_FLOOR, (tenant_total - nearby) / outside_area)


def level_of(score: int) -> str:
    return next(name for threshold, name in LEVELS if score >= threshold)


def score(evidence: Evidence, reference: float, half_life_days: float) -> Score:
    components = {
        "nearby_incidents": evidence.nearby,
        "time_of_day": evidence.same_hours * (168 / TIME_WINDOW_HOURS),
        "recent_trend": evidence.recent * (half_life_days / math.log(2)) / RECENT_DAYS,
    }
    parts = {name: FACTOR_WEIGHTS[name] * value / evidence.area_km2 / reference for name, value in components.items()}
    risk = sum(parts.values())
    value = round(100 * 2.0 ** (-risk))
    deducted = 100 - value
    factors = tuple(
        Factor(
            name=name,
            value=round(components[name], 4),
            weight=FACTOR_WEIGHTS[name],
            contribution=round(deducted * parts[name] / risk, 2) if risk > 0 else 0.0,
        )
        for name in components
    )
    return Score(score=value, level=level_of(value), risk=round(risk, 4), reference_per_km2=reference, factors=factors)
