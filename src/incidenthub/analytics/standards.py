"""Response-time standards (edition-tagged, with their source and clause) and the figures judged by them. Pure.

A standard names one leg (`intervals.LEG_NAMES`) and one or more targets "`percent` % of legs within
`within_seconds`"; a leg is within a target when its value is at most `within_seconds` (15.0 s is within 15 s).
A standard passes when, for every target, the share of legs within it is at least the percent required
(90.0 % passes a 90 % target, 89.9 % fails); with no leg measured it neither passes nor fails (None).

Percentiles are nearest-rank: the p-th percentile of n sorted values is the value at rank ceil(p/100 * n)
(1-based), always one of the measured values (p90 of [1..10] is 9, of [1..5] is 5).

Missing legs (a stored time absent) and data-quality issues (a negative leg) are counted apart and left out
of every figure.

A tenant adds its own standards (or replaces a default by reusing its id) under
`tenants.settings["analytics"]`:

    {"standards": [{"id": "local-ems-p1", "name": "EMS priority 1 response", "source": "County SLA",
                    "edition": "2025", "leg": "response", "priorities": ["Priority 1"],
                    "targets": [{"within_seconds": 480, "percent": 90}]}],
     "defaults": true}

`defaults: false` leaves the built-in standards out. `StandardsError` names the member that is wrong
(`analytics.standards[0].targets[0].percent`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from incidenthub.analytics.intervals import Leg, LegName

SETTINGS_KEY = "analytics"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Target(BaseModel):
    """`percent` % of legs within `within_seconds` seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    within_seconds: float = Field(gt=0, le=86_400, description="A leg of at most this many seconds is within")
    percent: float = Field(gt=0, le=100, description="Share of legs (percent) that must be within")


class Standard(BaseModel):
    """A response-time standard: which leg, which incidents, which targets, and where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
    name: Text
    source: Text = Field(description="The document, e.g. `NFPA 1710`, or the tenant's own policy")
    edition: Text = Field(description="The edition the figures come from, e.g. `2020`")
    clause: Text | None = Field(default=None, description="Where in the document, e.g. `4.1.2.1(2)`")
    checked: Note | None = Field(
        default=None, description="What the figures and clause were checked against (None: a tenant's own)"
    )
    leg: LegName
    targets: list[Target] = Field(min_length=1, max_length=5)
    categories: list[Text] | None = Field(default=None, description="Only incidents of these categories")
    agency_types: list[Text] | None = Field(default=None, description="Only incidents of these agency types")
    priorities: list[Text] | None = Field(default=None, description="Only incidents of these priorities")
    first_arriving_only: bool = Field(default=False, description="Only the first unit to arrive (unit legs)")

    def applies(self, category: str | None, agency_type: str | None, priority: str | None) -> bool:
        """Whether the standard judges an incident of this category, agency type and priority."""
        return all(
            allowed is None or (value is not None and value.casefold() in {a.casefold() for a in allowed})
            for allowed, value in (
                (self.categories, category),
                (self.agency_types, agency_type),
                (self.priorities, priority),
            )
        )


_NFPA_1710_CHECK = (
    "travel 240 s for the first engine checked against NFPA Journal, Sept/Oct 2015 (NFPA 1710 chapter 4); "
    "turnout 60 s / 80 s and full alarm 480 s against secondary sources only; "
    "clause numbers and the 90 % objective (4.1.2.4) not checked against the standard's text"
)

DEFAULTS: tuple[Standard, ...] = (
    Standard(
        id="nena-sta-020.1-2020-call-answering",
        name="NENA 9-1-1 call answering",
        source="NENA-STA-020.1-2020 (NENA Standard for 9-1-1 Call Processing)",
        edition="2020",
        clause=None,
        checked=(
            "figures checked against NENA's announcement of the standard (nena.org/news/514408, June 2020); "
            "the section number could not be found and is not given"
        ),
        leg="call_answer",
        targets=[Target(within_seconds=15, percent=90), Target(within_seconds=20, percent=95)],
    ),
    Standard(
        id="nfpa-1225-2022-call-answering",
        name="NFPA 1225 call answering",
        source="NFPA 1225",
        edition="2022",
        clause=None,
        checked=(
            "figures checked against NFPA Today, 2023-01-23 ('How long does it take for your 911 call to be "
            "answered?'); the clause number could not be found and is not given"
        ),
        leg="call_answer",
        targets=[Target(within_seconds=10, percent=90)],
    ),
    Standard(
        id="nfpa-1225-2022-call-processing",
        name="NFPA 1225 call processing (answered to first unit dispatched)",
        source="NFPA 1225",
        edition="2022",
        clause=None,
        checked="figures checked against NFPA Today, 2023-01-23; the clause number could not be found",
        leg="call_processing",
        targets=[Target(within_seconds=60, percent=90)],
    ),
    Standard(
        id="nfpa-1221-2016-call-processing",
        name="NFPA 1221 emergency alarm processing",
        source="NFPA 1221",
        edition="2016",
        clause="7.4.2",
        checked=(
            "clause 7.4.2 (alarm processing) seen cited for an earlier edition; the 2016 figures (64 s / 106 s) "
            "not checked against the standard's text"
        ),
        leg="call_processing",
        targets=[Target(within_seconds=64, percent=90), Target(within_seconds=106, percent=95)],
    ),
    Standard(
        id="nfpa-1710-2020-turnout-ems",
        name="NFPA 1710 turnout, EMS",
        source="NFPA 1710",
        edition="2020",
        clause="4.1.2.1(2)",
        checked=_NFPA_1710_CHECK,
        leg="turnout",
        categories=["medical"],
        targets=[Target(within_seconds=60, percent=90)],
    ),
    Standard(
        id="nfpa-1710-2020-turnout-fire",
        name="NFPA 1710 turnout, fire",
        source="NFPA 1710",
        edition="2020",
        clause="4.1.2.1(2)",
        checked=_NFPA_1710_CHECK,
        leg="turnout",
        categories=["fire"],
        targets=[Target(within_seconds=80, percent=90)],
    ),
    Standard(
        id="nfpa-1710-2020-travel-first-engine",
        name="NFPA 1710 travel, first arriving engine",
        source="NFPA 1710",
        edition="2020",
        clause="4.1.2.1(3)",
        checked=_NFPA_1710_CHECK,
        leg="travel",
        categories=["fire"],
        first_arriving_only=True,
        targets=[Target(within_seconds=240, percent=90)],
    ),
    Standard(
        id="nfpa-1710-2020-travel-full-alarm",
        name="NFPA 1710 travel, initial full alarm assignment",
        source="NFPA 1710",
        edition="2020",
        clause="4.1.2.1(5)",
        checked=_NFPA_1710_CHECK,
        leg="travel",
        categories=["fire"],
        targets=[Target(within_seconds=480, percent=90)],
    ),
)


class StandardsError(ValueError):
    """A tenant's analytics settings that cannot be used; `field` names the member."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    standards: list[Standard] = Field(default_factory=list, max_length=100)
    defaults: bool = True


def _member(location: Sequence[int | str]) -> str:
    path = SETTINGS_KEY
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def from_settings(settings: Mapping[str, Any] | None) -> list[Standard]:
    """The standards of a tenant with these settings: the defaults (unless turned off), then its own; a tenant's
    standard with a default's id replaces it. StandardsError names a bad member."""
    raw = (settings or {}).get(SETTINGS_KEY)
    if raw is None:
        return list(DEFAULTS)
    if not isinstance(raw, Mapping):
        raise StandardsError(SETTINGS_KEY, "must be an object with `standards` and `defaults`")
    try:
        parsed = _Settings.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        raise StandardsError(_member(first["loc"]), first["msg"]) from None
    seen: set[str] = set()
    for index, standard in enumerate(parsed.standards):
        if standard.id in seen:
            raise StandardsError(_member(("standards", index, "id")), f"{standard.id!r} is used twice")
        seen.add(standard.id)
    own = {s.id: s for s in parsed.standards}
    chosen = [own.pop(s.id, s) for s in DEFAULTS] if parsed.defaults else []
    return [*chosen, *own.values()]


# --- figures -----------------------------------------------------------------------------------------------


def nearest_rank(sorted_values: Sequence[float], percentile: int) -> float | None:
    """The nearest-rank percentile of ascending values: the value at rank ceil(p/100 * n); None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(Fraction(percentile * len(sorted_values), 100)))
    return sorted_values[rank - 1]


@dataclass(frozen=True)
class TargetResult:
    """How a set of legs fared against one target."""

    within_seconds: float
    percent_required: float
    within: int
    percent_within: float | None
    passed: bool | None


@dataclass(frozen=True)
class Summary:
    """Figures of a set of legs: measured count, missing and data-quality counts, fractiles, mean, targets."""

    count: int
    missing: int
    issues: int
    p50: float | None
    p90: float | None
    mean: float | None
    targets: list[TargetResult]
    passed: bool | None


def judge(values: Sequence[float], target: Target) -> TargetResult:
    """The share of `values` within the target, and whether it meets the percent required (exactly)."""
    within = sum(1 for v in values if v <= target.within_seconds)
    if not values:
        return TargetResult(target.within_seconds, target.percent, 0, None, None)
    share = Fraction(within * 100, len(values))
    passed = share >= Fraction(str(target.percent))
    return TargetResult(target.within_seconds, target.percent, within, round(float(share), 2), passed)


def summarize(values: Sequence[float], missing: int = 0, issues: int = 0, targets: Sequence[Target] = ()) -> Summary:
    """Count, p50, p90 (nearest-rank), mean and each target's result for measured leg values."""
    ordered = sorted(values)
    results = [judge(ordered, t) for t in targets]
    verdicts = [r.passed for r in results]
    passed = None if not results or any(v is None for v in verdicts) else all(verdicts)
    mean = math.fsum(ordered) / len(ordered) if ordered else None
    return Summary(
        len(ordered), missing, issues, nearest_rank(ordered, 50), nearest_rank(ordered, 90), mean, results, passed
    )


def summarize_legs(legs: Sequence[Leg], standard: Standard | None = None) -> Summary:
    """`summarize` over legs: a missing leg counts as missing, a negative one as a data-quality issue."""
    values = [item.seconds for item in legs if item.seconds is not None]
    missing = sum(1 for item in legs if item.missing)
    issues = sum(1 for item in legs if item.negative_by is not None)
    return summarize(values, missing, issues, standard.targets if standard else ())
