"""Sonoran's two error formats: v1 answers HTTP 400 with a plain text, v2 a problem document."""

from __future__ import annotations

import math
import secrets
from typing import Any

from pydantic import BaseModel

from incidenthub.errors import AppError, ErrorAnswer, RateLimited
from incidenthub.problems import PROBLEM_MEDIA_TYPE


class V2FieldError(BaseModel):
    field: str
    message: str


class V2Problem(BaseModel):
    """Sonoran's v2 error body (a problem document with a trace id)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    traceId: str
    errors: list[V2FieldError] | None = None


class V2RateLimited(BaseModel):
    """Sonoran's v2 answer to a request over the rate limit (429, with `Retry-After`)."""

    message: str
    request_id: str


class V1Error(AppError):
    """A v1 failure: HTTP 400 and exactly this text."""

    status_code = 400
    title = "Bad request"
    slug = "sonoran-v1"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.v1_text = text


def _retry_after(error: RateLimited) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(error.retry_after)))} if error.retry_after else {}


def render_v1(_path: str, error: AppError) -> ErrorAnswer:
    """A v1 error: its Sonoran text, HTTP 400 (500 stays 500; a rate limit is 429 with Retry-After)."""
    if isinstance(error, RateLimited):
        return ErrorAnswer(
            429, f"API RATE LIMIT EXCEEDED: {error.detail}", "text/plain; charset=utf-8", _retry_after(error)
        )
    text = getattr(error, "v1_text", None) or error.detail
    # A method the path does not have is 405, as on every HTTP API; everything else a client sends wrong is 400.
    status = error.status_code if error.status_code in (405, 500) else (500 if error.status_code > 500 else 400)
    return ErrorAnswer(status, text, "text/plain; charset=utf-8")


def render_v2(path: str, error: AppError) -> ErrorAnswer:
    """Sonoran's v2 problem document; a validation failure is 400, as Sonoran answers it.

    A rate limit is answered as Sonoran documents it: 429 `{"message":"API rate limit exceeded","request_id":...}`
    with `Retry-After`."""
    if isinstance(error, RateLimited):
        limited = {"message": "API rate limit exceeded", "request_id": secrets.token_hex(16)}
        return ErrorAnswer(429, limited, headers=_retry_after(error))
    status = 400 if error.status_code == 422 else error.status_code
    title = "Bad Request" if status == 400 else error.title
    body: dict[str, Any] = {
        "type": f"https://httpstatuses.com/{status}",
        "title": title,
        "status": status,
        "detail": error.detail,
        "instance": path,
        "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01",
    }
    if error.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
    return ErrorAnswer(status, body, PROBLEM_MEDIA_TYPE)
