"""Custom fields against the tenant's schema fragments, DevRev's rules. Pure: no database.

Field keys follow DevRev's convention: `tnt__<name>` for the tenant fragment, `ctype__<name>` for
the subtype's fragment, `<app>__<name>` for an app fragment. A bare `<name>` is accepted when exactly
one requested fragment defines it, and is stored under its prefixed key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from incidenthub.adapters.devrev.errors import bad_request, customization_error
from incidenthub.adapters.devrev.schemas import CustomSchemaSpec
from incidenthub.adapters.devrev.wire import FIRST_YEAR, INT64_MAX, INT64_MIN, LAST_YEAR, utc
from incidenthub.clock import iso_utc

FieldType = Literal["text", "tokens", "int", "double", "bool", "enum", "date", "timestamp"]
FragmentKind = Literal["tenant_fragment", "subtype", "app_fragment"]
TENANT_PREFIX = "tnt"
SUBTYPE_PREFIX = "ctype"


class FieldDef(BaseModel):
    """One custom field of a fragment."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    type: FieldType
    required: bool = False
    allowed_values: list[str] = Field(default_factory=list, description="the values of an `enum` field")
    description: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _enum_values(self) -> FieldDef:
        if self.type == "enum" and not self.allowed_values:
            raise ValueError(f"enum field {self.name!r} needs allowed_values")
        if "__" in self.name:
            raise ValueError("a field name cannot contain '__' (it separates the fragment prefix)")
        return self


@dataclass(frozen=True)
class Fragment:
    id: str
    kind: str
    name: str
    fields: list[FieldDef]

    @property
    def prefix(self) -> str:
        return {"tenant_fragment": TENANT_PREFIX, "subtype": SUBTYPE_PREFIX}.get(self.kind, self.name)

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass
class Outcome:
    """What the incident holds after the request: its custom fields, fragment ids and subtype."""

    custom_fields: dict[str, Any]
    fragment_ids: list[str]
    subtype: str | None


def _wanted(spec: CustomSchemaSpec, fragments: dict[tuple[str, str], Fragment]) -> list[Fragment]:
    wanted: list[tuple[str, str, str]] = []
    if spec.tenant_fragment:
        wanted.append(("tenant_fragment", "tenant", "custom_schema_spec.tenant_fragment"))
    if spec.subtype:
        wanted.append(("subtype", spec.subtype, "custom_schema_spec.subtype"))
    wanted += [("app_fragment", app, "custom_schema_spec.apps") for app in spec.apps]
    found = []
    for kind, name, where in wanted:
        fragment = fragments.get((kind, name))
        if fragment is None and kind == "tenant_fragment":
            # The spec recommends tenant_fragment: true for human-facing tools: no fragment is an empty one.
            continue
        if fragment is None:
            label = "the tenant fragment" if kind == "tenant_fragment" else f"{kind.replace('_', ' ')} {name!r}"
            raise customization_error("fragment_not_found", where, f"{label} is not registered for this organisation")
        found.append(fragment)
    return found


def _resolve(key: str, wanted: list[Fragment]) -> tuple[str, FieldDef]:
    """The stored key and definition of a request's custom field key."""
    prefix, sep, name = key.partition("__")
    if sep:
        for fragment in wanted:
            if fragment.prefix == prefix and (definition := fragment.field(name)) is not None:
                return key, definition
    else:
        matches = [(f"{f.prefix}__{key}", d) for f in wanted if (d := f.field(key)) is not None]
        if len(matches) == 1:
            return matches[0]
    raise customization_error(
        "field_not_in_schema",
        key,
        f"custom field {key!r} is not defined by any schema named in custom_schema_spec",
    )


def check_value(key: str, definition: FieldDef, value: Any) -> Any:
    """The value as stored, or a customization_validation_error naming the field."""
    kind = definition.type

    def wrong(subtype: str = "wrong_type", expected: str = kind) -> Exception:
        return customization_error(subtype, key, f"custom field {key!r} must be of type {expected}, got {value!r}")

    if kind in {"text", "tokens"}:
        if not isinstance(value, str):
            raise wrong(expected="text")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong()
        if not INT64_MIN <= value <= INT64_MAX:
            raise wrong("value_out_of_range", "int (64-bit)")
        return value
    if kind == "double":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong()
        if not math.isfinite(value) or (isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX):
            raise wrong("value_out_of_range", "double (finite)")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise wrong()
        return value
    if kind == "enum":
        if not isinstance(value, str) or value not in definition.allowed_values:
            raise customization_error(
                "enum_out_of_range",
                key,
                f"custom field {key!r} must be one of {definition.allowed_values}, got {value!r}",
            )
        return value
    if kind == "date":
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError(value)
            parsed_date = date.fromisoformat(value)
            if not FIRST_YEAR <= parsed_date.year <= LAST_YEAR:
                raise ValueError(value)
            return parsed_date.isoformat()
        except ValueError:
            raise wrong("date_parse_error", f"date (YYYY-MM-DD, years {FIRST_YEAR}-{LAST_YEAR})") from None
    try:  # timestamp
        if not isinstance(value, str):
            raise ValueError(value)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError(value)
        return iso_utc(utc(parsed))
    except ValueError:
        raise wrong(
            "timestamp_parse_error", f"timestamp (ISO 8601 with offset, years {FIRST_YEAR}-{LAST_YEAR})"
        ) from None


def apply(
    custom_fields: dict[str, Any] | None,
    spec: CustomSchemaSpec | None,
    fragments: dict[tuple[str, str], Fragment],
    current: Outcome,
) -> Outcome:
    """Validate a create/update's custom fields and return what the incident holds afterwards."""
    if spec is None:
        if custom_fields:
            key = next(iter(custom_fields))
            raise customization_error(
                "field_not_in_schema", key, f"custom field {key!r} needs its schema named in custom_schema_spec"
            )
        return current
    wanted = _wanted(spec, fragments)
    result = dict(current.custom_fields)
    fragment_ids = list(current.fragment_ids)
    subtype = current.subtype
    if spec.drop is not None:
        if spec.drop.subtype and spec.subtype:
            raise bad_request("custom_schema_spec.drop.subtype is set: custom_schema_spec.subtype must be empty")
        if set(spec.drop.apps) & set(spec.apps):
            raise bad_request("custom_schema_spec.apps must not name an app that drop.apps drops")
        dropped = [f for f in fragments.values() if f.kind == "app_fragment" and f.name in spec.drop.apps]
        if spec.drop.subtype and subtype is not None:
            dropped += [f for f in fragments.values() if f.kind == "subtype" and f.name == subtype]
            subtype = None
        for fragment in dropped:
            result = {k: v for k, v in result.items() if not k.startswith(fragment.prefix + "__")}
            fragment_ids = [i for i in fragment_ids if i != fragment.id]
    if spec.subtype and subtype != spec.subtype:
        # A new subtype replaces the old one and its fields.
        old = [f for f in fragments.values() if f.kind == "subtype" and f.name == subtype]
        result = {k: v for k, v in result.items() if not k.startswith(SUBTYPE_PREFIX + "__")}
        fragment_ids = [i for i in fragment_ids if i not in {f.id for f in old}]
        subtype = spec.subtype
    for fragment in wanted:
        if fragment.id not in fragment_ids:
            fragment_ids.append(fragment.id)
    for key, value in (custom_fields or {}).items():
        stored_key, definition = _resolve(key, wanted)
        if value is None:
            result.pop(stored_key, None)
        else:
            result[stored_key] = check_value(key, definition, value)
    if spec.validate_required_fields:
        for fragment in wanted:
            for definition in fragment.fields:
                stored_key = f"{fragment.prefix}__{definition.name}"
                if definition.required and result.get(stored_key) is None:
                    raise customization_error(
                        "field_required", stored_key, f"custom field {stored_key!r} is required by its schema"
                    )
    return Outcome(custom_fields=result, fragment_ids=fragment_ids, subtype=subtype)
