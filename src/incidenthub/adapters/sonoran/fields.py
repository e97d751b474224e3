"""Field types both Sonoran API generations parse with: bounded to what the columns hold, never a NUL.

A value the database cannot store is refused here, naming the field, before anything is written: strings
no longer than their column, integers (call ids, ident ids, server ids, offsets) within 0..2**31-1, no NUL
character anywhere and no NaN/Infinity inside `metaData`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from incidenthub.adapters.sonoran.mapping import CALL_STATUS_CODES, ORIGIN_CODES, UNIT_STATUS_BY_NAME

MAX_INT = 2**31 - 1

# Column lengths (models/incidents.py, models/dispatch.py) the Sonoran fields land on.
BLOCK, ADDRESS, POSTAL, TITLE, CODE = 128, 500, 64, 500, 200
NOTE_LABEL, NOTE_TYPE = 200, 64  # note author, note label
CALLER = 200
UNIT_ID = 128  # an API id / account becomes the unit's call sign on first sight
HANDLE = UNIT_ID - len("discord:")  # roblox / discord ids are kept prefixed
UNIT_LOCATION = 500
SERVER_NAME = 200
# 911 metaData keys that land on columns.
EMERGENCY_META = {"block": BLOCK, "postal": POSTAL, "code": CODE}


def _stringify(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


def _storable(value: Any, where: str = "") -> None:
    """Raise if a JSON value holds a NUL character or a non-finite number anywhere."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where or 'value'} must not contain a NUL character")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where or 'value'} must be a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(str(key), where or "key")
            _storable(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _storable(item, f"{where}[{index}]")


def _storable_meta(value: dict[str, Any]) -> dict[str, Any]:
    _storable(value)
    return value


def _emergency_meta(value: dict[str, Any]) -> dict[str, Any]:
    """A 911 call's metaData: its keys that land on columns fit them."""
    for key, limit in EMERGENCY_META.items():
        item = value.get(key)
        if item is not None and len(str(item)) > limit:
            raise ValueError(f"{key} must have at most {limit} characters")
    return value


class _TextOrNumber:
    """The JSON schema of `Str`: a string, or a number (which becomes its text), as Sonoran's clients send."""

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"anyOf": [handler(schema), {"type": "number"}]}


class OneOrMany:
    """The JSON schema of a list that also takes one bare value (`_listify`): the list (of at most `max_items`,
    the limit its field checks), or one item."""

    def __init__(self, max_items: int | None = None) -> None:
        self.max_items = max_items

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        listed = handler(schema)
        if self.max_items is not None:
            listed = {**listed, "maxItems": self.max_items}
        item = listed.get("items", {})
        return {"anyOf": [listed, *(item["anyOf"] if "anyOf" in item else [item])]}


# Any text (kept in a Text column or only in the raw payload): numbers become text, no NUL.
Str = Annotated[str, BeforeValidator(_stringify), AfterValidator(_no_nul), _TextOrNumber]
Block = Annotated[Str, Field(max_length=BLOCK)]
Address = Annotated[Str, Field(max_length=ADDRESS)]
Postal = Annotated[Str, Field(max_length=POSTAL)]
Title = Annotated[Str, Field(max_length=TITLE)]
Code = Annotated[Str, Field(max_length=CODE)]
NoteLabel = Annotated[Str, Field(max_length=NOTE_LABEL)]
NoteType = Annotated[str, Field(max_length=NOTE_TYPE), AfterValidator(_no_nul)]
Caller = Annotated[Str, Field(max_length=CALLER)]
ApiId = Annotated[Str, Field(max_length=UNIT_ID)]
Account = Annotated[str, Field(max_length=UNIT_ID), AfterValidator(_no_nul)]
Handle = Annotated[Str, Field(max_length=HANDLE)]
UnitLocationText = Annotated[Str, Field(max_length=UNIT_LOCATION)]
ServerName = Annotated[Str, Field(max_length=SERVER_NAME)]
Meta = Annotated[dict[str, Any], AfterValidator(_storable_meta)]
EmergencyMeta = Annotated[dict[str, Any], AfterValidator(_storable_meta), AfterValidator(_emergency_meta)]


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


# Integers: ids from 1, offsets from 0, an ident that may be -1 (clears the primary). JSON's true and
# false are not numbers (Python's bool is an int: refused explicitly).
Id = Annotated[int, Field(ge=1, le=MAX_INT), BeforeValidator(_not_bool)]
Offset = Annotated[int, Field(ge=0, le=MAX_INT), BeforeValidator(_not_bool)]
PrimaryIdent = Annotated[int, Field(ge=-1, le=MAX_INT), BeforeValidator(_not_bool)]
Minutes = Annotated[int, Field(ge=0, le=MAX_INT), BeforeValidator(_not_bool)]


def _by_name(codes: dict[str, int]) -> Callable[[Any], Any]:
    return lambda value: codes.get(value, value) if isinstance(value, str) else _not_bool(value)


def _enum_schema(numbers: tuple[int, ...], codes: dict[str, int]) -> WithJsonSchema:
    return WithJsonSchema({"enum": [*numbers, *codes]})


# The numbers, or the names Sonoran.js's signatures allow in their place (`status: "ENROUTE"`,
# `origin: "CALLER"`, `status: "ACTIVE"`), spelled as it spells them; stored and answered as numbers.
Origin = Annotated[
    Literal[0, 1, 2, 3], BeforeValidator(_by_name(ORIGIN_CODES)), _enum_schema((0, 1, 2, 3), ORIGIN_CODES)
]
CallStatus = Annotated[
    Literal[0, 1, 2], BeforeValidator(_by_name(CALL_STATUS_CODES)), _enum_schema((0, 1, 2), CALL_STATUS_CODES)
]
UnitStatusCode = Annotated[
    Literal[0, 1, 2, 3, 4, 100],
    BeforeValidator(_by_name(UNIT_STATUS_BY_NAME)),
    _enum_schema((0, 1, 2, 3, 4, 100), UNIT_STATUS_BY_NAME),
]


Priority = Annotated[Literal[1, 2, 3], BeforeValidator(_not_bool)]
