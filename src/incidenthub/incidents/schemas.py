"""Request and response models of the native (Sety-shaped) incidents API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictFloat,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from incidenthub.clock import iso_utc
from incidenthub.inputs import unstorable

Category = Literal["sos", "vehicle", "location_threat", "medical", "fire", "other"]
Severity = Literal["low", "medium", "high", "critical"]
Status = Literal["created", "dispatching", "assigned", "responding", "on_scene", "resolved", "cancelled"]
ResolutionOutcome = Literal["handled", "false_alarm", "referred", "unresolved"]

CATEGORIES: tuple[str, ...] = get_args(Category)
SEVERITIES: tuple[str, ...] = get_args(Severity)
STATUSES: tuple[str, ...] = get_args(Status)
RESOLUTION_OUTCOMES: tuple[str, ...] = get_args(ResolutionOutcome)

Stamp = Annotated[datetime, PlainSerializer(iso_utc, return_type=str)]


class _Storable(BaseModel):
    """A request body whose strings hold no NUL and whose numbers are finite (what databases can keep)."""

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        bad = unstorable(data)
        if bad:
            raise PydanticCustomError("unstorable", "{field}: {reason}", {"field": bad[0], "reason": bad[1]})
        return data


class SubjectIn(BaseModel):
    """The person the incident is about; no account needed, pass what you hold."""

    name: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=320)
    reference: str | None = Field(None, max_length=200)
    metadata: dict[str, Any] = Field(default_factory=dict)


# What `LocationIn._lon_lat` checks, stated for clients (the list type keeps its clearer error message).
LonLat = Annotated[
    list[StrictFloat],
    WithJsonSchema(
        {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "prefixItems": [
                {"type": "number", "minimum": -180, "maximum": 180, "description": "longitude"},
                {"type": "number", "minimum": -90, "maximum": 90, "description": "latitude"},
            ],
        }
    ),
]


class LocationIn(BaseModel):
    """Where: GeoJSON order `[longitude, latitude]`, plus free text."""

    coordinates: LonLat | None = Field(None, description="[longitude, latitude], GeoJSON order")
    address: str | None = Field(None, max_length=500)
    landmark: str | None = Field(None, max_length=500)

    @field_validator("coordinates")
    @classmethod
    def _lon_lat(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        if len(value) != 2:
            raise ValueError("must be [longitude, latitude]: exactly two numbers")
        lon, lat = value
        if not -180 <= lon <= 180:
            raise ValueError(f"longitude {lon} is outside [-180, 180]")
        if not -90 <= lat <= 90:
            raise ValueError(f"latitude {lat} is outside [-90, 90]")
        return value


class IncidentCreate(_Storable):
    """Sety's CreateIncidentRequest."""

    category: Category
    severity: Severity = "medium"
    title: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=20000)
    subject: SubjectIn | None = None
    location: LocationIn | None = None
    is_drill: StrictBool = False
    idempotency_key: str | None = Field(None, min_length=1, max_length=256)
    metadata: dict[str, Any] = Field(default_factory=dict)


class NoteCreate(_Storable):
    note: str = Field(min_length=1, max_length=20000)
    author: str | None = Field(None, max_length=200)


class CancelRequest(_Storable):
    reason: str | None = Field(None, max_length=2000)


class StatusChange(_Storable):
    """A lifecycle transition; a resolution (outcome, notes) goes only with status `resolved` (or `cancelled`)."""

    # The rule `service.change_status` enforces, stated for clients.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["status"], "properties": {"status": {"enum": ["resolved", "cancelled"]}}},
                {
                    "properties": {
                        "resolution_outcome": {"type": "null"},
                        "resolution_notes": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 0}]},
                    }
                },
            ]
        }
    )

    status: Status
    message: str | None = Field(None, max_length=2000)
    resolution_outcome: ResolutionOutcome | None = None
    resolution_notes: str | None = Field(None, max_length=20000)


# --- read shapes -------------------------------------------------------------------------------


class Subject(BaseModel):
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    reference: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Location(BaseModel):
    coordinates: list[float] | None = Field(None, description="[longitude, latitude]")
    address: str | None = None
    landmark: str | None = None
    block: str | None = None
    postal: str | None = None


class TimelineEventRead(BaseModel):
    status: str | None
    event: str
    message: str | None
    timestamp: Stamp
    actor: str | None = None
    data: dict[str, Any] | None = None


class NoteRead(BaseModel):
    note_id: str
    source_note_id: str | None = None
    note: str
    author: str | None = None
    label: str | None = None
    noted_at: Stamp
    created_at: Stamp


class PersonRef(BaseModel):
    id: str
    personnel_id: str
    name: str | None = None


class UnitRef(BaseModel):
    id: str
    call_sign: str
    name: str | None = None


class ResponderRead(BaseModel):
    """Sety's ResponderAssignment: one unit (and the person, when the CAD names one) on the incident, its
    milestones and the intervals between them (seconds to the millisecond; null when a milestone is missing
    or precedes the one before it)."""

    assignment_id: str
    unit: UnitRef | None = None
    personnel: PersonRef | None = None
    is_primary: bool
    status: str | None = None
    dispatched_by: str | None = None
    assigned_at: Stamp | None = Field(
        None,
        description=(
            "When the unit was assigned: its dispatch time when the source sent one earlier than incidenthub "
            "recorded the assignment, else when incidenthub recorded it"
        ),
    )
    dispatched_at: Stamp | None = None
    enroute_at: Stamp | None = None
    arrived_at: Stamp | None = None
    cleared_at: Stamp | None = None
    turnout_seconds: float | None = Field(None, description="dispatched_at -> enroute_at")
    travel_seconds: float | None = Field(None, description="enroute_at -> arrived_at")
    response_seconds: float | None = Field(None, description="dispatched_at -> arrived_at")


class SlaLegRead(BaseModel):
    """One leg of the SLA: from the incident's start to its milestone."""

    target_seconds: float
    status: Literal["met", "running", "stopped"] = Field(
        description="met: the milestone is stored; running: not yet, the incident is open (elapsed grows with "
        "the request time); stopped: the incident closed without it"
    )
    ended_at: Stamp | None = Field(description="The milestone (met) or the closing time (stopped); null while running")
    elapsed_seconds: float | None = Field(
        description="Seconds from started_at to ended_at (or to evaluated_at while running); null when the "
        "milestone is stored before the start (clock skew)"
    )
    breached: bool | None = Field(description="elapsed_seconds > target_seconds; null when elapsed is null")


class SlaRead(BaseModel):
    """Sety's SLA: per leg with a target (assign, arrive, resolve; null without one) and overall."""

    severity: str = Field(description="The severity whose targets apply (medium for an unknown one)")
    started_at: Stamp
    started_from: Literal["call_received_at", "source_created_at", "created_at"]
    evaluated_at: Stamp = Field(description="The request time running legs are measured to")
    breached: bool = Field(description="Whether any leg is breached")
    assign: SlaLegRead | None = Field(description="To the first unit dispatched")
    arrive: SlaLegRead | None = Field(description="To the first unit arrived")
    resolve: SlaLegRead | None = Field(description="To resolved_at")


class RelatedIncident(BaseModel):
    kind: str
    source: str
    external_id: str | None
    incident_id: str | None = Field(None, description="null while the other incident has not arrived")


class Caller(BaseModel):
    name: str | None = None
    number: str | None = None


class IncidentRead(BaseModel):
    """Sety's Incident plus every canonical field, so one read shows what any door stored."""

    model_config = ConfigDict(from_attributes=True)

    incident_id: str
    idempotency_key: str | None
    category: str | None
    severity: str | None
    status: str
    subject: Subject | None
    title: str | None
    description: str | None
    location: Location
    resolution_outcome: str | None
    resolution_notes: str | None
    is_drill: bool
    timeline: list[TimelineEventRead]
    created_at: Stamp
    updated_at: Stamp
    resolved_at: Stamp | None
    cancelled_at: Stamp | None

    source: str
    external_id: str | None
    revision: int
    number: str | None
    case_number: str | None
    incident_type: str | None
    initial_incident_type: str | None
    priority: str | None
    stage: str | None
    disposition: str | None
    caller: Caller
    agency: str | None
    agency_type: str | None
    response_area: str | None
    radio_channel: str | None
    call_source: str | None
    call_position: str | None
    call_taker: PersonRef | None
    source_created_at: Stamp | None
    call_received_at: Stamp | None
    call_picked_up_at: Stamp | None
    call_hung_up_at: Stamp | None
    dispatch_queued_at: Stamp | None
    dispatched_at: Stamp | None
    acknowledged_at: Stamp | None
    identified_at: Stamp | None
    mitigated_at: Stamp | None
    target_close_at: Stamp | None
    closed_at: Stamp | None
    tags: list[Any]
    owners: list[Any]
    stakeholders: list[Any]
    custom_fields: dict[str, Any]
    metadata: dict[str, Any]
    notes: list[NoteRead]
    responders: list[ResponderRead]
    related_incidents: list[RelatedIncident]
    sla: SlaRead | None = Field(
        None, description="Computed at each read from the stored times and the request time (not in event payloads)"
    )


class IncidentEnvelope(BaseModel):
    incident: IncidentRead
    idempotent: bool


class IncidentPage(BaseModel):
    data: list[IncidentRead]
    page: int
    limit: int
    total: int
    has_more: bool
