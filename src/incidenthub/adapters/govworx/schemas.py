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

from incidenthub.inputs import at_most


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
# Free text: a note (as the native API's 20,000) and the narrative, which may gather a long incident's story.
NoteText = Annotated[str | None, BeforeValidator(_text), _limit(20_000)]
Narrative = Annotated[str | None, BeforeValidator(_text), _limit(100_000)]


# One upload is one incident. A multi-alarm fire or mass-casualty incident brings on the order of a hundred
# apparatus with their crews (a responder row is one person and/or unit), and a day-long incident gathers a
# few hundred to a couple of thousand CAD narrative entries: 500 and 2,000 hold both with room to spare and
# bound the work (and the transaction) one upload can ask for.
MAX_RESPONDERS = 500
MAX_NOTES = 2000


class UploadNote(BaseModel):
    model_config = ConfigDict(extra="ignore")

    noteId: Id = None
    note: NoteText = None
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
    additionalContext: Narrative = None
    responseArea: Label = None
    radioChannel: Label = None
    callReceivedTime: Time = None
    callPickupTime: Time = None
    callHangupTime: Time = None
    notes: Annotated[list[UploadNote] | None, at_most(MAX_NOTES)] = Field(None, max_length=MAX_NOTES)
    responders: Annotated[list[UploadResponder] | None, at_most(MAX_RESPONDERS)] = Field(
        None, max_length=MAX_RESPONDERS
    )
    relatedSysId: Id = None


class UploadResult(BaseModel):
    """The answer to an upload (GovWorx documents only `200 OK`; this says what happened)."""

    id: str = Field(description="The incidenthub incident id")
    sysId: str
    created: bool
    updated: bool
    revision: int


# --- the upload body as the OpenAPI document states it ------------------------------------------
# The body is parsed by `mapping.parse_upload` (not by FastAPI), so its schema is written here from the same
# rules: text takes a string or a number, "" means absent, times are ISO 8601 between 1900 and 2200.

_NOT_BLANK = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
_BLANK = "^\\s*$"
# What `mapping._Times` reads (datetime.fromisoformat, at least to the minute), kept to real calendar days.
ISO_TIME = (
    "^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]"
    "(:[0-5][0-9](\\.[0-9]{1,6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)
_TIME_FIELDS = {"incidentDate", "closedAt", "dispatchQueueAt", "callReceivedTime", "callPickupTime", "callHangupTime"}
_TIME_FIELDS |= {"noteAt", "dispatchedAt", "enrouteAt", "arrivedAt", "clearedAt"}
# Each text field's column length (as the types above say).
_LIMITS = {
    "sysId": 256, "number": 128, "incidentType": 200, "callTakerId": 128, "caseNumber": 128, "priority": 64,
    "callerNumber": 64, "callerName": 200, "agency": 128, "agencyType": 64, "disposition": 200, "location": 500,
    "callPosition": 128, "callTakerName": 200, "callSource": 128, "initialIncidentType": 200, "responseArea": 128,
    "radioChannel": 128, "relatedSysId": 256, "noteId": 256, "noteBy": 200, "personnelId": 128,
    "personnelFirstName": 200, "personnelLastName": 200, "unitName": 128, "dispatchedBy": 200,
    "additionalContext": 100_000, "note": 20_000,
}  # fmt: skip
REQUIRED = ("sysId", "number", "incidentType", "incidentDate", "callTakerId", "closedAt")


def _text_schema(limit: int | None, required: bool) -> dict[str, Any]:
    text: dict[str, Any] = {"type": "string", "pattern": _NOT_BLANK}
    if limit is not None:
        text["maxLength"] = limit
    choices: list[dict[str, Any]] = [text, {"type": "number"}]
    if not required:
        choices += [{"type": "string", "pattern": _BLANK, "description": "blank: absent"}, {"type": "null"}]
    return {"anyOf": choices}


def _time_schema(required: bool) -> dict[str, Any]:
    choices: list[dict[str, Any]] = [{"type": "string", "pattern": ISO_TIME, "description": "ISO 8601"}]
    if not required:
        choices += [{"type": "string", "pattern": _BLANK, "description": "blank: absent"}, {"type": "null"}]
    return {"anyOf": choices}


# Decimal degrees as text, kept inside the range `_degrees` checks.
_DEGREES_TEXT = {
    90: "^[+-]?[0-8]?[0-9](\\.[0-9]{1,12})?$",
    180: "^[+-]?(1[0-7][0-9]|[0-9]?[0-9])(\\.[0-9]{1,12})?$",
}


def _degrees_schema(limit: int) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "number", "minimum": -limit, "maximum": limit},
            {"type": "string", "pattern": _DEGREES_TEXT[limit], "description": "decimal degrees"},
            {"type": "string", "pattern": _BLANK, "description": "blank: absent"},
            {"type": "null"},
        ]
    }


def _object_schema(model: type[BaseModel], required: tuple[str, ...] = ()) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name in model.model_fields:
        if name in _TIME_FIELDS:
            properties[name] = _time_schema(name in required)
        elif name in ("latitude", "longitude"):
            properties[name] = _degrees_schema(90 if name == "latitude" else 180)
        elif name in ("notes", "responders"):
            items = _note_schema() if name == "notes" else _responder_schema()
            limit = MAX_NOTES if name == "notes" else MAX_RESPONDERS
            properties[name] = {"anyOf": [{"type": "array", "maxItems": limit, "items": items}, {"type": "null"}]}
        else:
            properties[name] = _text_schema(_LIMITS.get(name), name in required)
    return {"type": "object", "required": list(required), "properties": properties}


def _note_schema() -> dict[str, Any]:
    """A note's time is read only when the note has text (`mapping.to_command` skips a note without)."""
    schema = _object_schema(UploadNote)
    schema["properties"]["noteAt"] = _text_schema(64, required=False)
    blank = {"anyOf": [{"type": "string", "pattern": _BLANK}, {"type": "null"}]}
    given = {"anyOf": [{"type": "string", "pattern": _NOT_BLANK}, {"type": "number"}]}
    schema["anyOf"] = [
        {"properties": {"note": blank}},
        {"required": ["note"], "properties": {"note": given, "noteAt": _time_schema(required=False)}},
    ]
    return schema


def _responder_schema() -> dict[str, Any]:
    """A responder is a person, a unit or both (`mapping.to_command` refuses neither)."""
    schema = _object_schema(UploadResponder)
    given = {"anyOf": [{"type": "string", "pattern": _NOT_BLANK}, {"type": "number"}]}
    schema["anyOf"] = [
        {"required": ["personnelId"], "properties": {"personnelId": given}},
        {"required": ["unitName"], "properties": {"unitName": given}},
    ]
    return schema


def upload_schema() -> dict[str, Any]:
    """The JSON Schema of an upload body, with what `mapping.parse_upload` refuses."""
    schema = _object_schema(UploadIncident, REQUIRED)
    schema["properties"]["id"] = False  # refused: an upload names its incident with `sysId`
    schema["description"] = "GovWorx's incident (every field of its seed); unknown members are kept, unread"
    return schema
