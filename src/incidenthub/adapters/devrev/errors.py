"""DevRev's error shape `{type, message, detail, ...}` and the translation of every AppError into it."""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from incidenthub.errors import (
    AppError,
    Conflict,
    ErrorAnswer,
    FieldError,
    Forbidden,
    Invalid,
    MalformedRequest,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    UnsupportedMediaType,
)


class DevRevErrorBody(BaseModel):
    """DevRev's error body; some types add `field_name`, `allowed_values`, `subtype`, `reason`,
    `retry_after`, `reference_id`."""

    model_config = ConfigDict(extra="allow")

    type: str
    message: str
    detail: str


class DevRevError(AppError):
    """An error with a DevRev `type` discriminator and the type's own members."""

    def __init__(self, status_code: int, type_: str, detail: str, **members: Any) -> None:
        super().__init__(detail, [FieldError(members["field_name"], detail)] if "field_name" in members else None)
        self.status_code = status_code
        self.type = type_
        self.members = {key: value for key, value in members.items() if value is not None}


def bad_request(detail: str) -> DevRevError:
    return DevRevError(400, "bad_request", detail)


def missing_required_field(field: str, detail: str | None = None) -> DevRevError:
    return DevRevError(400, "missing_required_field", detail or f"{field} is required", field_name=field)


def invalid_field(field: str, detail: str) -> DevRevError:
    return DevRevError(400, "invalid_field", detail, field_name=field)


def value_not_permitted(field: str, detail: str, allowed: list[str], reason: str | None = None) -> DevRevError:
    return DevRevError(
        400, "value_not_permitted", detail, field_name=field, allowed_values=allowed, reason=reason or detail
    )


def customization_error(subtype: str, field: str | None, detail: str) -> DevRevError:
    """A custom field or schema fragment problem; `subtype` is DevRev's (`field_not_in_schema`, ...)."""
    return DevRevError(400, "customization_validation_error", detail, subtype=subtype, field_name=field, reason=detail)


def not_found(detail: str) -> DevRevError:
    return DevRevError(404, "not_found", detail)


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "dict", "list", "none"})
_FIELD = re.compile(r"^[a-z_][a-z0-9_]*$")


def _path(location: tuple[int | str, ...]) -> str:
    """A dotted field path without the union-branch tags Pydantic adds (`StageCreate`, `str`, ...)."""
    parts = [str(p) for p in location if isinstance(p, int) or (_FIELD.match(p) and p not in _TYPE_TAGS)]
    return ".".join(parts)


def from_validation(error: ValidationError, prefix: str = "") -> DevRevError:
    """A Pydantic failure as DevRev answers it: the first problem, naming its field."""
    problems = error.errors(include_url=False)
    first = problems[0]
    field = prefix + _path(first["loc"]) or "body"
    summary = "; ".join(
        f"{_path(item['loc']) or 'body'}: {str(item['msg']).removeprefix('Value error, ')}" for item in problems
    )
    if first["type"] == "missing":
        return missing_required_field(field, summary)
    return invalid_field(field, summary)


_MESSAGES = {
    "bad_request": "Bad request",
    "parse_error": "The request body could not be parsed",
    "missing_required_field": "A required field is missing",
    "invalid_field": "A field has an invalid value",
    "value_not_permitted": "A value is not permitted",
    "customization_validation_error": "Custom field validation failed",
    "unauthenticated": "Authentication failed",
    "forbidden": "Access denied",
    "not_found": "Not found",
    "conflict": "Conflict",
    "request_entity_too_large": "Request entity too large",
    "too_many_requests": "Too many requests",
    "internal_error": "Internal error",
    "service_unavailable": "Service unavailable",
}


def _translate(error: AppError) -> tuple[int, str, dict[str, Any]]:
    """(status, type, members) for any AppError, DevRev's own or another layer's."""
    if isinstance(error, DevRevError):
        return error.status_code, error.type, dict(error.members)
    if isinstance(error, MalformedRequest):
        return 400, "parse_error", {}
    if isinstance(error, Invalid):
        # FastAPI/validation failures of shared code: DevRev answers 400 for these.
        field = error.errors[0].field if error.errors else None
        return 400, "invalid_field" if field else "bad_request", {"field_name": field} if field else {}
    if isinstance(error, UnsupportedMediaType):
        return 400, "bad_request", {}
    if isinstance(error, Unauthorized):
        return 401, "unauthenticated", {}
    if isinstance(error, Forbidden):
        return 403, "forbidden", {}
    if isinstance(error, NotFound) or error.status_code == 404:
        return 404, "not_found", {}
    if isinstance(error, Conflict):
        return 409, "conflict", {}
    if isinstance(error, PayloadTooLarge) or error.status_code == 413:
        return 413, "request_entity_too_large", {}
    if isinstance(error, RateLimited) or error.status_code == 429:
        retry_after = getattr(error, "retry_after", None)
        return 429, "too_many_requests", {"retry_after": max(1, math.ceil(retry_after))} if retry_after else {}
    if error.status_code >= 500:
        return 500, "internal_error", {"reference_id": uuid.uuid4().hex}
    return error.status_code, "bad_request", {}


def devrev_body(error: AppError) -> tuple[int, dict[str, Any]]:
    status, type_, members = _translate(error)
    return status, {"type": type_, "message": _MESSAGES.get(type_, "Error"), "detail": error.detail, **members}


def render_devrev(_path: str, error: AppError) -> ErrorAnswer:
    """The door's error format (bound to its routes in `incidenthub.adapters`)."""
    status, body = devrev_body(error)
    headers = {}
    if status == 429 and "retry_after" in body:
        headers["Retry-After"] = str(body["retry_after"])
    return ErrorAnswer(status, body, headers=headers)
