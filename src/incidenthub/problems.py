"""RFC 9457 problem documents, carrying Sety's `code` and `message` members too."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from incidenthub.errors import AppError, FieldError

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemFieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The error body of the native API (and of every door without a format of its own)."""

    type: str = Field(description="A URI naming the kind of problem")
    title: str
    status: int
    detail: str
    code: int = Field(description="Same as status (Sety's error member)")
    message: str = Field(description="Same as detail (Sety's error member)")
    errors: list[ProblemFieldError] = Field(default_factory=list)


def problem_body(status: int, title: str, slug: str, detail: str, errors: list[FieldError]) -> dict[str, Any]:
    return Problem(
        type=f"urn:incidenthub:problem:{slug}",
        title=title,
        status=status,
        detail=detail,
        code=status,
        message=detail,
        errors=[ProblemFieldError(field=e.field, message=e.message) for e in errors],
    ).model_dump()


def from_error(error: AppError) -> dict[str, Any]:
    return problem_body(error.status_code, error.title, error.slug, error.detail, error.errors)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problem statuses a route can answer."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
            "description": _DESCRIPTIONS[status],
        }
        for status in statuses
    }


_DESCRIPTIONS = {
    400: "Malformed request (unparseable JSON)",
    401: "Missing, invalid, expired or revoked API key",
    403: "The API key lacks the scope this operation needs",
    404: "No such record for this tenant",
    409: "The record's state forbids this change",
    413: "Request body larger than the limit (1 MiB by default)",
    415: "The body is not sent as JSON (`Content-Type: application/json`)",
    422: "Validation failed; `errors` names each field",
}
