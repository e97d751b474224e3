"""Response bodies of the threat-intelligence answers (Sety's schema names; fields designed here)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class LatLon(BaseModel):
    lat: float
    lon: float


class RouteSegment(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    index: int = Field(description="0 is the segment from the first point to the second")
    from_: LatLon = Field(alias="from")
    to: LatLon
    length_m: float
    score: int = Field(ge=0, le=100, description="The segment's corridor scored like a place (100 safest)")
    level: Level
    risk: float = Field(description="Weighted incidents per km² of the corridor against the tenant's average")
    incidents: int = Field(description="Counted incidents in the corridor's cells")
    weight: float = Field(description="Their severity weight, decayed to now")
    cells: int = Field(description="Resolution-9 cells in the corridor")


class WorstSegment(BaseModel):
    index: int
    score: int = Field(ge=0, le=100)
    level: Level


class Hotspot(BaseModel):
    cell: str = Field(description="H3 cell id (resolution 9)")
    distance_along_m: float = Field(description="From the route's start to the point of the route nearest the cell")
    distance_from_route_m: float
    lat: float = Field(description="The cell's centre")
    lon: float
    incidents: int
    top_category: Category
    weight: float = Field(description="Severity weight, decayed to now")
    density_ratio: float = Field(description="The cell's weight per km² against the tenant's average (>= 2)")


class DepartureHour(BaseModel):
    departs_at: str
    local_time: str
    hour_of_week: int = Field(ge=0, le=167, description="Local; Monday 00h is 0")
    weight: float = Field(description="Decayed weight of the route's cells in this hour and its two neighbours")
    relative_risk: float = Field(description="Against the mean of the 24 hours (1.0 = average; lower is safer)")


class Departure(BaseModel):
    safest: DepartureHour = Field(description="The hour whose window weighs least (the earliest of equals)")
    hours: list[DepartureHour] = Field(description="The next 24 hours from `at`")


class RouteSafety(BaseModel):
    at: str
    local_time: str
    timezone: str
    points: int = Field(description="Points of the route (waypoints or decoded polyline)")
    length_m: float
    corridor_m: float
    score: int = Field(ge=0, le=100, description="Segment scores weighted by their length (100 safest)")
    level: Level
    worst_segment: WorstSegment
    reference_per_km2: float = Field(description="The tenant's weighted incidents per km² outside the corridor")
    half_life_days: float
    segments: list[RouteSegment]
    hotspots: list[Hotspot] = Field(description="Cells at least twice the tenant's density, in route order")
    departure: Departure
    cells: list[CellWeight]
    incidents: IncidentSample
    computed_at: str


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class TimeAnalysis(BaseModel):
    timezone: str = Field(description="The tenant's; every hour and weekday here is local")
    weekdays: list[Weekday] = Field(description="The rows of `matrix`, Monday first")
    matrix: list[list[int]] = Field(description="Incidents per weekday (7 rows) and local hour of day (24 columns)")
    by_hour: list[int] = Field(description="Incidents per local hour of day, 0 to 23")
    by_weekday: dict[str, int]
    peak_hour: int | None = Field(description="The busiest hour of day (the earliest of equals); null: no incidents")
    peak_weekday: Weekday | None


class Trend(BaseModel):
    current: int = Field(description="Incidents in the period")
    previous: int = Field(description="Incidents in the period of equal length just before it")
    previous_from: str
    previous_to: str
    change_percent: float | None = Field(description="null when the previous period had none")
    direction: Literal["rising", "falling", "steady"] = Field(
        description="steady: a change under 10% or of at most one incident"
    )


class LocationComparison(BaseModel):
    area_km2: float
    incidents_per_km2: float = Field(description="In the circle over the period")
    tenant_incidents_per_km2: float = Field(description="The tenant's incidents over its area, same period")
    tenant_area_km2: float = Field(description="Resolution-7 cells with any incident x their area")
    ratio: float | None = Field(description="Here against the tenant's average; null when the tenant has none")
    label: Literal["lower", "similar", "higher"] = Field(description="similar: a ratio from 0.8 to 1.25")


class IncidentPattern(BaseModel):
    weekday: Weekday
    start_hour: int = Field(ge=0, le=21, description="Local; the band is 3 hours long")
    end_hour: int = Field(ge=3, le=24)
    category: str
    incidents: int = Field(ge=3)
    share: float = Field(description="Of the period's incidents in the circle")


class PredictedHour(BaseModel):
    starts_at: str
    local_time: str
    hour_of_week: int = Field(ge=0, le=167)
    expected_incidents: float
    probability: float = Field(ge=0, le=1, description="Of at least one incident in the circle in that hour")


class RiskPrediction(BaseModel):
    method: str = Field(description="How the expectation is computed, in plain words")
    expected_total: float = Field(description="Expected incidents in the next 24 hours")
    peak: PredictedHour
    hours: list[PredictedHour]


class DangerAnalytics(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    location: GeoPoint
    radius_m: float
    from_: str = Field(alias="from", description="Start of the period (inclusive)")
    to: str = Field(description="End of the period (exclusive; a to_date date includes its whole day)")
    timezone: str
    total: int
    by_category: dict[str, int]
    by_severity: dict[str, int]
    time_analysis: TimeAnalysis
    trend: Trend
    comparison: LocationComparison
    patterns: list[IncidentPattern] = Field(
        description="Weekday x 3-hour band x category groups with at least 3 incidents, largest first (at most 20)"
    )
    prediction: RiskPrediction
    incidents: IncidentSample
    computed_at: str
