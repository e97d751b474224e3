"""Rules every request obeys, stated in the OpenAPI document's request schemas.

The app refuses, in every door, a NUL character in any string or member name of a body, and in the URL
(`inputs.unstorable`, `app.refuse_nul_in_url`). Pydantic cannot say so in the schemas it writes, so this
module adds it to every schema a request uses (bodies and parameters, and the components they reach):
free text gets `pattern` "no NUL", objects get `propertyNames` "no NUL", and a free-form value
(`additionalProperties: true`, `{}`, a model that keeps unknown members) becomes `JsonValue`: any JSON
value whose strings and member names hold no NUL. Response-only components are left as they are.
"""

from __future__ import annotations

from typing import Any

NO_NUL = "^[^\\x00]*$"
JSON_VALUE = "JsonValue"
_REF = f"#/components/schemas/{JSON_VALUE}"
_PREFIX = "#/components/schemas/"
# Keys that only describe a schema: a schema made of them alone accepts any value.
_ANNOTATIONS = {"title", "description", "default", "examples", "example", "deprecated"}
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "not", "if", "then", "else", "contains")


def json_value_schema() -> dict[str, Any]:
    """Any JSON value without a NUL character in its strings or member names."""
    return {
        "description": "Any JSON value; no string or member name holds a NUL character",
        "anyOf": [
            {"type": "string", "pattern": NO_NUL},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": {"$ref": _REF}},
            {"type": "object", "propertyNames": {"pattern": NO_NUL}, "additionalProperties": {"$ref": _REF}},
        ],
    }


def _free_form(schema: Any) -> bool:
    return schema is True or (isinstance(schema, dict) and set(schema) <= _ANNOTATIONS)


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _state(schema: dict[str, Any], refs: set[str]) -> None:
    """Add the no-NUL rules to `schema` and the schemas inside it, in place; collect the components it uses."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_PREFIX):
        refs.add(ref.removeprefix(_PREFIX))
    types = _types(schema)
    plain_text = not ({"enum", "const", "format", "pattern"} & set(schema))
    if "string" in types and plain_text:
        schema["pattern"] = NO_NUL
    if "object" in types:  # not a subschema of anyOf/allOf that only adds a rule to some members
        schema.setdefault("propertyNames", {"pattern": NO_NUL})
        extra = schema.get("additionalProperties")
        if extra is None or _free_form(extra):
            schema["additionalProperties"] = {"$ref": _REF}
    for name, child in list(schema.get("properties", {}).items()):
        if _free_form(child):
            schema["properties"][name] = {**child, "$ref": _REF}
    for key in ("additionalProperties", *_SUBSCHEMAS):
        child = schema.get(key)
        if isinstance(child, dict):
            if _free_form(child) and key in ("items", "additionalProperties"):
                schema[key] = {**child, "$ref": _REF}
            _state(schema[key], refs)
    for key in _SUBSCHEMA_LISTS:
        for child in schema.get(key, []):
            if isinstance(child, dict):
                _state(child, refs)
    for child in schema.get("properties", {}).values():
        if isinstance(child, dict):
            _state(child, refs)


def state_input_rules(document: dict[str, Any]) -> None:
    """Add the no-NUL rules to every request schema of `document`, in place."""
    components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    pending: set[str] = set()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if isinstance(parameter.get("schema"), dict):
                    _state(parameter["schema"], pending)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                schema = media.get("schema")
                if _free_form(schema):
                    media["schema"] = {**(schema if isinstance(schema, dict) else {}), "$ref": _REF}
                elif isinstance(schema, dict):
                    _state(schema, pending)
    done: set[str] = {JSON_VALUE}
    while pending - done:
        name = (pending - done).pop()
        done.add(name)
        if isinstance(components.get(name), dict):
            _state(components[name], pending)
    if _REF in repr(document):
        components[JSON_VALUE] = json_value_schema()
