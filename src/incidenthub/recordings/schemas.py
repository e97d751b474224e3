"""Request and response models of the recordings API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from incidenthub.incidents.schemas import Stamp
from incidenthub.inputs import YEARS_1900_2200


def _plausible(value: datetime) -> datetime:
    if not 1900 <= value.year <= 2200:
        raise ValueError("must be between the years 1900 and 2200")
    return value


# The year range `_plausible` enforces, stated for clients as a pattern on the date-time text.
When = Annotated[
    AwareDatetime,
    AfterValidator(_plausible),
    Field(json_schema_extra={"pattern": YEARS_1900_2200, "description": "between the years 1900 and 2200"}),
]


class RecordingCreate(BaseModel):
    position: str = Field(min_length=1, max_length=128, description="The call position (workstation) recorded")
    started_at: When
    ended_at: When
    recorder_ref: str = Field(min_length=1, max_length=1000, description="Where the audio is, in the recorder")
    caller_number: str | None = Field(None, max_length=64)


class Candidate(BaseModel):
    incident_id: str
    overlap_seconds: float


class RecordingRead(BaseModel):
    recording_id: str
    position: str
    started_at: Stamp
    ended_at: Stamp
    recorder_ref: str
    caller_number: str | None
    incident_id: str | None
    match_status: Literal["matched", "unmatched", "ambiguous"]
    overlap_seconds: float | None
    candidates: list[Candidate]
    created_at: Stamp


class RecordingList(BaseModel):
    data: list[RecordingRead]


class RecordingPage(BaseModel):
    data: list[RecordingRead]
    page: int
    limit: int
    total: int
    has_more: bool
