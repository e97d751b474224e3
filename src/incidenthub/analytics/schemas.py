"""Response bodies of the analytics answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from incidenthub.analytics.intervals import LegName


class StoredTime(BaseModel):
    field: str = Field(description="Where the time is stored: `incident.<column>` or `assignments[<id>].<column>`")
    at: str | None = Field(description="The stored instant (ISO 8601, UTC), null when not stored")


class TargetCheck(BaseModel):
    within_seconds: float
    percent: float = Field(description="Share of legs the standard requires within `within_seconds`")
    within: bool | None = Field(description="Whether this leg is within (null when the leg is not measured)")


class StandardCheck(BaseModel):
    standard_id: str
    name: str
    source: str
    edition: str
    clause: str | None
    within: bool | None = Field(description="Within every target of the standard (null when not measured)")
    targets: list[TargetCheck]


class LegRead(BaseModel):
    leg: LegName
    label: str
    seconds: float | None = Field(description="The leg in seconds; null when a time is missing or the leg is negative")
    status: Literal["measured", "missing", "negative"]
    start: StoredTime
    end: StoredTime
    standards: list[StandardCheck] = Field(description="The standards that judge this leg, and how it fares")


class IncidentLegs(BaseModel):
    call_answer: LegRead
    call_processing: LegRead
    queue: LegRead
    total: LegRead
    call_duration: LegRead


class UnitLegs(BaseModel):
    turnout: LegRead
    travel: LegRead
    response: LegRead
    on_scene: LegRead


class AssignmentIntervals(BaseModel):
    assignment_id: str
    unit_id: str | None
    call_sign: str | None
    first_arriving: bool = Field(description="The unit that arrived first on the incident")
    legs: UnitLegs


class DataQualityIssue(BaseModel):
    leg: LegName
    assignment_id: str | None
    start: StoredTime
    end: StoredTime
    negative_by_seconds: float = Field(description="How many seconds the end is stored before the start")
    message: str


class TargetRead(BaseModel):
    within_seconds: float
    percent: float


class StandardRead(BaseModel):
    id: str
    name: str
    source: str
    edition: str
    clause: str | None
    checked: str | None = Field(description="What the figures and clause were checked against")
    leg: LegName
    targets: list[TargetRead]


class IncidentIntervals(BaseModel):
    incident_id: str
    category: str | None
    agency_type: str | None
    priority: str | None
    legs: IncidentLegs
    assignments: list[AssignmentIntervals]
    data_quality: list[DataQualityIssue]
    standards: list[StandardRead] = Field(description="The tenant's standards that judge some leg of this incident")


# --- answers over a period -------------------------------------------------------------------------------------


class PeriodRead(BaseModel):
    from_: str = Field(alias="from", description="Start (inclusive), in the tenant's local time")
    to: str = Field(description="End (exclusive), in the tenant's local time")
    timezone: str = Field(description="The tenant's time zone (hour and weekday groups are read in it)")


class TargetResultRead(BaseModel):
    within_seconds: float
    percent_required: float
    judged: int = Field(description="Measured legs the standard judges")
    within: int = Field(description="Of those, legs of at most `within_seconds`")
    percent_within: float | None = Field(description="within / judged in percent (null when none judged)")
    passed: bool | None = Field(description="percent_within >= percent_required (null when none judged)")


class StandardFigures(BaseModel):
    standard_id: str
    name: str
    source: str
    edition: str
    clause: str | None
    judged: int
    passed: bool | None = Field(description="Every target met (null when no leg is judged)")
    targets: list[TargetResultRead]


class LegFigures(BaseModel):
    leg: LegName
    label: str
    count: int = Field(description="Measured legs")
    missing: int = Field(description="Legs with a stored time absent (not counted as zero)")
    data_quality_issues: int = Field(description="Negative legs (end stored before start), left out")
    p50: float | None = Field(description="Median in seconds (nearest rank)")
    p90: float | None = Field(description="90th percentile in seconds (nearest rank)")
    mean: float | None
    standards: list[StandardFigures] = Field(description="The tenant's standards that judge this leg")


class GroupFigures(BaseModel):
    group: str | None = Field(description="The group's value (`all` without group_by; null: not recorded)")
    label: str | None = Field(description="A name for the group when the value is an id (call taker)")
    legs: list[LegFigures]


class IntervalFigures(BaseModel):
    model_config = {"populate_by_name": True}

    period: PeriodRead
    group_by: str | None
    groups: list[GroupFigures]


class ComplianceGroup(BaseModel):
    group: str | None
    label: str | None
    count: int
    missing: int
    data_quality_issues: int
    p50: float | None
    p90: float | None
    mean: float | None
    judged: int
    passed: bool | None
    targets: list[TargetResultRead]


class WorstGroups(BaseModel):
    group_by: str
    groups: list[ComplianceGroup] = Field(description="Lowest share within the first target first (at most 5)")


class MissedLeg(BaseModel):
    incident_id: str
    number: str | None
    assignment_id: str | None
    call_sign: str | None
    leg: LegName
    seconds: float | None
    start: StoredTime
    end: StoredTime
    missed: list[float] = Field(description="The targets' `within_seconds` this leg is over")


class MissedPage(BaseModel):
    within_seconds: float = Field(description="Legs over the strictest target's threshold are listed")
    data: list[MissedLeg]
    total: int
    page: int
    limit: int


class Compliance(BaseModel):
    period: PeriodRead
    standard: StandardRead
    count: int
    missing: int
    data_quality_issues: int
    p50: float | None
    p90: float | None
    mean: float | None
    judged: int
    passed: bool | None
    targets: list[TargetResultRead]
    worst_groups: WorstGroups
    missed: MissedPage
