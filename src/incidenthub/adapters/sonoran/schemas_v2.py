"""Sonoran CAD v2 request bodies (as the v2 OpenAPI file and Sonoran.py send them) and their commands."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, field_validator, model_validator
from pydantic.config import JsonDict, JsonValue

from incidenthub.adapters.sonoran.fields import (
    Account,
    Address,
    ApiId,
    Block,
    Caller,
    CallStatus,
    Code,
    EmergencyMeta,
    Handle,
    Id,
    Meta,
    Minutes,
    NoteLabel,
    NoteType,
    OneOrMany,
    Origin,
    Postal,
    PrimaryIdent,
    Priority,
    ServerName,
    Str,
    Title,
    UnitLocationText,
    UnitStatusCode,
)
from incidenthub.adapters.sonoran.mapping import CallFields, LocationUpdate, NewCall, NewEmergencyCall, NoteIn, Target
from incidenthub.adapters.sonoran.schemas_v1 import MAX_ITEMS, MAX_NOTES, MAX_UNITS, require_emergency_content

_TARGET_KEYS = (
    "communityUserIds",
    "communityUserId",
    "apiIds",
    "apiId",
    "accounts",
    "accountUuid",
    "identIds",
    "roblox",
    "discord",
)


_LIST_KEYS = frozenset({"communityUserIds", "apiIds", "accounts", "identIds"})


def _non_empty(key: str, many: bool) -> JsonDict:
    if many:
        # A list with a (non-empty) unit in it, or one bare value.
        listed: JsonDict = {
            "type": "array",
            "minItems": 1,
            "items": {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]},
        }
        bare: JsonDict = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]}
        return {"required": [key], "properties": {key: {"anyOf": [listed, bare]}}}
    return {"required": [key], "properties": {key: {"anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}]}}}


# What the validators below require, stated in the JSON schema so clients (and fuzzers) can know it.
_UNIT_NAMED: list[JsonValue] = [_non_empty(key, key in _LIST_KEYS) for key in _TARGET_KEYS]
_NAMES_A_UNIT: JsonDict = {"anyOf": _UNIT_NAMED}
_SENDS_A_TARGET_KEY: JsonDict = {"anyOf": [{"type": "object", "required": [key]} for key in _TARGET_KEYS]}


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str | int | float) and not isinstance(value, bool) else value


class Targets(BaseModel):
    """The ways v2 names units: community user ids (API ids), accounts, ident ids, Roblox or Discord ids.

    `apiId` / `apiIds` are what Sonoran.js's v2 methods send (Sonoran.py renames them communityUserId(s))."""

    model_config = ConfigDict(extra="ignore")

    communityUserIds: Annotated[list[ApiId], OneOrMany(MAX_UNITS)] | None = Field(None, max_length=MAX_UNITS)
    communityUserId: ApiId | None = None
    apiIds: Annotated[list[ApiId], OneOrMany(MAX_UNITS)] | None = Field(None, max_length=MAX_UNITS)
    apiId: ApiId | None = None
    accounts: Annotated[list[Account], OneOrMany(MAX_UNITS)] | None = Field(None, max_length=MAX_UNITS)
    accountUuid: Account | None = None
    identIds: Annotated[list[Id], OneOrMany(MAX_UNITS)] | None = Field(None, max_length=MAX_UNITS)
    roblox: Handle | None = None
    discord: Handle | None = None

    @field_validator("communityUserIds", "apiIds", "accounts", "identIds", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _listify(value)

    def named(self) -> bool:
        return any(key in self.model_fields_set for key in _TARGET_KEYS)

    def targets(self) -> list[Target]:
        api_ids = [*(self.communityUserIds or []), self.communityUserId, *(self.apiIds or []), self.apiId]
        found = [Target("api_id", v) for v in api_ids if v]
        found += [Target("api_id", f"roblox:{self.roblox}")] if self.roblox else []
        found += [Target("api_id", f"discord:{self.discord}")] if self.discord else []
        found += [Target("account", v) for v in [*(self.accounts or []), self.accountUuid] if v]
        return found + [Target("ident", ident) for ident in self.identIds or []]


class _NamedTargets(Targets):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_NAMES_A_UNIT)

    @model_validator(mode="after")
    def _named(self) -> _NamedTargets:
        if not self.targets():
            raise ValueError("name the unit(s): communityUserIds, communityUserId, accounts, accountUuid or identIds")
        return self


class NoteV2(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: NoteLabel | None = None
    type: NoteType = "text"
    content: Str


class DispatchCallCreate(Targets):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_SENDS_A_TARGET_KEY)

    origin: Origin
    status: CallStatus
    priority: Priority
    title: Title
    block: Block | None = None
    address: Address | None = None
    postal: Postal | None = None
    code: Code | None = None
    description: Str | None = None
    trackPrimary: StrictBool | None = None
    primary: PrimaryIdent | None = None
    notes: list[NoteV2] = Field(default_factory=list, max_length=MAX_NOTES)
    metaData: Meta | None = None
    deleteAfterMinutes: Minutes | None = None

    @model_validator(mode="after")
    def _target(self) -> DispatchCallCreate:
        if not self.named():
            raise ValueError(
                "at least one target is required: communityUserIds, accounts, roblox or discord "
                "(an empty array creates an unassigned call)"
            )
        return self

    def command(self, server_id: int, raw: dict[str, Any]) -> NewCall:
        return NewCall(
            server_id=server_id,
            fields=_call_fields(self, delete_after_minutes=self.deleteAfterMinutes),
            targets=self.targets(),
            notes=[NoteIn(content=n.content, label=n.label, type=n.type) for n in self.notes],
            primary=self.primary,
            raw=raw,
        )


_EDITABLE: tuple[str, ...] = ("origin", "status", "priority", "title", "block", "address", "postal", "code")
_EDITABLE += ("description", "trackPrimary", "primary", "metaData")


class DispatchCallUpdate(BaseModel):
    # At least one editable field (Sonoran: "Missing editable dispatch fields").
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "anyOf": [{"required": [key], "properties": {key: {"not": {"type": "null"}}}} for key in _EDITABLE]
        },
    )

    origin: Origin | None = None
    status: CallStatus | None = None
    priority: Priority | None = None
    title: Title | None = None
    block: Block | None = None
    address: Address | None = None
    postal: Postal | None = None
    code: Code | None = None
    description: Str | None = None
    trackPrimary: StrictBool | None = None
    primary: PrimaryIdent | None = None  # applied as PATCH .../primary applies identId (-1 clears), like edit_dispatch
    metaData: Meta | None = None

    def fields(self) -> CallFields:
        return replace(_call_fields(self), primary=self.primary)


def _call_fields(call: DispatchCallCreate | DispatchCallUpdate, delete_after_minutes: int | None = None) -> CallFields:
    """The call fields both the create and the update body carry, under their canonical names."""
    return CallFields(
        origin=call.origin,
        status=call.status,
        priority=call.priority,
        block=call.block,
        address=call.address,
        postal=call.postal,
        title=call.title,
        code=call.code,
        description=call.description,
        track_primary=call.trackPrimary,
        meta_data=call.metaData,
        delete_after_minutes=delete_after_minutes,
    )


class CloseCalls(BaseModel):
    callIds: list[Id] = Field(min_length=1, max_length=MAX_ITEMS)


class Attach(_NamedTargets):
    pass


class Detach(_NamedTargets):
    pass


class AddNote(BaseModel):
    model_config = ConfigDict(extra="ignore")

    note: Str = Field(min_length=1)
    noteType: NoteType = "text"
    label: NoteLabel | None = None


class SetPostal(BaseModel):
    postal: Postal


class SetPrimary(BaseModel):
    identId: PrimaryIdent
    trackPrimary: StrictBool | None = None


def _has_text(key: str) -> JsonDict:
    return {
        "required": [key],
        "properties": {key: {"anyOf": [{"type": "string", "pattern": "\\S"}, {"type": "number"}]}},
    }


class EmergencyCallCreate(BaseModel):
    # A caller, a location or a description: a 911 call without any would be an empty record.
    model_config = ConfigDict(
        extra="ignore", json_schema_extra={"anyOf": [_has_text(k) for k in ("caller", "location", "description")]}
    )

    isEmergency: StrictBool = True
    caller: Caller | None = None
    location: Address | None = None
    description: Str | None = None
    deleteAfterMinutes: Minutes | None = None
    metaData: EmergencyMeta = Field(default_factory=dict)

    @model_validator(mode="after")
    def _not_empty(self) -> EmergencyCallCreate:
        require_emergency_content(self.caller, self.location, self.description)
        return self

    def command(self, server_id: int, raw: dict[str, Any]) -> NewEmergencyCall:
        return NewEmergencyCall(
            server_id=server_id,
            is_emergency=self.isEmergency,
            caller=self.caller,
            location=self.location,
            description=self.description,
            meta_data=self.metaData,
            delete_after_minutes=self.deleteAfterMinutes,
            raw=raw,
        )


class UnitStatus(_NamedTargets):
    status: UnitStatusCode


class UnitPanic(_NamedTargets):
    isPanic: StrictBool


class Coordinates(BaseModel):
    model_config = ConfigDict(extra="allow")

    x: StrictFloat = Field(allow_inf_nan=False)
    y: StrictFloat = Field(allow_inf_nan=False)
    z: StrictFloat | None = Field(None, allow_inf_nan=False)
    w: StrictFloat | None = Field(None, allow_inf_nan=False)


class LocationItem(Targets):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "anyOf": [
                *_UNIT_NAMED,
                {"required": ["identId"], "properties": {"identId": {"type": "integer"}}},
            ]
        },
    )

    identId: Id | None = None
    location: UnitLocationText | None = None
    coordinates: Coordinates | None = None

    @model_validator(mode="after")
    def _one(self) -> LocationItem:
        if not self.targets() and self.identId is None:
            raise ValueError("name the unit: communityUserId, accountUuid or identId")
        return self

    def updates(self) -> list[LocationUpdate]:
        targets = self.targets() + ([Target("ident", self.identId)] if self.identId is not None else [])
        coordinates = self.coordinates.model_dump(exclude_none=True) if self.coordinates else None
        return [LocationUpdate(target, self.location, coordinates) for target in targets]


class UnitLocations(BaseModel):
    updates: list[LocationItem] = Field(min_length=1, max_length=MAX_ITEMS)


class Server(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: Id
    name: ServerName | None = None


class Servers(BaseModel):
    model_config = ConfigDict(extra="ignore")

    servers: list[Server] = Field(min_length=1, max_length=MAX_ITEMS)
