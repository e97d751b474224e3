"""One error tree. Services raise these; each door's handler renders them in that door's format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one field of the input, by its dotted path (`location.coordinates`)."""

    field: str
    message: str


class AppError(Exception):
    """Base of every error a client can cause; carries its HTTP status."""

    status_code = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        errors = errors or []
        if len(errors) > MAX_REPORTED_ERRORS:
            detail, errors = _capped(detail, errors)
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


# An answer lists at most this many field errors, then how many more there were: a body of thousands of bad
# items must not be answered with (and held in memory as) thousands of messages.
MAX_REPORTED_ERRORS = 20


def _capped(detail: str, errors: list[FieldError]) -> tuple[str, list[FieldError]]:
    """The first `MAX_REPORTED_ERRORS` errors and one saying how many more; the detail shortened alike when it
    is the usual `field: message; ...` list of them all."""
    shown, rest = errors[:MAX_REPORTED_ERRORS], len(errors) - MAX_REPORTED_ERRORS
    more = f"and {rest} more error{'s' if rest > 1 else ''} not listed"
    listed = "; ".join(f"{e.field}: {e.message}" for e in shown)
    if detail.startswith(listed + "; "):
        detail = f"{listed}; {more}"
    elif len(detail) > 2000:
        detail = detail[:2000] + f"... ({more})"
    return detail, [*shown, FieldError("body", more)]


class Invalid(AppError):
    status_code = 422
    title = "Validation failed"
    slug = "validation-error"


class MalformedRequest(AppError):
    status_code = 400
    title = "Malformed request"
    slug = "malformed-request"


class Unauthorized(AppError):
    status_code = 401
    title = "Unauthorized"
    slug = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(AppError):
    status_code = 404
    title = "Not found"
    slug = "not-found"


class Conflict(AppError):
    status_code = 409
    title = "Conflict"
    slug = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    title = "Payload too large"
    slug = "payload-too-large"


class RateLimited(AppError):
    status_code = 429
    title = "Too many requests"
    slug = "rate-limited"

    def __init__(self, detail: str, errors: list[FieldError] | None = None, retry_after: float | None = None) -> None:
        super().__init__(detail, errors)
        # Seconds until a retry can succeed: each door puts it in `Retry-After` (and DevRev in its body too).
        self.retry_after = retry_after


class UnsupportedMediaType(AppError):
    status_code = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class InternalError(AppError):
    status_code = 500
    title = "Internal server error"
    slug = "internal-error"


class HttpError(AppError):
    """A framework-level HTTP error (unknown route, wrong method, body too large) as an AppError."""

    _TITLES: ClassVar[dict[int, str]] = {
        400: "Malformed request",
        404: "Not found",
        405: "Method not allowed",
        413: "Payload too large",
    }

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.title = self._TITLES.get(status_code, "Error")
        self.slug = self.title.lower().replace(" ", "-")


@dataclass(frozen=True)
class ErrorAnswer:
    """An error as a door answers it, before any web framework: status, body (JSON or text), headers."""

    status: int
    body: dict[str, Any] | str
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


# How a door renders errors: (the request's path, the error) -> its answer. Pure, so a door's error
# format is tested without HTTP and its modules never import the web framework.
ErrorRenderer = Callable[[str, AppError], ErrorAnswer]
