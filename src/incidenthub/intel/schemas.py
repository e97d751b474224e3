"""Response bodies of the threat-intelligence answers (Sety's schema names; fields designed here)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from incidenthub.incidents.schemas import LocationIn, LonLat, Stamp, _Storable

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


# --- heat map, danger zones, safe zones, places (h/intel-map) ----------------------------------------------

PlaceType = Literal["police_station", "hospital", "fire_station", "security_post"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCK_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
_CLOCK = re.compile(CLOCK_PATTERN)
MAX_RANGES = 6
_RANGES: dict[str, Any] = {
    "anyOf": [
        {
            "type": "array",
            "maxItems": MAX_RANGES,
            "items": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "string", "pattern": CLOCK_PATTERN},
            },
            "description": "[open, close] HH:MM; close before open runs past midnight; open equal to close: all day",
        },
        {"type": "null"},
    ]
}
OPENING_HOURS_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "enum": ["24/7"]},
        {
            "type": "object",
            "properties": dict.fromkeys(DAYS, _RANGES),
            "additionalProperties": False,
            "description": "Ranges per weekday in the tenant's timezone; a day not given is closed",
        },
        {"type": "null"},
    ],
    "description": '"24/7", or ranges per weekday (mon..sun) in the tenant\'s timezone; null: unknown',
}


def _check_hours(value: Any) -> Any:
    """`"24/7"`, None, or {weekday: [[open, close], ...]} (days given as null are dropped)."""
    if value is None or value == "24/7":
        return value
    if not isinstance(value, dict):
        raise ValueError('must be "24/7" or an object of weekdays (mon..sun) to [[open, close], ...]')
    for day, ranges in value.items():
        if day not in DAYS:
            raise ValueError(f"{day!r} is not a weekday: use {', '.join(DAYS)}")
        if ranges is None:
            continue
        if not isinstance(ranges, list) or len(ranges) > MAX_RANGES:
            raise ValueError(f"{day}: must be a list of at most {MAX_RANGES} [open, close] ranges")
        for pair in ranges:
            if not (
                isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) and _CLOCK.match(t) for t in pair)
            ):
                raise ValueError(f"{day}: each range is [open, close] as HH:MM from 00:00 to 24:00, got {pair!r}")
    return {day: [list(pair) for pair in ranges] for day, ranges in value.items() if ranges is not None}


OpeningHours = Annotated[Any, WithJsonSchema(OPENING_HOURS_SCHEMA)]


class PlaceLocation(BaseModel):
    coordinates: LonLat = Field(description="[longitude, latitude], GeoJSON order")
    address: str | None = Field(None, max_length=500)

    @field_validator("coordinates")
    @classmethod
    def _lon_lat(cls, value: list[float]) -> list[float]:
        checked = LocationIn._lon_lat(value)  # the same rule and messages as an incident's location
        assert checked is not None  # noqa: S101 - a list in, a list out
        return checked


class PlaceCreate(_Storable):
    """A registered safe place."""

    name: str = Field(min_length=1, max_length=200)
    type: PlaceType
    location: PlaceLocation
    phone: str | None = Field(None, max_length=64)
    opening_hours: OpeningHours = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    _hours = field_validator("opening_hours")(_check_hours)


class PlacePoint(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(description="[longitude, latitude]", min_length=2, max_length=2)
    address: str | None


class PlaceRead(BaseModel):
    place_id: str
    name: str
    type: PlaceType
    location: PlacePoint
    phone: str | None
    opening_hours: Literal["24/7"] | dict[str, list[list[str]]] | None = Field(
        description='"24/7", or {weekday: [[open, close], ...]} for the days given; null: unknown'
    )
    metadata: dict[str, Any]
    created_at: Stamp


class PlacePage(BaseModel):
    data: list[PlaceRead]
    page: int
    limit: int
    total: int
    has_more: bool


class CategoryCount(BaseModel):
    category: str
    incidents: int


class HeatProperties(BaseModel):
    cell: str = Field(description="H3 cell id at the answer's resolution")
    count: int = Field(description="Counted incidents in the cell")
    weight: float = Field(description="Severity-weighted incidents, decayed to now")
    intensity: float = Field(ge=0, le=1, description="weight / the heaviest cell's weight")
    top_categories: list[CategoryCount] = Field(description="Up to 3, most incidents first")


class HeatPolygon(BaseModel):
    type: Literal["Polygon"] = "Polygon"
    coordinates: list[list[list[float]]] = Field(description="One closed ring of [longitude, latitude]")


class HeatFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: HeatPolygon
    properties: HeatProperties


class Period(BaseModel):
    from_: str | None = Field(alias="from", description="Inclusive start (UTC); null: every incident known")
    to: str | None = Field(description="Exclusive end (UTC); null: every incident known")


class HeatTotals(BaseModel):
    cells: int
    incidents: int
    weight: float


class HeatmapResponse(BaseModel):
    """A GeoJSON FeatureCollection of H3 cells, with what it was computed from."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[HeatFeature] = Field(description="Heaviest first")
    resolution: int = Field(ge=5, le=9)
    bbox: list[float] = Field(min_length=4, max_length=4, description="[min_lon, min_lat, max_lon, max_lat]")
    category: Category | None
    period: Period
    generated_at: str
    half_life_days: float
    timezone: str
    totals: HeatTotals
    cells: list[CellWeight] = Field(description="The 20 hottest cells of the map")
    incidents: IncidentSample


class PolygonShape(BaseModel):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]


class PeakHour(BaseModel):
    hour_of_week: int = Field(ge=0, le=167, description="Monday 00h local is 0")
    weekday: str
    hour: int = Field(ge=0, le=23)
    incidents: int
    weight: float


class PeakHourOfDay(BaseModel):
    hour: int = Field(ge=0, le=23)
    incidents: int


class PeakWeekday(BaseModel):
    weekday: str
    incidents: int


class DangerZone(BaseModel):
    zone_id: str = Field(description="zone_ and the zone's heaviest resolution-8 cell")
    polygon: PolygonShape
    centroid: GeoPoint = Field(description="Weighted by the cells' weights")
    score: int = Field(ge=0, le=100, description="Danger: 100 x (1 - 2^-risk); 75 is twice the tenant's average")
    risk: float = Field(description="The zone's weighted incidents per km² over the tenant's (1.0 = average)")
    area_km2: float
    incident_count: int
    weight: float
    top_categories: list[CategoryCount]
    last_incident_at: str
    peak_hours: list[PeakHour] = Field(description="The 3 heaviest local hours of the week")
    peak_hour_of_day: PeakHourOfDay | None
    peak_weekday: PeakWeekday | None
    cells: list[CellWeight] = Field(description="Its resolution-8 cells, heaviest first")
    incidents: IncidentSample
    reference_per_km2: float


class DangerZonePage(BaseModel):
    data: list[DangerZone]
    page: int
    limit: int
    total: int
    has_more: bool


class SafePlaceNearby(PlaceRead):
    distance_m: float
    bearing_deg: float = Field(ge=0, lt=360, description="From the point asked about, clockwise from north")
    open_now: bool | None = Field(description="From the opening hours in the tenant's timezone; null: unknown")


class LowRiskCell(BaseModel):
    cell: str = Field(description="H3 cell, resolution 8")
    centre: GeoPoint
    distance_m: float
    bearing_deg: float = Field(ge=0, lt=360)
    incidents: int
    weight: float


class SafeZones(BaseModel):
    location: GeoPoint
    radius_m: float
    timezone: str
    local_time: str
    places: list[SafePlaceNearby] = Field(description="Nearest first (at most 50)")
    places_total: int
    low_risk_cells: list[LowRiskCell] = Field(description="The 10 nearest low-risk cells")
    low_risk_resolution: int
    low_risk_max_per_km2: float = Field(description="A low-risk cell has at most this weight per km²")
    reference_per_km2: float


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
