"""HTTP routes of access control (Sety's Access Codes and Access Logs), mounted at /v1 and /v1/external.

No code or token is ever part of a path: they travel in bodies, which the request log never writes.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator
from sqlalchemy.orm import Session
from starlette.convertors import Convertor, register_url_convertor

from incidenthub.access import reads, service
from incidenthub.access.repository import LogFilter
from incidenthub.access.rules import MESSAGES, CodeStatus
from incidenthub.access.schemas import (
    AccessCodePage,
    AccessCodeRead,
    AccessLogCreate,
    AccessLogPage,
    AccessLogRead,
    AccessStats,
    CheckoutRequest,
    CreateAccessCodeRequest,
    CurrentVisitorPage,
    LogStatus,
    RevokeRequest,
    SiteCreate,
    SitePage,
    SiteRead,
    SiteUpdate,
    ValidateRequest,
    ValidationResult,
)
from incidenthub.auth.dependencies import require
from incidenthub.auth.service import Principal
from incidenthub.clock import utcnow
from incidenthub.errors import Conflict, FieldError, Invalid, RateLimited
from incidenthub.inputs import YEARS_1900_2200
from incidenthub.problems import PROBLEM_MEDIA_TYPE, Problem, from_error, responses
from incidenthub.query_times import query_utc
from incidenthub.runtime import read_session, runtime_of


class _AccessCodeId(Convertor[str]):
    """An access code's id in a path (`acc_...`): so that `/access-codes/validate` is not read as one, and
    the path answers only the method it documents (POST)."""

    regex = "acc_[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("access_code_id", _AccessCodeId())

router = APIRouter(tags=["access"])

_READ = responses(401, 403, 404)
_LIST = responses(401, 403, 404, 422)
_WRITE = responses(400, 401, 403, 404, 409, 413, 415, 422)
_THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": Problem,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "description": "Too many unknown codes from this key at this site within a minute",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    }
}
Page = Annotated[int, Query(ge=1, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=100)]
_ISO_DATE_TIME = re.compile(r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _iso(value: Any) -> Any:
    if not (isinstance(value, str) and _ISO_DATE_TIME.match(value)):
        raise ValueError("must be an ISO 8601 date-time between the years 1900 and 2200, such as 2026-01-06T10:25:00Z")
    return value


_ISO_DAY = re.compile(r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-[0-9]{2}-[0-9]{2}$")


def _day(value: Any) -> Any:
    """Only a calendar day as text is a day here: a number (which Pydantic reads as a Unix time) is refused."""
    if not (isinstance(value, str) and _ISO_DAY.match(value)):
        raise ValueError("must be a date YYYY-MM-DD between the years 1900 and 2200, such as 2026-03-29")
    return value


QueryTime = Annotated[datetime, BeforeValidator(_iso)]
QueryDay = Annotated[date, BeforeValidator(_day)]
_TIME_DOC: dict[str, Any] = {"json_schema_extra": {"pattern": YEARS_1900_2200, "format": "date-time"}}
_DAY_DOC: dict[str, Any] = {"json_schema_extra": {"pattern": _ISO_DAY.pattern, "format": "date"}}


def _caller(request: Request, principal: Principal) -> service.Caller:
    limit = runtime_of(request).settings.access_unknown_codes_per_minute
    return service.Caller(principal.tenant_id, principal.key_id, limit)


def _too_many(wait: int) -> JSONResponse:
    error = RateLimited(f"too many unknown codes from this key at this site: retry in {wait} s")
    return JSONResponse(from_error(error), 429, {"Retry-After": str(wait)}, PROBLEM_MEDIA_TYPE)


# Sites


@router.post("/sites", status_code=201, response_model=SiteRead, responses=_WRITE, summary="Create site")
async def create_site(
    body: SiteCreate, request: Request, principal: Principal = Depends(require("access:write"))
) -> SiteRead:
    tenant_id, timezone = principal.tenant_id, principal.tenant_timezone
    return await runtime_of(request).writes.run(
        lambda session: service.create_site(session, tenant_id, timezone, body, utcnow())
    )


@router.get("/sites", response_model=SitePage, responses=responses(401, 403, 422), summary="List sites")
def list_sites(
    page: Page = 1,
    limit: Limit = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("access:read")),
) -> SitePage:
    return reads.list_sites(session, principal.tenant_id, page, limit)


@router.get("/sites/{site_id}", response_model=SiteRead, responses=_READ, summary="Get site")
def get_site(
    site_id: str, session: Session = Depends(read_session), principal: Principal = Depends(require("access:read"))
) -> SiteRead:
    return reads.site_read(reads.site_or_404(session, principal.tenant_id, site_id))


@router.patch("/sites/{site_id}", response_model=SiteRead, responses=_WRITE, summary="Update site")
async def update_site(
    site_id: str, body: SiteUpdate, request: Request, principal: Principal = Depends(require("access:write"))
) -> SiteRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.update_site(session, tenant_id, site_id, body, utcnow())
    )


# Access codes


@router.post(
    "/access-codes", status_code=201, response_model=AccessCodeRead, responses=_WRITE, summary="Create access code"
)
async def create_access_code(
    body: CreateAccessCodeRequest, request: Request, principal: Principal = Depends(require("access:write"))
) -> AccessCodeRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(lambda session: service.create_code(session, tenant_id, body, utcnow()))


@router.get("/access-codes", response_model=AccessCodePage, responses=_LIST, summary="List access codes")
def list_access_codes(
    site_id: str | None = None,
    status: CodeStatus | None = None,
    visitor: Annotated[str | None, Query(description="Part of the name, or the phone or reference exactly")] = None,
    page: Page = 1,
    limit: Limit = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("access:read")),
) -> AccessCodePage:
    if site_id is not None:
        reads.site_or_404(session, principal.tenant_id, site_id, "site_id")
    return reads.list_codes(
        session,
        principal.tenant_id,
        site_id=site_id,
        status=status,
        visitor=visitor,
        page=page,
        limit=limit,
        now=utcnow(),
    )


@router.post(
    "/access-codes/validate",
    response_model=ValidationResult,
    responses={**_WRITE, **_THROTTLED},
    summary="Validate an access code at the gate (uses nothing)",
)
async def validate_access_code(
    body: ValidateRequest, request: Request, principal: Principal = Depends(require("access:read"))
) -> Any:
    caller = _caller(request, principal)
    outcome = await runtime_of(request).writes.run(lambda session: service.validate(session, caller, body, utcnow()))
    if outcome.retry_after is not None:
        return _too_many(outcome.retry_after)
    return outcome.result


@router.get(
    "/access-codes/{code_id:access_code_id}", response_model=AccessCodeRead, responses=_READ, summary="Get access code"
)
def get_access_code(
    code_id: str, session: Session = Depends(read_session), principal: Principal = Depends(require("access:read"))
) -> AccessCodeRead:
    return reads.read_code(session, principal.tenant_id, code_id, utcnow())


@router.post(
    "/access-codes/{code_id:access_code_id}/revoke",
    response_model=AccessCodeRead,
    responses=_WRITE,
    summary="Revoke access code",
)
async def revoke_access_code(
    code_id: str,
    request: Request,
    body: RevokeRequest | None = None,
    principal: Principal = Depends(require("access:write")),
) -> AccessCodeRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.revoke_code(session, tenant_id, code_id, body, utcnow())
    )


# Access logs


@router.post(
    "/access-logs",
    status_code=201,
    response_model=AccessLogRead,
    responses={**_WRITE, **_THROTTLED},
    summary="Create access log (check a visitor in)",
)
async def create_access_log(
    body: AccessLogCreate, request: Request, principal: Principal = Depends(require("access:write"))
) -> Any:
    caller = _caller(request, principal)
    outcome = await runtime_of(request).writes.run(lambda session: service.check_in(session, caller, body, utcnow()))
    if outcome.retry_after is not None:
        return _too_many(outcome.retry_after)
    if outcome.denied is not None:
        field = "token" if body.token is not None else "code"
        raise Conflict(
            f"access denied: {outcome.denied} ({MESSAGES[outcome.denied]}); "
            f"kept in the access log as {outcome.log.access_log_id}",
            [FieldError(field, outcome.denied)],
        )
    return outcome.log


@router.get("/access-logs", response_model=AccessLogPage, responses=_LIST, summary="List access logs")
def list_access_logs(
    site_id: str | None = None,
    from_date: Annotated[QueryTime | None, Query(description="at or after (UTC if no offset)", **_TIME_DOC)] = None,
    to_date: Annotated[QueryTime | None, Query(description="at or before (UTC if no offset)", **_TIME_DOC)] = None,
    status: LogStatus | None = None,
    visitor: Annotated[str | None, Query(description="Part of the name, or the phone or reference exactly")] = None,
    host: Annotated[str | None, Query(description="Part of the host's name")] = None,
    page: Page = 1,
    limit: Limit = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("access:read")),
) -> AccessLogPage:
    start, end = query_utc("from_date", from_date), query_utc("to_date", to_date)
    if start is not None and end is not None and start > end:
        raise Invalid("from_date is after to_date", [FieldError("from_date", "must not be after to_date")])
    filters = LogFilter(
        site_id=site_id, occurred_from=start, occurred_to=end, status=status, visitor=visitor, host=host
    )
    return reads.list_logs(session, principal.tenant_id, filters, page, limit)


@router.get("/access-logs/current", response_model=CurrentVisitorPage, responses=_LIST, summary="Get current visitors")
def current_visitors(
    site_id: str | None = None,
    page: Page = 1,
    limit: Limit = 20,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("access:read")),
) -> CurrentVisitorPage:
    return reads.current_visitors(session, principal.tenant_id, site_id, page, limit, utcnow())


@router.get("/access-logs/stats", response_model=AccessStats, responses=_LIST, summary="Access log stats")
def access_stats(
    site_id: str,
    from_date: Annotated[
        QueryDay | None, Query(description="First local day (default: 6 days before to_date)", **_DAY_DOC)
    ] = None,
    to_date: Annotated[
        QueryDay | None, Query(description="Last local day, included (default: today)", **_DAY_DOC)
    ] = None,
    session: Session = Depends(read_session),
    principal: Principal = Depends(require("access:read")),
) -> AccessStats:
    return reads.stats(session, principal.tenant_id, site_id, from_date, to_date, utcnow())


@router.get("/access-logs/{log_id}", response_model=AccessLogRead, responses=_READ, summary="Get access log")
def get_access_log(
    log_id: str, session: Session = Depends(read_session), principal: Principal = Depends(require("access:read"))
) -> AccessLogRead:
    return reads.read_log(session, principal.tenant_id, log_id)


@router.patch(
    "/access-logs/{log_id}/checkout", response_model=AccessLogRead, responses=_WRITE, summary="Checkout visitor"
)
async def checkout_visitor(
    log_id: str,
    request: Request,
    body: CheckoutRequest | None = None,
    principal: Principal = Depends(require("access:write")),
) -> AccessLogRead:
    tenant_id = principal.tenant_id
    return await runtime_of(request).writes.run(
        lambda session: service.check_out(session, tenant_id, log_id, body, utcnow())
    )
