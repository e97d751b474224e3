"""An EIDO document checked against NENA's schema (`schema/nena-eido-components.json`), errors as JSON pointers.

Pure: no web framework, no database. The schema is the OpenAPI 3.0 document's components, validated as
JSON Schema draft 4 (OpenAPI 3.0's dialect; `$ref` siblings are descriptions only).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from incidenthub.errors import FieldError

ROOT = "#/components/schemas/EmergencyIncidentDataObjectType"
_SCHEMA_FILE = "nena-eido-components.json"


def pointer(path: Any) -> str:
    """RFC 6901 pointer of a path of keys and indexes ("" is the whole document)."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _repaired(node: Any) -> Any:
    """The published schema with its two defects repaired (see schema/README.md)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                return {"type": "object"}  # a NIEM component: not published with the EIDO schema
            if key == "minItems" and isinstance(value, str):
                value = int(value.strip(", "))
            out[key] = _repaired(value)
        return out
    if isinstance(node, list):
        return [_repaired(item) for item in node]
    return node


@cache
def schema() -> dict[str, Any]:
    """The EIDO document schema: its root points at EmergencyIncidentDataObjectType."""
    text = resources.files("incidenthub.adapters.eido").joinpath("schema", _SCHEMA_FILE).read_text("utf-8")
    components: dict[str, Any] = _repaired(json.loads(text))
    return {"$ref": ROOT, **components}


@cache
def validator() -> Draft4Validator:
    return Draft4Validator(schema())


def component_schema(name: str) -> dict[str, Any]:
    """A schema for one component type (e.g. `NotesType`), resolved against the whole document."""
    return {"$ref": f"#/components/schemas/{name}", "components": schema()["components"]}


def _field_errors(error: ValidationError) -> list[FieldError]:
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = list(error.validator_value) if isinstance(error.validator_value, list) else []
        missing = [name for name in required if name not in error.instance]
        return [FieldError(pointer([*error.absolute_path, name]), "is required") for name in missing]
    return [FieldError(pointer(error.absolute_path), error.message)]


def problems(document: Any) -> list[FieldError]:
    """Every place `document` breaks the schema, in document order; [] when it is a valid EIDO."""
    found: dict[tuple[str, str], FieldError] = {}
    for error in validator().iter_errors(document):
        for field_error in _field_errors(error):
            found.setdefault((field_error.field, field_error.message), field_error)
    return sorted(found.values(), key=lambda e: e.field)
