"""The OpenAPI document, completed so it tells the truth about errors.

FastAPI documents what a route declares. Every operation can also answer the errors the app raises
around it (a missing key, a missing scope, a malformed body, a NUL in the URL, a body over the limit),
in the format of the door that owns it. This module adds those answers to every operation, with the
door's own error body and media type, and replaces FastAPI's default 422 (`HTTPValidationError`,
a shape we never send) by the door's validation answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from incidenthub import openapi_bodies
from incidenthub.adapters import NATIVE_ERRORS, ErrorDoc
from incidenthub.openapi_inputs import state_input_rules

_DESCRIPTIONS = {
    400: "Malformed or invalid request; the body names the field",
    401: "Missing, invalid, expired or revoked API key",
    403: "The API key lacks the scope this operation needs",
    404: "No such record for this tenant",
    409: "The record's state forbids this change",
    405: "The path does not answer this method",
    413: "Request body larger than the limit",
    415: "The body is not sent as JSON (`Content-Type: application/json`)",
    422: "Validation failed; the body names each field",
    429: "Over the API key's requests per minute, or too many failed authentications from this address or for this "
    "key id: nothing was done; retry after `Retry-After` seconds",
    500: "An unexpected error (nothing was written)",
}
_INTEGER = {"schema": {"type": "integer"}}
# Sety's rate-limit headers, on every authenticated answer (auth/limits.py).
_RATE_HEADERS = {
    "X-RateLimit-Limit": {"description": "Requests per minute this API key may make", **_INTEGER},
    "X-RateLimit-Remaining": {"description": "Requests left in the current minute", **_INTEGER},
    "X-RateLimit-Reset": {
        "description": "When the current minute ends (ISO 8601 UTC)",
        "schema": {"type": "string", "format": "date-time"},
    },
}
_WITH_BODY = {"post", "put", "patch", "delete"}


def _statuses(path: str, method: str, errors: ErrorDoc) -> list[int]:
    statuses = {400, 401, 403, 429, 500, errors.validation_status}
    if method in _WITH_BODY:
        statuses |= {409, 413, 415}
    # An id in the path, or a door that reads ids from the body or query.
    if "{" in path or errors is not NATIVE_ERRORS:
        statuses.add(404)
    if errors.only is not None:
        statuses = set(errors.only)
    return sorted(statuses)


def _schema_of(errors: ErrorDoc, components: dict[str, Any]) -> dict[str, Any]:
    if errors.body is None:
        return {"type": "string"}
    schema = errors.body.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(errors.body.__name__, schema)
    return {"$ref": f"#/components/schemas/{errors.body.__name__}"}


def complete(document: dict[str, Any], errors_of: Callable[[str, str], ErrorDoc]) -> dict[str, Any]:
    """Add every operation's error answers to `document` (in place) and return it."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            errors = errors_of(path, method)
            content = {errors.media_type: {"schema": _schema_of(errors, components)}}
            responses = operation.setdefault("responses", {})
            if errors.validation_status != 422 or errors.only is not None:
                responses.pop("422", None)
            for status in _statuses(path, method, errors):
                if status == 429 and errors.only is None and "security" not in operation:
                    continue  # not authenticated (the health check): never counted, never limited
                entry = responses.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
                entry["content"] = content
                if status == 429:
                    if errors.limited_body is not None:
                        limited = ErrorDoc(errors.limited_body, "application/json")
                        entry["content"] = {limited.media_type: {"schema": _schema_of(limited, components)}}
                    entry["headers"] = {"Retry-After": {"description": "Seconds to wait", **_INTEGER}, **_RATE_HEADERS}
    state_input_rules(document)
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in repr(document).replace("'", '"'):
            components.pop(unused, None)
    return document


def operations(prefix: str, router: APIRouter, errors: ErrorDoc) -> dict[tuple[str, str], ErrorDoc]:
    """(path, method) of each operation a door's router adds, mounted at `prefix`, with its error doc."""
    return {
        (prefix + route.path_format, method.lower()): errors
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }


def build(
    *,
    title: str,
    version: str,
    summary: str,
    description: str,
    routes: list[BaseRoute],
    errors_by_operation: dict[tuple[str, str], ErrorDoc],
) -> dict[str, Any]:
    """The app's OpenAPI document, completed (operations not in the map are the native API's)."""
    document = get_openapi(title=title, version=version, summary=summary, description=description, routes=routes)
    openapi_bodies.add_components(document)
    return complete(document, lambda path, method: errors_by_operation.get((path, method), NATIVE_ERRORS))
