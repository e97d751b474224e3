"""Request bodies a route parses itself (a door that reads raw JSON to answer in its own format), declared
for the OpenAPI document: `openapi_extra=json_body(Model)` on the route; `openapi.build` adds the models'
schemas to the document's components."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_MODELS: dict[str, type[BaseModel]] = {}


def json_body(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """The route's `openapi_extra`: a JSON body of `model`'s schema."""
    _MODELS[model.__name__] = model
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


def query(*parameters: tuple[str, dict[str, Any], bool]) -> dict[str, Any]:
    """The route's `openapi_extra`: query parameters (name, schema, required) it reads itself."""
    declared = [
        {"name": name, "in": "query", "required": needed, "schema": schema} for name, schema, needed in parameters
    ]
    return {"parameters": declared}


def add_components(document: dict[str, Any]) -> None:
    """Put every declared model's schema (and the schemas it uses) into `document`'s components."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, model in _MODELS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for inner, definition in schema.pop("$defs", {}).items():
            components.setdefault(inner, definition)
        components.setdefault(name, schema)
