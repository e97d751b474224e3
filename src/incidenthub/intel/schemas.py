"""Response bodies of the threat-intelligence answers (Sety's schema names; fields designed here)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Category = Literal["sos", "vehicle", "location_threat", "medical", "fire", "other"]
Level = Literal["safe", "moderate", "caution", "danger"]


class GeoPoint(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(description="[longitude, latitude] (GeoJSON order)", min_length=2, max_length=2)


class CellWeight(BaseModel):
    cell: str = Field(description="H3 cell id (resolution 9 unless stated)")
    incidents: int
    weight: float = Field(description="Severity-weighted incidents, decayed to now")


class IncidentSample(BaseModel):
    total: int = Field(description="How many incidents the answer counted")
    ids: list[str] = Field(description="The ones that weigh most now (at most 20), heaviest first")


class Factor(BaseModel):
    factor: Literal["nearby_incidents", "time_of_day", "recent_trend"]
    value: float = Field(description="The evidence, in weighted incidents (see the README for each scale)")
    weight: float = Field(description="Its share of the risk formula")
    contribution: float = Field(description="Points it took off the score (the contributions sum to 100 - score)")


class SafetyScore(BaseModel):
    location: GeoPoint
    radius_m: float
    at: str = Field(description="The time the score is for (its local hour of the week matters)")
    local_time: str
    timezone: str
    score: int = Field(ge=0, le=100, description="100 is safest; 50 is the tenant's average")
    level: Level
    risk: float = Field(description="Weighted incidents per km² against the tenant's average (1.0 = average)")
    reference_per_km2: float = Field(description="The tenant's weighted incidents per km² outside the circle")
    half_life_days: float
    factors: list[Factor]
    cells: list[CellWeight]
    incidents: IncidentSample
    computed_at: str
