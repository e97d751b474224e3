"""GovWorx's upload body, parsed leniently the way real CADs send it.

Text fields take strings or numbers (the vendor's own example sends `"location": 123`); an empty
string means the field is absent. Times stay text here: how to read an offset-less time depends on
`convertFromUtc` and the tenant's timezone, which `mapping` knows.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PydanticCustomError("string_type", "must be a string or a number")
    text = str(value).strip()
    return text or None


def _required_text(value: Any) -> str:
    text = _text(value)
    if text is None:
        raise PydanticCustomError("missing", "Field required")
    return text


def _degrees(limit: float) -> Any:
    """A validator for a coordinate given as number or string, within [-limit, limit]."""

    def validate(value: Any) -> float | None:
        text = _text(value)
        if text is None:
            return None
        try:
            degrees = float(text)
        except ValueError:
            raise PydanticCustomError("float_parsing", "must be a decimal number of degrees") from None
        if not -limit <= degrees <= limit:
            raise PydanticCustomError("out_of_range", f"{degrees} is outside [-{limit:g}, {limit:g}]")
        return degrees

    return validate


Text = Annotated[str | None, BeforeValidator(_text)]
RequiredText = Annotated[str, BeforeValidator(_required_text)]


class UploadNote(BaseModel):
    model_config = ConfigDict(extra="ignore")

    noteId: Text = None
    note: Text = None
    noteBy: Text = None
    noteAt: Text = None


class UploadResponder(BaseModel):
    model_config = ConfigDict(extra="ignore")

    personnelId: Text = None
    personnelFirstName: Text = None
    personnelLastName: Text = None
    unitName: Text = None
    dispatchedBy: Text = None
    dispatchedAt: Text = None
    enrouteAt: Text = None
    arrivedAt: Text = None
    clearedAt: Text = None


class UploadIncident(BaseModel):
    """GovWorx's incident data transfer object (every field of the seed)."""

    model_config = ConfigDict(extra="ignore")

    sysId: RequiredText
    number: RequiredText
    incidentType: RequiredText
    incidentDate: RequiredText
    callTakerId: RequiredText
    closedAt: RequiredText
    caseNumber: Text = None
    priority: Text = None
    callerNumber: Text = None
    callerName: Text = None
    agency: Text = None
    agencyType: Text = None
    dispatchQueueAt: Text = None
    disposition: Text = None
    location: Text = None
    latitude: Annotated[float | None, BeforeValidator(_degrees(90))] = None
    longitude: Annotated[float | None, BeforeValidator(_degrees(180))] = None
    callPosition: Text = None
    callTakerName: Text = None
    callSource: Text = None
    initialIncidentType: Text = None
    additionalContext: Text = None
    responseArea: Text = None
    radioChannel: Text = None
    callReceivedTime: Text = None
    callPickupTime: Text = None
    callHangupTime: Text = None
    notes: list[UploadNote] | None = None
    responders: list[UploadResponder] | None = None
    relatedSysId: Text = None


class UploadResult(BaseModel):
    """The answer to an upload (GovWorx documents only `200 OK`; this says what happened)."""

    id: str = Field(description="The incidenthub incident id")
    sysId: str
    created: bool
    updated: bool
    revision: int
