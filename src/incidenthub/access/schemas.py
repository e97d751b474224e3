"""Request and response models of the access-control API (Sety's AccessCode, CreateAccessCodeRequest,
ValidationResult, AccessLog and CurrentVisitor), snake_case, times in UTC with the site's local time beside."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from incidenthub.access.rules import CodeStatus, DenialReason, Reason, is_timezone, timezone_names
from incidenthub.incidents.schemas import LonLat, Stamp, _Storable
from incidenthub.inputs import YEARS_1900_2200
from incidenthub.recordings.schemas import _plausible

MAX_GATES = 50
LogStatus = Literal["inside", "checked_out", "denied"]
Method = Literal["code", "token", "walk_in"]

When = Annotated[
    AwareDatetime,
    Field(json_schema_extra={"pattern": YEARS_1900_2200, "description": "ISO 8601 with an offset; years 1900-2200"}),
]
# The names are stated in the schema, so a client knows which are accepted; the refusal names the field.
TimezoneName = Annotated[
    str,
    Field(
        max_length=64,
        json_schema_extra={"enum": list(timezone_names())},
        description="IANA timezone, e.g. Africa/Lagos",
    ),
]
GateName = Annotated[str, Field(min_length=1, max_length=64)]
_UNIQUE: dict[str, Any] = {"uniqueItems": True}


def _years(value: Any) -> Any:
    return _plausible(value) if value is not None else None


def _check_timezone(value: str | None) -> str | None:
    if value is not None and not is_timezone(value):
        raise ValueError("must be an IANA timezone name, such as Africa/Lagos or Europe/London")
    return value


def _unique_gates(value: list[str] | None) -> list[str] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("gate names must be unique")
    return value


def _check_lon_lat(value: list[float] | None) -> list[float] | None:
    if value is None:
        return None
    if len(value) != 2:
        raise ValueError("must be [longitude, latitude]: exactly two numbers")
    if not (-180 <= value[0] <= 180 and -90 <= value[1] <= 90):
        raise ValueError("longitude must be within [-180, 180] and latitude within [-90, 90]")
    return value


class SiteCreate(_Storable):
    """An estate, office or event venue: where visitors are let in, through named gates."""

    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(None, max_length=500)
    coordinates: LonLat | None = Field(None, description="[longitude, latitude], GeoJSON order")
    timezone: TimezoneName | None = Field(None, description="IANA timezone of the site (default: the tenant's)")
    gates: list[GateName] = Field(
        default_factory=list, max_length=MAX_GATES, description="Named entry points", json_schema_extra=_UNIQUE
    )

    _tz = field_validator("timezone")(_check_timezone)
    _gates = field_validator("gates")(_unique_gates)
    _coordinates = field_validator("coordinates")(_check_lon_lat)


class SiteUpdate(_Storable):
    """Only the fields sent change; `gates` replaces the list. A null name, timezone or gates changes nothing;
    a null address or coordinates clears them."""

    name: str | None = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, max_length=500)
    coordinates: LonLat | None = None
    timezone: TimezoneName | None = None
    gates: list[GateName] | None = Field(None, max_length=MAX_GATES, json_schema_extra=_UNIQUE)

    _tz = field_validator("timezone")(_check_timezone)
    _gates = field_validator("gates")(_unique_gates)
    _coordinates = field_validator("coordinates")(_check_lon_lat)


class SiteRead(BaseModel):
    site_id: str
    name: str
    address: str | None
    coordinates: list[float] | None
    timezone: str
    gates: list[str]
    created_at: Stamp
    updated_at: Stamp


class SitePage(BaseModel):
    data: list[SiteRead]
    page: int
    limit: int
    total: int
    has_more: bool


class VisitorIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=320)
    reference: str | None = Field(None, max_length=200, description="Your own reference (booking, ticket)")


class HostIn(BaseModel):
    name: str | None = Field(None, max_length=200)
    unit: str | None = Field(None, max_length=200, description="Unit, flat or department visited")
    phone: str | None = Field(None, max_length=64)


class Visitor(BaseModel):
    name: str | None
    phone: str | None
    email: str | None
    reference: str | None


class Host(BaseModel):
    name: str | None
    unit: str | None
    phone: str | None


class CreateAccessCodeRequest(_Storable):
    """An invitation for one visitor to one site."""

    site_id: str = Field(min_length=1, max_length=32)
    visitor: VisitorIn
    host: HostIn | None = None
    purpose: str | None = Field(None, max_length=500)
    valid_from: When | None = Field(None, description="Default: now")
    valid_until: When | None = Field(None, description="Default: 24 hours after valid_from")
    max_uses: int = Field(1, ge=1, le=10_000, description="Entries allowed; 1 = single entry")
    gates: list[GateName] = Field(
        default_factory=list,
        max_length=MAX_GATES,
        description="Gates it opens (empty: every gate)",
        json_schema_extra=_UNIQUE,
    )
    metadata: dict[str, Any] = Field(default_factory=dict)

    _gates = field_validator("gates")(_unique_gates)
    _years = field_validator("valid_from", "valid_until")(_years)


class AccessCodeRead(BaseModel):
    model_config = ConfigDict(title="AccessCode")

    access_code_id: str
    site_id: str
    code: str = Field(description="8 characters a person can type (no 0/O, no 1/I)")
    token: str = Field(description="A long token for a QR code")
    visitor: Visitor
    host: Host
    purpose: str | None
    valid_from: Stamp
    valid_until: Stamp
    max_uses: int
    uses: int
    uses_left: int
    gates: list[str]
    metadata: dict[str, Any]
    status: CodeStatus
    revoked_at: Stamp | None
    revoke_reason: str | None
    created_at: Stamp
    updated_at: Stamp


class AccessCodePage(BaseModel):
    data: list[AccessCodeRead]
    page: int
    limit: int
    total: int
    has_more: bool


class RevokeRequest(_Storable):
    reason: str | None = Field(None, max_length=500)


def _one_of(*names: str) -> dict[str, Any]:
    """A JSON Schema: exactly one of `names` holds a value."""
    return {
        "oneOf": [
            {
                "required": [name],
                "properties": {
                    name: {"not": {"type": "null"}},
                    **{other: {"type": "null"} for other in names if other != name},
                },
            }
            for name in names
        ]
    }


class ValidateRequest(_Storable):
    """A code typed by the guard or a token read from a QR code, at a site (and a gate)."""

    model_config = ConfigDict(json_schema_extra=_one_of("code", "token"))

    code: str | None = Field(None, min_length=1, max_length=32)
    token: str | None = Field(None, min_length=1, max_length=64)
    site_id: str = Field(min_length=1, max_length=32)
    gate: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _exactly_one(self) -> ValidateRequest:
        if (self.code is None) == (self.token is None):
            raise ValueError("send exactly one of `code` or `token`")
        return self


class ValidationResult(BaseModel):
    valid: bool
    reason: Reason
    message: str
    access_code: AccessCodeRead | None = Field(description="The code, when it is one of this tenant's")
    visitor: Visitor | None
    uses_left: int | None
    checked_at: Stamp
    checked_at_local: str = Field(description="The same instant in the site's timezone, with its offset")


class AccessLogCreate(_Storable):
    """A check-in: with a code or token (validated and one use counted), or a walk-in (visitor details)."""

    model_config = ConfigDict(json_schema_extra=_one_of("code", "token", "visitor"))

    site_id: str = Field(min_length=1, max_length=32)
    code: str | None = Field(None, min_length=1, max_length=32)
    token: str | None = Field(None, min_length=1, max_length=64)
    visitor: VisitorIn | None = Field(None, description="A walk-in: who came, without a code")
    host: HostIn | None = Field(None, description="A walk-in's host (a code brings its own)")
    purpose: str | None = Field(None, max_length=500)
    gate: str | None = Field(None, min_length=1, max_length=64)
    checked_in_at: When | None = Field(None, description="Default: now; at most 5 minutes ahead")
    vehicle_plate: str | None = Field(None, max_length=32)
    notes: str | None = Field(None, max_length=2000)

    _years = field_validator("checked_in_at")(_years)

    @model_validator(mode="after")
    def _exactly_one(self) -> AccessLogCreate:
        if sum(value is not None for value in (self.code, self.token, self.visitor)) != 1:
            raise ValueError("send exactly one of `code`, `token` or `visitor` (a walk-in)")
        return self


class CheckoutRequest(_Storable):
    checkout_at: When | None = Field(None, description="Default: now; not before the check-in")
    notes: str | None = Field(None, max_length=2000)

    _years = field_validator("checkout_at")(_years)


class AccessLogRead(BaseModel):
    model_config = ConfigDict(title="AccessLog")

    access_log_id: str
    site_id: str
    site_timezone: str
    status: LogStatus
    method: Method
    denial_reason: DenialReason | None
    access_code_id: str | None
    presented_code: str | None = Field(description="An unknown code as typed, masked after two characters")
    gate: str | None
    visitor: Visitor
    host: Host
    purpose: str | None
    vehicle_plate: str | None
    notes: str | None
    occurred_at: Stamp = Field(description="The check-in, or the refused attempt")
    occurred_at_local: str
    checked_in_at: Stamp | None
    checked_in_at_local: str | None
    checked_out_at: Stamp | None
    checked_out_at_local: str | None
    duration_seconds: float | None = Field(description="The visit's length, once checked out")
    checkout_notes: str | None
    recorded_by: str = Field(description="The API key that recorded it")
    created_at: Stamp


class AccessLogPage(BaseModel):
    data: list[AccessLogRead]
    page: int
    limit: int
    total: int
    has_more: bool


class CurrentVisitor(BaseModel):
    access_log_id: str
    site_id: str
    site_name: str
    site_timezone: str
    visitor: Visitor
    host: Host
    purpose: str | None
    gate: str | None
    vehicle_plate: str | None
    access_code_id: str | None
    checked_in_at: Stamp
    checked_in_at_local: str
    inside_seconds: float


class CurrentVisitorPage(BaseModel):
    data: list[CurrentVisitor]
    page: int
    limit: int
    total: int
    has_more: bool


class DayCount(BaseModel):
    date: date
    check_ins: int


class HourCount(BaseModel):
    hour: int = Field(ge=0, le=23)
    check_ins: int


class HostCount(BaseModel):
    host: str
    check_ins: int


class AccessStats(BaseModel):
    site_id: str
    timezone: str
    from_date: date
    to_date: date
    check_ins: int
    check_ins_per_day: list[DayCount]
    check_ins_per_hour: list[HourCount]
    unique_visitors: int
    completed_visits: int
    average_visit_seconds: float | None
    p90_visit_seconds: float | None
    peak_hour: int | None
    currently_inside: int
    denied_attempts: dict[str, int]
    denied_total: int
    top_hosts: list[HostCount]
