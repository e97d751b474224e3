"""Sonoran CAD v1: the `{id, key, type, data: [...]}` envelope, its data items, its texts and error strings."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from incidenthub.adapters.sonoran.errors import V1Error
from incidenthub.adapters.sonoran.fields import (
    Account,
    Address,
    ApiId,
    Block,
    Caller,
    CallStatus,
    Code,
    EmergencyMeta,
    Id,
    Meta,
    Minutes,
    NoteLabel,
    NoteType,
    Offset,
    Origin,
    Postal,
    PrimaryIdent,
    Priority,
    Str,
    Title,
    UnitLocationText,
    UnitStatusCode,
)
from incidenthub.adapters.sonoran.mapping import (
    CallFields,
    LocationUpdate,
    NewCall,
    NewEmergencyCall,
    NoteIn,
    Target,
)

# The standard v1 error bodies, word for word.
INVALID_REQUEST_TYPE = "INVALID REQUEST TYPE"
INVALID_COMMUNITY_ID = "INVALID COMMUNITY ID"
INVALID_API_KEY = "INVALID API KEY"
API_NOT_ENABLED = "API IS NOT ENABLED FOR THIS COMMUNITY"
ENDPOINT_NOT_ENABLED = "API ENDPOINT IS NOT ENABLED FOR THIS COMMUNITY"

# path name -> the `type` values it accepts (Sonoran.js spells the 911 call `911_CALL` at `911_call`).
EMERGENCY_TYPES: dict[str, tuple[str, ...]] = {
    "new_dispatch": ("NEW_DISPATCH",),
    "edit_dispatch": ("EDIT_DISPATCH",),
    "get_calls": ("GET_CALLS",),
    "attach_unit": ("ATTACH_UNIT",),
    "detach_unit": ("DETACH_UNIT",),
    "add_call_note": ("ADD_CALL_NOTE",),
    "close_call": ("CLOSE_CALL",),
    "set_call_postal": ("SET_CALL_POSTAL",),
    "set_call_primary": ("SET_CALL_PRIMARY",),
    "call_911": ("CALL_911", "911_CALL"),
    "911_call": ("CALL_911", "911_CALL"),
    "remove_911": ("REMOVE_911",),
    "unit_status": ("UNIT_STATUS",),
    "unit_location": ("UNIT_LOCATION",),
    "unit_panic": ("UNIT_PANIC",),
    "get_active_units": ("GET_ACTIVE_UNITS",),
}
GENERAL_TYPES: dict[str, tuple[str, ...]] = {"get_version": ("GET_VERSION",), "get_servers": ("GET_SERVERS",)}
READS = frozenset({"get_calls", "get_active_units", "get_version", "get_servers"})
# Sonoran.js sends one item per call (a map plugin batches unit positions); a call has a handful of units and
# notes. These bound what one request can make the single writer do (larger batches are split by the sender).
MAX_ITEMS = 100  # `data` items of any endpoint
MAX_UNITS = 100  # `units`, `accounts`, `identIds` of one item
MAX_NOTES = 200  # `notes` of one new dispatch call


def envelope_type(category: str, name: str, body: dict[str, Any]) -> None:
    """Refuse an unknown endpoint, or a `type` that is not this endpoint's."""
    accepted = (EMERGENCY_TYPES if category == "emergency" else GENERAL_TYPES).get(name)
    sent = body.get("type")
    if accepted is None or not isinstance(sent, str) or sent.upper() not in accepted:
        raise V1Error(INVALID_REQUEST_TYPE)


# Sonoran.js 1.0.107 has no argument formatter for these types: `rest.request(type, ...args)` sends its
# positional arguments as ONE item keyed "0", "1", ... (REST.formatDataArguments' default, then cloneObject
# of the array). The names are its methods' parameters, in order.
POSITIONAL: dict[str, tuple[str, ...]] = {
    # create911Call({...}) -> request('911_CALL', serverId, isEmergency, caller, location, description, metaData)
    "911_call": ("serverId", "isEmergency", "caller", "location", "description", "metaData"),
    "call_911": ("serverId", "isEmergency", "caller", "location", "description", "metaData"),
    # setCallPostal(serverId, callId, postal), setCallPrimary(serverId, callId, primary, trackPrimary)
    "set_call_postal": ("serverId", "callId", "postal"),
    "set_call_primary": ("serverId", "callId", "primary", "trackPrimary"),
    # closeCall(serverId, callId): 1.0.107 names them, earlier releases did not
    "close_call": ("serverId", "callId"),
    "remove_911": ("serverId", "callId"),
}


def _named(name: str, index: int, item: dict[str, Any]) -> dict[str, Any]:
    """An item as named fields: Sonoran.js's `{"0": {...}}` (one object argument, e.g. editDispatch and
    remove911Call) is that object; `{"0": a, "1": b, ...}` is named by the method's parameters."""
    if not item or not all(isinstance(key, str) and key.isdigit() for key in item):
        return item
    if set(item) == {"0"} and isinstance(item["0"], dict):
        return dict(item["0"])
    names = POSITIONAL.get(name)
    if names is None:
        raise V1Error(f"INVALID REQUEST DATA: data[{index}]: {name} takes named fields, not positional arguments")
    extra = sorted((key for key in item if int(key) >= len(names)), key=int)
    if extra:
        raise V1Error(
            f"INVALID REQUEST DATA: data[{index}].{extra[0]}: {name} takes at most {len(names)} positional "
            f"arguments ({', '.join(names)})"
        )
    return {names[int(key)]: value for key, value in item.items()}


def data_items(body: dict[str, Any], name: str = "", *, required: bool) -> list[dict[str, Any]]:
    """The items of `data`, as named fields. An array inside `data` is a list of items (Sonoran.js sends
    updateUnitLocations' list wrapped once more: `"data": [[{...}, ...]]`)."""
    data = body.get("data")
    if data is None:
        data = []
    if isinstance(data, dict):
        data = [data]
    if isinstance(data, list) and any(isinstance(item, list) for item in data):
        data = [inner for item in data for inner in (item if isinstance(item, list) else [item])]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise V1Error("INVALID REQUEST: data must be an array of objects")
    if required and not data:
        raise V1Error("INVALID REQUEST: data must hold at least one item")
    if len(data) > MAX_ITEMS:
        raise V1Error(f"INVALID REQUEST: data must hold at most {MAX_ITEMS} items")
    return [_named(name, index, item) for index, item in enumerate(data)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")

    serverId: Id = 1


class _CallItem(_Item):
    callId: Id


class _UnitTargets(_Item):
    """A unit named by API id(s), account UUID or ident ids."""

    apiId: ApiId | None = None
    units: list[ApiId] = Field(default_factory=list, max_length=MAX_UNITS)
    account: Account | None = None
    identIds: list[Id] = Field(default_factory=list, max_length=MAX_UNITS)

    @model_validator(mode="after")
    def _named(self) -> _UnitTargets:
        if not self.targets():
            raise ValueError("name the unit(s): apiId, units, account or identIds")
        return self

    def targets(self) -> list[Target]:
        found = [Target("api_id", value) for value in ([self.apiId] if self.apiId else []) + list(self.units)]
        found += [Target("account", self.account)] if self.account else []
        return found + [Target("ident", ident) for ident in self.identIds]


class NoteItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    time: Str | None = None
    label: NoteLabel | None = None
    type: NoteType = "text"
    content: Str


class NewDispatchItem(_Item):
    origin: Origin = 0
    status: CallStatus = 0
    priority: Priority | None = None
    block: Block | None = None
    address: Address | None = None
    postal: Postal | None = None
    title: Title | None = None
    code: Code | None = None
    primary: PrimaryIdent | None = None
    trackPrimary: bool | None = None
    description: Str | None = None
    notes: list[NoteItem] = Field(default_factory=list, max_length=MAX_NOTES)
    metaData: Meta | None = None
    units: list[ApiId] = Field(default_factory=list, max_length=MAX_UNITS)
    accounts: list[Account] = Field(default_factory=list, max_length=MAX_UNITS)
    deleteAfterMinutes: Minutes | None = None


class EditDispatchItem(_CallItem):
    origin: Origin | None = None
    status: CallStatus | None = None
    priority: Priority | None = None
    block: Block | None = None
    address: Address | None = None
    postal: Postal | None = None
    title: Title | None = None
    code: Code | None = None
    primary: PrimaryIdent | None = None
    trackPrimary: bool | None = None
    description: Str | None = None
    metaData: Meta | None = None


class GetCallsItem(_Item):
    closedLimit: int = Field(10, ge=0, le=100)
    closedOffset: Offset = 0
    type: Literal[0, 1, 100] = 100


class AttachItem(_CallItem, _UnitTargets):
    pass


class DetachItem(_UnitTargets):
    pass


class AddNoteItem(_CallItem):
    label: NoteLabel | None = None
    note: Str = Field(min_length=1)
    noteType: Literal["text", "link"] = "text"


class CloseItem(_CallItem):
    pass


class PostalItem(_CallItem):
    postal: Postal


class PrimaryItem(_CallItem):
    primary: PrimaryIdent
    trackPrimary: bool | None = None


class Call911Item(_Item):
    isEmergency: bool = True
    caller: Caller | None = None
    location: Address | None = None
    description: Str | None = None
    metaData: EmergencyMeta = Field(default_factory=dict)
    deleteAfterMinutes: Minutes | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Call911Item:
        require_emergency_content(self.caller, self.location, self.description)
        return self


def require_emergency_content(caller: str | None, location: str | None, description: str | None) -> None:
    """A 911 call with no caller, location or description would be an empty record: refused."""
    if not any(value and value.strip() for value in (caller, location, description)):
        raise ValueError("a 911 call needs a caller, location or description")


class Remove911Item(_CallItem):
    pass


class UnitStatusItem(_UnitTargets):
    status: UnitStatusCode


class Coordinates(BaseModel):
    model_config = ConfigDict(extra="allow")

    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)


class UnitLocationItem(_UnitTargets):
    location: UnitLocationText | None = None
    coordinates: Coordinates | None = None


class UnitPanicItem(_UnitTargets):
    isPanic: bool


class ActiveUnitsItem(_Item):
    onlyUnits: bool = True
    includeOffline: bool = False
    limit: int = Field(100, ge=1, le=100)
    offset: Offset = 0


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], items: list[dict[str, Any]]) -> list[M]:
    """Every item validated before anything is written; the first problem says where it is."""
    parsed: list[M] = []
    for index, item in enumerate(items):
        try:
            parsed.append(model.model_validate(item))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            place = f"data[{index}]" + (f".{where}" if where else "")
            raise V1Error(f"INVALID REQUEST DATA: {place}: {first['msg'].removeprefix('Value error, ')}") from None
    return parsed


def call_fields(item: NewDispatchItem | EditDispatchItem) -> CallFields:
    sent = item.model_fields_set
    return CallFields(
        origin=item.origin if "origin" in sent or isinstance(item, NewDispatchItem) else None,
        status=item.status if "status" in sent or isinstance(item, NewDispatchItem) else None,
        priority=item.priority,
        block=item.block,
        address=item.address,
        postal=item.postal,
        title=item.title,
        code=item.code,
        description=item.description,
        track_primary=item.trackPrimary,
        meta_data=item.metaData,
        delete_after_minutes=item.deleteAfterMinutes if isinstance(item, NewDispatchItem) else None,
        primary=item.primary if isinstance(item, EditDispatchItem) else None,
    )


def new_call(item: NewDispatchItem, raw: dict[str, Any]) -> NewCall:
    targets = [Target("api_id", value) for value in item.units] + [Target("account", a) for a in item.accounts]
    return NewCall(
        server_id=item.serverId,
        fields=call_fields(item),
        targets=targets,
        notes=[NoteIn(content=n.content, label=n.label, type=n.type) for n in item.notes],
        primary=item.primary,
        raw=raw,
    )


def emergency_call(item: Call911Item, raw: dict[str, Any]) -> NewEmergencyCall:
    return NewEmergencyCall(
        server_id=item.serverId,
        is_emergency=item.isEmergency,
        caller=item.caller,
        location=item.location,
        description=item.description,
        meta_data=item.metaData,
        delete_after_minutes=item.deleteAfterMinutes,
        raw=raw,
    )


def location_update(item: UnitLocationItem) -> list[LocationUpdate]:
    coordinates = item.coordinates.model_dump() if item.coordinates else None
    return [LocationUpdate(target, item.location, coordinates) for target in item.targets()]


# --- success texts (where the vendor docs leave one unknown, ours follows the same style) -------------


def created_text(call_id: int) -> str:
    return f"NEW DISPATCH CREATED - ID: {call_id}"


def edited_text(call_id: int) -> str:
    return f"DISPATCH CALL {call_id} UPDATED"


def note_text(note: str, call_id: int) -> str:
    return f"NOTE '{note}' added to call #{call_id}"


def closed_text(call_id: int) -> str:
    return f"CALL {call_id} CLOSED"


def postal_text(call_id: int, postal: str) -> str:
    return f"CALL {call_id} POSTAL SET TO {postal}"


def primary_text(call_id: int, ident: int) -> str:
    return f"CALL {call_id} PRIMARY CLEARED" if ident < 0 else f"CALL {call_id} PRIMARY SET TO {ident}"


def emergency_text(call_id: int) -> str:
    return f"EMERGENCY CALL ADDED ID: {call_id}"


def removed_text(call_id: int) -> str:
    return f"EMERGENCY CALL {call_id} REMOVED"


UNITS_ATTACHED = "UNITS ATTACHED"
UNITS_DETACHED = "UNITS DETACHED"
UNIT_STATUS_UPDATED = "UNIT STATUS UPDATED"
UNIT_LOCATION_UPDATED = "UNIT LOCATION UPDATED"
UNIT_PANIC_UPDATED = "UNIT PANIC UPDATED"


def join(texts: list[str]) -> str:
    """One line per distinct answer, in order (a single item answers exactly the documented text)."""
    return "\n".join(dict.fromkeys(texts))
