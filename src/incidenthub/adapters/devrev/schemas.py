"""Request bodies of DevRev's `incidents.*` operations, with DevRev's field names."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, JsonValue, StrictBool, StrictInt

from incidenthub.adapters.devrev.wire import CUSTOM_KEY, INT64_MAX, INT64_MIN, utc
from incidenthub.inputs import YEARS_1900_2200, at_most


def _aware(value: datetime) -> datetime:
    """DevRev sends `...Z`; a date-time without an offset is taken as UTC. Stored: years 1900-2200."""
    return utc(value)


def _bound(value: datetime) -> datetime:
    """A filter's end: any year a datetime can hold after conversion to UTC."""
    return utc(value, 1, 9999)


# What incidents.group groups by (listing.group_incidents refuses anything else, naming these).
GROUPABLE = ("severity", "stage", "reported_by", "source", "subtype")


class _Model(BaseModel):
    # Unknown members are ignored here and kept in the raw payload.
    model_config = ConfigDict(extra="ignore")


def _text_only(value: Any) -> Any:
    """DevRev's timestamps are RFC 3339 text: a JSON number is not one (Pydantic would read Unix time)."""
    if isinstance(value, int | float):
        raise ValueError("must be an RFC 3339 date-time string")
    return value


# Stored times: years 1900-2200 (in UTC), which the schema states as a pattern on the text's own year.
UtcDateTime = Annotated[
    datetime,
    AfterValidator(_aware),
    BeforeValidator(_text_only),
    Field(json_schema_extra={"pattern": YEARS_1900_2200}),
]
BoundDateTime = Annotated[datetime, AfterValidator(_bound), BeforeValidator(_text_only)]
# DevRev's int64 enums (reported_by, source, impact count) are non-negative; severity ids may be any int64.
EnumId = Annotated[StrictInt, Field(ge=0, le=INT64_MAX)]
Int64 = Annotated[StrictInt, Field(ge=INT64_MIN, le=INT64_MAX)]
Id = Annotated[str, Field(min_length=1, max_length=256)]
IdList = Annotated[list[Id], at_most(500), Field(max_length=500)]
MAX_TAGS = 200
MAX_FILTER_VALUES = 500
MAX_APPS = 100
# DevRev defines one option per operation; a few repeats are harmless, thousands are not a request.
MAX_STAGE_OPTIONS = 10
T = TypeVar("T")


def distinct(values: list[T]) -> list[T]:
    """Each value once, in the order sent: a repeat adds nothing to an any-of but a query term."""
    return list(dict.fromkeys(values))


# A list filter's values (each becomes one term of the query); 500 like the id lists.
FilterList = Annotated[
    list[str], at_most(MAX_FILTER_VALUES), Field(max_length=MAX_FILTER_VALUES), AfterValidator(distinct)
]
IntFilterList = Annotated[
    list[Int64], at_most(MAX_FILTER_VALUES), Field(max_length=MAX_FILTER_VALUES), AfterValidator(distinct)
]
AppList = Annotated[list[str], at_most(MAX_APPS), Field(max_length=MAX_APPS)]


class CustomSchemaSpecDrop(_Model):
    apps: AppList = Field(default_factory=list)
    subtype: StrictBool = False


class CustomSchemaSpec(_Model):
    apps: AppList = Field(default_factory=list)
    drop: CustomSchemaSpecDrop | None = None
    subtype: str | None = None
    tenant_fragment: StrictBool = False
    validate_required_fields: StrictBool = False


class ExternalSourceData(_Model):
    closed_date: UtcDateTime | None = None
    created_date: UtcDateTime | None = None
    modified_date: UtcDateTime | None = None


class ImpactCreate(_Model):
    count: EnumId | None = None
    customer_ids: IdList | None = None


class SetIds(_Model):
    set: IdList


class ImpactUpdate(_Model):
    count: EnumId | None = None
    customer_ids: SetIds | IdList | None = None


class StageCreate(_Model):
    stage: Id
    notes: str | None = Field(None, max_length=20000)


class StageUpdate(_Model):
    stage: Id | None = None
    notes: str | None = Field(None, max_length=20000)


class TagWithValue(_Model):
    tag_id: Id
    value: str | None = Field(None, max_length=1000)


TagList = Annotated[list[TagWithValue], at_most(MAX_TAGS), Field(max_length=MAX_TAGS)]


class SetTags(_Model):
    set: TagList


class IncidentsCreateRequest(_Model):
    title: str = Field(min_length=1, max_length=500)
    body: str | None = Field(None, max_length=65536)
    acknowledged_date: UtcDateTime | None = None
    identified_date: UtcDateTime | None = None
    mitigated_date: UtcDateTime | None = None
    target_close_date: UtcDateTime | None = None
    applies_to_parts: IdList | None = None
    artifacts: IdList | None = None
    owned_by: IdList | None = None
    pia: IdList | None = None
    playbooks: IdList | None = None
    related_docs: IdList | None = None
    stakeholders: IdList | None = None
    impacted_customers: IdList | None = None
    custom_fields: dict[str, Any] | None = None
    custom_schema_spec: CustomSchemaSpec | None = None
    external_source_data: ExternalSourceData | None = None
    impact: ImpactCreate | None = None
    reported_by: EnumId | None = None
    # An int64 per the spec; the community SDK sends labels such as "sev1".
    severity: Int64 | str | None = None
    source: EnumId | None = None
    stage: StageCreate | Id | None = None
    stage_validation_options: Annotated[list[Literal["allow_non_start"]], at_most(MAX_STAGE_OPTIONS)] = Field(
        default_factory=list, max_length=MAX_STAGE_OPTIONS
    )
    staged_info: dict[str, Any] | None = None
    sync_metadata: dict[str, Any] | None = None
    tags: TagList | None = None


class IncidentsUpdateRequest(_Model):
    id: Id
    title: str | None = Field(None, min_length=1, max_length=500)
    body: str | None = Field(None, max_length=65536)
    acknowledged_date: UtcDateTime | None = None
    identified_date: UtcDateTime | None = None
    mitigated_date: UtcDateTime | None = None
    target_close_date: UtcDateTime | None = None
    # `{"set": [...]}` per the spec; a bare list is taken as a set too.
    applies_to_parts: SetIds | IdList | None = None
    artifacts: SetIds | IdList | None = None
    owned_by: SetIds | IdList | None = None
    pia: SetIds | IdList | None = None
    playbooks: SetIds | IdList | None = None
    related_docs: SetIds | IdList | None = None
    stakeholders: SetIds | IdList | None = None
    custom_fields: dict[str, Any] | None = None
    custom_schema_spec: CustomSchemaSpec | None = None
    external_source_data: ExternalSourceData | None = None
    impact: ImpactUpdate | None = None
    reported_by: EnumId | None = None
    severity: Int64 | str | None = None
    source: EnumId | None = None
    # An object per the spec; the community SDK sends the stage name as a string.
    stage: StageUpdate | Id | None = None
    stage_validation_options: Annotated[list[Literal["allow_invalid_transition"]], at_most(MAX_STAGE_OPTIONS)] = Field(
        default_factory=list, max_length=MAX_STAGE_OPTIONS
    )
    staged_info: dict[str, Any] | None = None
    sync_metadata: dict[str, Any] | None = None
    tags: SetTags | TagList | None = None


class IdRequest(_Model):
    id: Id


_DAYS: dict[str, JsonValue] = {"type": "integer", "minimum": 0, "maximum": 4294967295}


class DateRange(_Model):
    # DevRev's `date-filter`: a `range` (after, before) or a `preset`, which needs `preset_type` and `days`
    # (answered 400 naming the member without them; the rule is checked where the filter is read).
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"properties": {"type": {"const": "range"}}},
                {
                    "properties": {
                        "type": {"const": "preset"},
                        "preset_type": {"enum": ["last_n_days", "next_n_days"]},
                        "days": _DAYS,
                    },
                    "required": ["preset_type", "days"],
                },
            ]
        }
    )

    type: Literal["range", "preset"]
    after: BoundDateTime | None = None
    before: BoundDateTime | None = None
    preset_type: Literal["last_n_days", "next_n_days"] | None = None
    # A uint32 per the spec; a span past the calendar's ends is clamped to them.
    days: StrictInt | None = Field(None, ge=0, le=4294967295)


class StagedInfoFilter(_Model):
    is_staged: StrictBool | None = None


class SyncFilter(_Model):
    status: FilterList | None = None
    sync_history: FilterList | None = None
    sync_unit: FilterList | None = None


class SyncMetadataFilter(_Model):
    external_reference: FilterList | None = None
    origin_system: FilterList | None = None
    last_sync_in: SyncFilter | None = None
    last_sync_out: SyncFilter | None = None


_SCALAR: dict[str, JsonValue] = {"type": ["string", "number", "boolean", "null"]}
_CUSTOM_FILTER: dict[str, JsonValue] = {
    "propertyNames": {"pattern": CUSTOM_KEY.pattern},
    "additionalProperties": {"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR}]},
}


class IncidentsListRequest(_Model):
    cursor: str | None = None
    # Below 1 is answered 400 naming the member; above the most a page holds is read as that most.
    limit: StrictInt | None = Field(None, json_schema_extra={"minimum": 1})
    mode: Literal["after", "before"] | None = None
    sort_by: FilterList | None = None
    applies_to_parts: FilterList | None = None
    created_by: FilterList | None = None
    owned_by: FilterList | None = None
    pia: FilterList | None = None
    playbooks: FilterList | None = None
    related_docs: FilterList | None = None
    impacted_customers: FilterList | None = None
    reported_by: IntFilterList | None = None
    severity: (
        Annotated[
            list[Int64 | str], at_most(MAX_FILTER_VALUES), Field(max_length=MAX_FILTER_VALUES), AfterValidator(distinct)
        ]
        | None
    ) = None
    source: IntFilterList | None = None
    stage: FilterList | None = None
    subtype: FilterList | None = None
    title: FilterList | None = None
    # Keys are custom field names (`tnt__name`, or a subtype's `app__name`); each wants a scalar or a list of them.
    custom_fields: dict[str, Any] | None = Field(None, json_schema_extra=_CUSTOM_FILTER)
    staged_info: StagedInfoFilter | None = None
    sync_metadata: SyncMetadataFilter | None = None
    created_date: DateRange | None = None
    modified_date: DateRange | None = None
    acknowledged_date: DateRange | None = None
    actual_close_date: DateRange | None = None
    identified_date: DateRange | None = None
    mitigated_date: DateRange | None = None
    target_close_date: DateRange | None = None


class IncidentsGroupRequest(IncidentsListRequest):
    group_by: str = Field(min_length=1, json_schema_extra={"enum": list(GROUPABLE)})
    limit_per_group: StrictInt | None = Field(None, json_schema_extra={"minimum": 1})


@cache
def list_limits(model: type[BaseModel]) -> dict[str, int]:
    """The most items each array member of `model`'s body may hold, as its JSON schema states them: a request's
    over-long list is refused by its own limit before anything reads its items."""
    limits: dict[str, int] = {}
    for name, schema in model.model_json_schema().get("properties", {}).items():
        for option in schema.get("anyOf", [schema]):
            if option.get("type") == "array" and "maxItems" in option:
                limits[name] = max(limits.get(name, 0), option["maxItems"])
    return limits
