"""Rules every request obeys, stated in the OpenAPI document's request schemas.

The app refuses, in every door, a NUL character in any string or member name of a body, and in the URL
(`inputs.unstorable`, `app.refuse_nul_in_url`), and in a body a string longer than `MAX_TEXT`, a member name
longer than `MAX_NAME`, an array or object of more than `MAX_ITEMS` (`inputs.unstorable`, DevRev's
`wire.check_values`). Pydantic cannot say so in the schemas it writes, so this module adds it to every schema a
request uses (bodies and parameters, and the components they reach): free text gets `pattern` "no NUL",
objects get `propertyNames` "no NUL" (in a body also `maxLength` `MAX_NAME`), and a free-form value
(`additionalProperties: true`, `{}`, a model that keeps unknown members) becomes `JsonValue`: any JSON value
whose strings and member names hold no NUL. Response-only components are left as they are.

The limits of strings, arrays and objects that have none of their own are stated in words (`JsonValue`'s
description and the document's), not as `maxLength` / `maxItems` / `maxProperties` on every schema: the contract
test's fuzzer then builds values at and past 100,000 characters and 10,000 items for every string and array of
every operation (measured: its coverage phase took 2.7 times as long on five operations, 7 times on
`POST /v1/incidents`) for what one sentence says.
"""

from __future__ import annotations

from typing import Any

from incidenthub.inputs import MAX_ITEMS, MAX_NAME, MAX_TEXT

NO_NUL = "^[^\\x00]*$"
JSON_VALUE = "JsonValue"
_REF = f"#/components/schemas/{JSON_VALUE}"
_PREFIX = "#/components/schemas/"
# Keys that only describe a schema: a schema made of them alone accepts any value.
_ANNOTATIONS = {"title", "description", "default", "examples", "example", "deprecated"}
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("items", "not", "if", "then", "else", "contains")
_NAMES = {"pattern": NO_NUL, "maxLength": MAX_NAME}
LIMITS = (
    f"In a request body (free-form values included) a string has at most {MAX_TEXT:,} characters, a member name "
    f"at most {MAX_NAME:,}, an array or object at most {MAX_ITEMS:,} items, unless its schema sets a lower limit; "
    "one over is refused naming it."
)


def json_value_schema() -> dict[str, Any]:
    """Any JSON value without a NUL character in its strings or member names, within the limits of a body."""
    return {
        "description": f"Any JSON value; no string or member name holds a NUL character. {LIMITS}",
        "anyOf": [
            {"type": "string", "pattern": NO_NUL},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": {"$ref": _REF}},
            {"type": "object", "propertyNames": _NAMES, "additionalProperties": {"$ref": _REF}},
        ],
    }


def _free_form(schema: Any) -> bool:
    return schema is True or (isinstance(schema, dict) and set(schema) <= _ANNOTATIONS)


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _state(schema: dict[str, Any], refs: set[str], body: bool = True) -> None:
    """Add the no-NUL rules (and in a `body`, the limit of member names) to `schema` and the schemas inside it, in
    place; collect the components it uses."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_PREFIX):
        refs.add(ref.removeprefix(_PREFIX))
    types = _types(schema)
    plain_text = not ({"enum", "const", "format", "pattern"} & set(schema))
    if "string" in types and plain_text:
        schema["pattern"] = NO_NUL
    if "object" in types:  # not a subschema of anyOf/allOf that only adds a rule to some members
        schema.setdefault("propertyNames", dict(_NAMES) if body else {"pattern": NO_NUL})
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
            _state(schema[key], refs, body)
    for key in _SUBSCHEMA_LISTS:
        for child in schema.get(key, []):
            if isinstance(child, dict):
                _state(child, refs, body)
    for child in schema.get("properties", {}).values():
        if isinstance(child, dict):
            _state(child, refs, body)


def _not_null(schema: dict[str, Any]) -> None:
    """A parameter is sent as text or not at all, never as JSON null: an optional one (Pydantic's `X | None`,
    written `anyOf: [X, null]`) is stated as X, so a client or fuzzer never sends the text `null` for it."""
    alternatives = schema.get("anyOf")
    if isinstance(alternatives, list) and {"type": "null"} in alternatives and len(alternatives) > 1:
        schema["anyOf"] = [alternative for alternative in alternatives if alternative != {"type": "null"}]


def state_input_rules(document: dict[str, Any]) -> None:
    """Add the no-NUL rules to every request schema of `document`, and the limits of a body to its description, in
    place."""
    info = document.setdefault("info", {})
    info["description"] = f"{info.get('description', '')}\n\n{LIMITS}".strip()
    components: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    pending: set[str] = set()
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if isinstance(parameter.get("schema"), dict):
                    _not_null(parameter["schema"])
                    _state(parameter["schema"], pending, body=False)
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
