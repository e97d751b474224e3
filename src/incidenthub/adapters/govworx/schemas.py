"""GovWorx's upload body, parsed leniently the way real CADs send it.

Text fields take strings or numbers (the vendor's own example sends `"location": 123`); an empty
string means the field is absent. Times stay text here: how to read an offset-less time depends on
`convertFromUtc` and the tenant's timezone, which `mapping` knows.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PydanticCustomError("string_type", "must be a string or a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "must be a finite number")
    text = str(value).strip()
    if "\x00" in text:
        raise PydanticCustomError("string_nul", "must not contain NUL characters")
    return text or None


def _required_text(value: Any) -> str:
    text = _text(value)
    if text is None:
        raise PydanticCustomError("missing", "Field required")
    return text


def _limit(length: int) -> Any:
    """An after-validator: at most `length` characters (the column it is stored in)."""

    def check(value: str | None) -> str | None:
        if value is not None and len(value) > length:
            raise PydanticCustomError("string_too_long", f"must have at most {length} characters")
        return value

    return AfterValidator(check)


def _degrees(limit: float) -> Any:
    """A validator for a coordinate given as number or string, within [-limit, limit]."""

    def validate(value: Any) -> float | None:
        text = _text(value)
        if text is None:
            return None
        try:
            if not _DECIMAL.match(text):
                raise ValueError(text)
            degrees = float(text)
        except ValueError:
            raise PydanticCustomError("float_parsing", "must be a decimal number of degrees") from None
        if not -limit <= degrees <= limit:
            raise PydanticCustomError("out_of_range", f"{degrees} is outside [-{limit:g}, {limit:g}]")
        return degrees

    return validate


_DECIMAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

Text = Annotated[str | None, BeforeValidator(_text)]
RequiredText = Annotated[str, BeforeValidator(_required_text)]
# Lengths follow the columns the values land in.
Id = Annotated[str | None, BeforeValidator(_text), _limit(256)]
Short = Annotated[str | None, BeforeValidator(_text), _limit(64)]
Label = Annotated[str | None, BeforeValidator(_text), _limit(128)]
Name = Annotated[str | None, BeforeValidator(_text), _limit(200)]
Place = Annotated[str | None, BeforeValidator(_text), _limit(500)]
Time = Annotated[str | None, BeforeValidator(_text), _limit(64)]


# One upload is one incident. A multi-alarm fire or mass-casualty incident brings on the order of a hundred
# apparatus with their crews (a responder row is one person and/or unit), and a day-long incident gathers a
# few hundred to a couple of thousand CAD narrative entries: 500 and 2,000 hold both with room to spare and
# bound the work (and the transaction) one upload can ask for.
MAX_RESPONDERS = 500
MAX_NOTES = 2000


class UploadNote(BaseModel):
    model_config = ConfigDict(extra="ignore")

    noteId: Id = None
    note: Text = None
    noteBy: Name = None
    noteAt: Time = None


class UploadResponder(BaseModel):
    model_config = ConfigDict(extra="ignore")

    personnelId: Label = None
    personnelFirstName: Name = None
    personnelLastName: Name = None
    unitName: Label = None
    dispatchedBy: Name = None
    dispatchedAt: Time = None
    enrouteAt: Time = None
    arrivedAt: Time = None
    clearedAt: Time = None


class UploadIncident(BaseModel):
    """GovWorx's incident data transfer object (every field of the seed)."""

    model_config = ConfigDict(extra="ignore")

    sysId: Annotated[RequiredText, _limit(256)]
    number: Annotated[RequiredText, _limit(128)]
    incidentType: Annotated[RequiredText, _limit(200)]
    incidentDate: Annotated[RequiredText, _limit(64)]
    callTakerId: Annotated[RequiredText, _limit(128)]
    closedAt: Annotated[RequiredText, _limit(64)]
    caseNumber: Label = None
    priority: Short = None
    callerNumber: Short = None
    callerName: Name = None
    agency: Label = None
    agencyType: Short = None
    dispatchQueueAt: Time = None
    disposition: Name = None
    location: Place = None
    latitude: Annotated[float | None, BeforeValidator(_degrees(90))] = None
    longitude: Annotated[float | None, BeforeValidator(_degrees(180))] = None
    callPosition: Label = None
    callTakerName: Name = None
    callSource: Label = None
    initialIncidentType: Name = None
    additionalContext: Text = None
    responseArea: Label = None
    radioChannel: Label = None
    callReceivedTime: Time = None
    callPickupTime: Time = None
    callHangupTime: Time = None
    notes: list[UploadNote] | None = Field(None, max_length=MAX_NOTES)
    responders: list[UploadResponder] | None = Field(None, max_length=MAX_RESPONDERS)
    relatedSysId: Id = None


class UploadResult(BaseModel):
    """The answer to an upload (GovWorx documents only `200 OK`; this says what happened)."""

    id: str = Field(description="The incidenthub incident id")
    sysId: str
    created: bool
    updated: bool
    revision: int
