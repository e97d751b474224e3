"""Native API for what DevRev incidents are checked against: `/v1/custom-schemas` and `/v1/devrev/settings`.

These are native routes: errors are problem+json like the rest of `/v1`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.orm import Session

from incidenthub.adapters.devrev.customfields import FieldDef
from incidenthub.adapters.devrev.repository import DevRevRepository
from incidenthub.adapters.devrev.tenant_settings import SETTINGS_KEY, DevRevSettings, load
from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.clock import utcnow
from incidenthub.errors import Conflict, FieldError, Invalid, NotFound
from incidenthub.incidents.schemas import Stamp
from incidenthub.inputs import at_most
from incidenthub.models import CustomSchemaFragment, Tenant
from incidenthub.problems import responses
from incidenthub.runtime import read_session, runtime_of

router = APIRouter(tags=["custom schemas"])

MAX_FIELDS = 500  # fields of one fragment
MAX_ALLOWED_VALUES = 1000  # values of one enum field
MAX_SETTING_ITEMS = 100  # severities, states, stages, a stage's transitions, each open enum's values


# FieldDef's rules, stated for clients: a name without "__", an enum with its values, `required` a JSON boolean.
_FIELD_SCHEMA = {
    **FieldDef.model_json_schema(),
    "title": "FieldDef",
    "anyOf": [
        {"properties": {"type": {"not": {"const": "enum"}}}},
        {"required": ["allowed_values"], "properties": {"allowed_values": {"minItems": 1}}},
    ],
}
_FIELD_SCHEMA["properties"] = {
    **_FIELD_SCHEMA["properties"],
    "name": {"type": "string", "maxLength": 64, "pattern": "^[a-z](_?[a-z0-9])*_?$", "title": "Name"},
    "allowed_values": {**_FIELD_SCHEMA["properties"]["allowed_values"], "maxItems": MAX_ALLOWED_VALUES},
}


def _strict_required(data: Any) -> Any:
    """`required` is a JSON boolean: 0 or "yes" is refused, as the schema says (FieldDef itself is lax); an enum
    has at most `MAX_ALLOWED_VALUES` (checked here, when written: stored fields are read back as they are)."""
    fields = data.get("fields") if isinstance(data, dict) else None
    for i, field in enumerate(fields[:MAX_FIELDS] if isinstance(fields, list) else []):
        if isinstance(field, dict) and "required" in field and not isinstance(field["required"], bool):
            raise PydanticCustomError(
                "unstorable", "{field}: {reason}", {"field": f"fields.{i}.required", "reason": "must be true or false"}
            )
        values = field.get("allowed_values") if isinstance(field, dict) else None
        if isinstance(values, list) and len(values) > MAX_ALLOWED_VALUES:
            reason = f"List should have at most {MAX_ALLOWED_VALUES} items, not {len(values)}"
            raise PydanticCustomError(
                "unstorable", "{field}: {reason}", {"field": f"fields.{i}.allowed_values", "reason": reason}
            )
    return data


class CustomSchemaWrite(BaseModel):
    """A schema fragment: the tenant's (`tenant_fragment`), a subtype's, or an app's (`app_fragment`)."""

    # `_named` checks this, stated for clients: a subtype or an app fragment has a name.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"kind": {"const": "tenant_fragment"}}},
                {"required": ["name"], "properties": {"name": {"type": "string"}}},
            ]
        }
    )

    kind: Literal["tenant_fragment", "subtype", "app_fragment"]
    name: str | None = Field(
        None, pattern=r"^[a-z][a-z0-9_-]{0,63}$", description="subtype or app name; the tenant fragment is `tenant`"
    )
    description: str | None = Field(None, max_length=500)
    fields: Annotated[list[Annotated[FieldDef, WithJsonSchema(_FIELD_SCHEMA)]], at_most(MAX_FIELDS)] = Field(
        default_factory=list, max_length=MAX_FIELDS
    )

    _required_is_boolean = model_validator(mode="before")(_strict_required)

    @model_validator(mode="after")
    def _named(self) -> CustomSchemaWrite:
        if self.kind == "tenant_fragment":
            self.name = "tenant"
        elif not self.name:
            raise ValueError(f"a {self.kind} needs a name")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique within a fragment")
        return self


class CustomSchemaRead(BaseModel):
    id: str
    kind: str
    name: str
    description: str | None
    fields: list[FieldDef]
    created_at: Stamp
    updated_at: Stamp


class CustomSchemaList(BaseModel):
    data: list[CustomSchemaRead]


def _read(row: CustomSchemaFragment) -> CustomSchemaRead:
    return CustomSchemaRead(
        id=row.id,
        kind=row.kind,
        name=row.name,
        description=row.description,
        fields=[FieldDef.model_validate(f) for f in row.fields],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def create_fragment(session: Session, tenant_id: str, body: CustomSchemaWrite) -> CustomSchemaRead:
    now = utcnow()
    assert body.name is not None  # noqa: S101 - the validator names every fragment
    row = CustomSchemaFragment(
        tenant_id=tenant_id,
        kind=body.kind,
        name=body.name,
        description=body.description,
        fields=[f.model_dump(exclude_none=True) for f in body.fields],
        created_at=now,
        updated_at=now,
    )
    if not DevRevRepository(session).add_fragment(row):
        raise Conflict(f"a {body.kind} named {body.name!r} already exists; PUT /v1/custom-schemas/{{id}} replaces it")
    return _read(row)


def replace_fragment(session: Session, tenant_id: str, fragment_id: str, body: CustomSchemaWrite) -> CustomSchemaRead:
    row = DevRevRepository(session).fragment(tenant_id, fragment_id)
    if row is None:
        raise NotFound(f"custom schema {fragment_id} not found")
    if (row.kind, row.name) != (body.kind, body.name):
        raise Invalid("kind and name of a schema cannot change", [FieldError("name", "cannot change")])
    row.description = body.description
    row.fields = [f.model_dump(exclude_none=True) for f in body.fields]
    row.updated_at = utcnow()
    session.flush()
    return _read(row)


def delete_fragment(session: Session, tenant_id: str, fragment_id: str) -> None:
    repository = DevRevRepository(session)
    row = repository.fragment(tenant_id, fragment_id)
    if row is None:
        raise NotFound(f"custom schema {fragment_id} not found")
    repository.delete_fragment(row)


@router.post(
    "/custom-schemas",
    status_code=201,
    response_model=CustomSchemaRead,
    responses=responses(400, 401, 403, 409, 422),
    summary="Register a custom schema fragment",
)
async def post_schema(
    body: CustomSchemaWrite, request: Request, principal: Principal = Depends(require("incidents:write"))
) -> CustomSchemaRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: create_fragment(session, tenant_id, body))


@router.get("/custom-schemas", response_model=CustomSchemaList, responses=responses(401, 403))
def list_schemas(
    session: Session = Depends(read_session), principal: Principal = Depends(require("incidents:read"))
) -> CustomSchemaList:
    return CustomSchemaList(data=[_read(row) for row in DevRevRepository(session).fragments(principal.tenant_id)])


@router.get("/custom-schemas/{fragment_id}", response_model=CustomSchemaRead, responses=responses(401, 403, 404))
def get_schema(
    fragment_id: str,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("incidents:read")),
) -> CustomSchemaRead:
    row = DevRevRepository(session).fragment(principal.tenant_id, fragment_id)
    if row is None:
        raise NotFound(f"custom schema {fragment_id} not found")
    return _read(row)


@router.put(
    "/custom-schemas/{fragment_id}", response_model=CustomSchemaRead, responses=responses(400, 401, 403, 404, 422)
)
async def put_schema(
    fragment_id: str,
    body: CustomSchemaWrite,
    request: Request,
    principal: Principal = Depends(require("incidents:write")),
) -> CustomSchemaRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: replace_fragment(session, tenant_id, fragment_id, body))


@router.delete("/custom-schemas/{fragment_id}", status_code=204, responses=responses(401, 403, 404))
async def delete_schema(
    fragment_id: str, request: Request, principal: Principal = Depends(require("incidents:write"))
) -> Response:
    tenant_id = principal.tenant_id
    await runtime_of(request).writes.run(lambda session: delete_fragment(session, tenant_id, fragment_id))
    return Response(status_code=204)


# --- settings: severities, stage diagram, enums -------------------------------------------------


_SETTING_LISTS = ("severities", "states", "stages", "reported_by", "sources", "impact_counts")


def _bounded(body: dict[str, Any]) -> None:
    """Settings' lists are bounded when written (stored settings are read back as they were written, so the
    limits are not part of `DevRevSettings`): refused naming each list over `MAX_SETTING_ITEMS`."""
    lists = [(name, body.get(name)) for name in _SETTING_LISTS]
    stages = body.get("stages")
    for i, stage in enumerate(stages[:MAX_SETTING_ITEMS] if isinstance(stages, list) else []):
        if isinstance(stage, dict):
            lists.append((f"stages.{i}.transitions", stage.get("transitions")))
    fields = [
        FieldError(name, f"List should have at most {MAX_SETTING_ITEMS} items, not {len(items)}")
        for name, items in lists
        if isinstance(items, list) and len(items) > MAX_SETTING_ITEMS
    ]
    if fields:
        raise Invalid("; ".join(f"{f.field}: {f.message}" for f in fields), fields)


def _put_settings(session: Session, tenant_id: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        settings = DevRevSettings.model_validate(body)
    except ValidationError as exc:
        fields = [FieldError(".".join(str(p) for p in e["loc"]) or "body", e["msg"]) for e in exc.errors()]
        raise Invalid("; ".join(f"{f.field}: {f.message}" for f in fields), fields) from None
    tenant = session.get(Tenant, tenant_id)
    assert tenant is not None  # noqa: S101 - the key's tenant exists
    tenant.settings = {**(tenant.settings or {}), SETTINGS_KEY: settings.model_dump()}
    session.flush()
    return settings.model_dump()


@router.get("/devrev/settings", responses=responses(401, 403), summary="DevRev door settings (effective)")
def get_settings(
    session: Session = Depends(read_session), principal: Principal = Depends(require("incidents:read"))
) -> dict[str, Any]:
    tenant = session.get(Tenant, principal.tenant_id)
    return load(tenant.settings if tenant else None).model_dump()


@router.put(
    "/devrev/settings",
    responses=responses(401, 403, 422),
    summary="Replace the DevRev door settings",
    description=f"`severities`, `states`, `stages`, `reported_by`, `sources`, `impact_counts` and each stage's "
    f"`transitions` hold at most {MAX_SETTING_ITEMS} items each (422 naming the list).",
)
async def put_settings(
    body: dict[str, Any], request: Request, principal: Principal = Depends(require("incidents:write"))
) -> dict[str, Any]:
    _bounded(body)
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: _put_settings(session, tenant_id, body))
