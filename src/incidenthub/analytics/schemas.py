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
