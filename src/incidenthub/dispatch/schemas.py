"""Request and response models of the native dispatch API: units, unit status, assignments."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, model_validator

from incidenthub.incidents.schemas import ResponderRead, Stamp

UnitStatus = Literal["unavailable", "busy", "available", "enroute", "on_scene", "offline"]
AssignmentStatus = Literal["dispatched", "enroute", "on_scene", "cleared"]

UNIT_STATUSES: tuple[str, ...] = get_args(UnitStatus)


MAX_EXTERNAL_IDS = 50  # a unit's ids in other systems (Sonoran API ids, accounts): a handful in practice


class UnitCreate(BaseModel):
    call_sign: str = Field(min_length=1, max_length=128)
    name: str | None = Field(None, max_length=200)
    external_ids: list[str] = Field(
        default_factory=list, max_length=MAX_EXTERNAL_IDS, description="e.g. Sonoran API ids such as `STEAM:1234`"
    )
    department: str | None = Field(None, max_length=128)
    status: UnitStatus = "available"


class UnitUpdate(BaseModel):
    """Only the fields sent change; `external_ids` replaces the list."""

    call_sign: str | None = Field(None, min_length=1, max_length=128)
    name: str | None = Field(None, max_length=200)
    external_ids: list[str] | None = Field(None, max_length=MAX_EXTERNAL_IDS)
    department: str | None = Field(None, max_length=128)


class UnitStatusChange(BaseModel):
    status: UnitStatus


def _non_null(*names: str) -> dict[str, Any]:
    """A JSON Schema: every member of `names` is present and not null."""
    return {"required": list(names), "properties": {name: {"not": {"type": "null"}} for name in names}}


def _null(*names: str) -> dict[str, Any]:
    """A JSON Schema: no member of `names` holds a value (absent or null)."""
    return {"properties": {name: {"type": "null"} for name in names}}


class UnitLocationChange(BaseModel):
    """Last known position: free text, coordinates, or both."""

    # The rules `_something` enforces, stated for clients: something is sent; latitude and longitude go together.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                _non_null("latitude", "longitude"),
                {"allOf": [_non_null("location"), _null("latitude", "longitude")]},
            ]
        }
    )

    location: str | None = Field(None, max_length=500)
    latitude: StrictFloat | None = Field(None, ge=-90, le=90)
    longitude: StrictFloat | None = Field(None, ge=-180, le=180)

    @model_validator(mode="after")
    def _something(self) -> UnitLocationChange:
        if self.location is None and self.latitude is None and self.longitude is None:
            raise ValueError("send location, or latitude and longitude")
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude go together")
        return self


class UnitLocation(BaseModel):
    text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    coordinates: dict[str, Any] | None = Field(None, description="game-map coordinates (Sonoran `x`, `y`, ...)")


class UnitRead(BaseModel):
    unit_id: str
    ident_id: int | None = Field(None, description="small per-tenant integer (Sonoran's identId)")
    call_sign: str
    name: str | None
    external_ids: list[str]
    department: str | None
    status: str
    panic: bool
    location: UnitLocation
    incident_id: str | None = Field(None, description="the incident the unit is assigned to now, if any")
    created_at: Stamp
    updated_at: Stamp


class UnitList(BaseModel):
    """A page of units, paginated as incidents are."""

    data: list[UnitRead]
    page: int
    limit: int
    total: int
    has_more: bool


class AssignmentCreate(BaseModel):
    """A unit (by id or call sign) and/or a person (by personnel id) put on an incident."""

    # The rules `_who` enforces, stated for clients: a unit or a person; a unit by id or by call sign.
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {"anyOf": [_non_null("unit_id"), _non_null("call_sign"), _non_null("personnel_id")]},
                {"anyOf": [_null("unit_id"), _null("call_sign")]},
            ]
        }
    )

    unit_id: str | None = None
    call_sign: str | None = Field(None, min_length=1, max_length=128)
    personnel_id: str | None = Field(None, min_length=1, max_length=128)
    is_primary: StrictBool | None = None
    dispatched_by: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _who(self) -> AssignmentCreate:
        if self.unit_id is None and self.call_sign is None and self.personnel_id is None:
            raise ValueError("send unit_id or call_sign (a unit), personnel_id (a person), or both")
        if self.unit_id is not None and self.call_sign is not None:
            raise ValueError("send unit_id or call_sign, not both")
        return self


class AssignmentUpdate(BaseModel):
    status: AssignmentStatus | None = None
    is_primary: StrictBool | None = None


class AssignmentList(BaseModel):
    data: list[ResponderRead]
