"""HTTP routes of the DevRev door: `/incidents.*`, GET and POST forms, DevRev's errors.

Bodies are parsed here (not by FastAPI) so that every failure is DevRev-shaped: unparseable JSON is
`parse_error`, a missing member `missing_required_field`, a wrong one `invalid_field`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from incidenthub.adapters.devrev import listing, service, wire
from incidenthub.adapters.devrev.errors import DevRevError, DevRevErrorBody, bad_request, from_validation, invalid_field
from incidenthub.adapters.devrev.query import check_known, query_to_body
from incidenthub.adapters.devrev.schemas import (
    GROUPABLE,
    IdRequest,
    IncidentsCreateRequest,
    IncidentsGroupRequest,
    IncidentsListRequest,
    IncidentsUpdateRequest,
    list_limits,
)
from incidenthub.adapters.devrev.service import Caller
from incidenthub.auth.dependencies import authenticated
from incidenthub.auth.service import Principal
from incidenthub.db import is_unstorable_value
from incidenthub.openapi_bodies import json_body, query
from incidenthub.runtime import runtime_of

router = APIRouter(tags=["devrev"])
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": DevRevErrorBody, "description": text}
    for status, text in {
        400: "bad_request, parse_error, missing_required_field, invalid_field, value_not_permitted, "
        "customization_validation_error",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
    }.items()
}


async def reader(principal: Principal = Depends(authenticated)) -> Caller:
    principal.require("incidents:read")
    return Caller(principal.tenant_id, principal.tenant_slug, principal.key_id)


async def writer(principal: Principal = Depends(authenticated)) -> Caller:
    principal.require("incidents:write")
    return Caller(principal.tenant_id, principal.tenant_slug, principal.key_id)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = wire.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DevRevError(400, "parse_error", f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object")
    return data


def _parse(model: type[M], data: dict[str, Any]) -> M:
    # A list over its own limit is refused first, by that limit, without reading its items.
    for name, limit in list_limits(model).items():
        value = data.get(name)
        if isinstance(value, list) and len(value) > limit:
            raise invalid_field(name, f"{name}: List should have at most {limit} items, not {len(value)}")
    try:
        wire.check_values(data)
    except wire.InputError as exc:
        raise invalid_field(exc.path or "body", f"{exc.path or 'body'}: {exc.message}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc) from None


async def _read(request: Request, work: Callable[[Session], T]) -> T:
    def run() -> T:
        with runtime_of(request).database.read_sessions() as session:
            return work(session)

    try:
        return await run_in_threadpool(run)
    except Exception as error:
        if is_unstorable_value(error):
            # Parsing refuses what it knows; whatever else the database cannot compare is still the client's.
            raise bad_request("a value of the request cannot be compared with stored data") from error
        raise


@router.post(
    "/incidents.create",
    status_code=201,
    responses=_ERRORS,
    summary="Create incident (DevRev)",
    openapi_extra=json_body(IncidentsCreateRequest),
)
async def create(request: Request, caller: Caller = Depends(writer)) -> JSONResponse:
    data = await _json_body(request)
    body = _parse(IncidentsCreateRequest, data)
    result = await runtime_of(request).writes.run_batched(service.CREATE, service.Create(caller, body, data))
    return JSONResponse(result, status_code=201)


@router.get(
    "/incidents.get",
    responses=_ERRORS,
    summary="Get incident (DevRev)",
    openapi_extra=query(("id", {"type": "string", "minLength": 1}, True)),
)
async def get(request: Request, caller: Caller = Depends(reader)) -> JSONResponse:
    check_known(request.query_params.multi_items(), frozenset({"id"}))
    body = _parse(IdRequest, dict(request.query_params))
    return JSONResponse(await _read(request, lambda session: service.get(session, caller, body.id)))


@router.post(
    "/incidents.get", responses=_ERRORS, summary="Get incident (DevRev, POST)", openapi_extra=json_body(IdRequest)
)
async def get_post(request: Request, caller: Caller = Depends(reader)) -> JSONResponse:
    body = _parse(IdRequest, await _json_body(request))
    return JSONResponse(await _read(request, lambda session: service.get(session, caller, body.id)))


@router.get("/incidents.list", responses=_ERRORS, summary="List incidents (DevRev)")
async def list_(request: Request, caller: Caller = Depends(reader)) -> JSONResponse:
    body = _parse(IncidentsListRequest, query_to_body(request.query_params.multi_items()))
    return JSONResponse(await _read(request, lambda session: listing.list_incidents(session, caller, body)))


@router.post(
    "/incidents.list",
    responses=_ERRORS,
    summary="List incidents (DevRev, POST)",
    openapi_extra=json_body(IncidentsListRequest, required=False),
)
async def list_post(request: Request, caller: Caller = Depends(reader)) -> JSONResponse:
    body = _parse(IncidentsListRequest, await _json_body(request))
    return JSONResponse(await _read(request, lambda session: listing.list_incidents(session, caller, body)))


@router.post(
    "/incidents.update",
    responses=_ERRORS,
    summary="Update incident (DevRev)",
    openapi_extra=json_body(IncidentsUpdateRequest),
)
async def update(request: Request, caller: Caller = Depends(writer)) -> JSONResponse:
    data = await _json_body(request)
    body = _parse(IncidentsUpdateRequest, data)
    return JSONResponse(
        await runtime_of(request).writes.run(lambda session: service.update(session, caller, body, data))
    )


@router.post(
    "/incidents.delete", responses=_ERRORS, summary="Delete incident (DevRev)", openapi_extra=json_body(IdRequest)
)
async def delete(request: Request, caller: Caller = Depends(writer)) -> JSONResponse:
    body = _parse(IdRequest, await _json_body(request))
    return JSONResponse(await runtime_of(request).writes.run(lambda session: service.delete(session, caller, body.id)))


@router.get(
    "/incidents.group",
    responses=_ERRORS,
    summary="Group incidents (DevRev)",
    openapi_extra=query(("group_by", {"type": "string", "enum": list(GROUPABLE)}, True)),
)
async def group(request: Request, caller: Caller = Depends(reader)) -> JSONResponse:
    body = _parse(IncidentsGroupRequest, query_to_body(request.query_params.multi_items(), group=True))
    return JSONResponse(await _read(request, lambda session: listing.group_incidents(session, caller, body)))


@router.post(
    "/incidents.group",
    responses=_ERRORS,
    summary="Group incidents (DevRev, POST)",
    openapi_extra=json_body(IncidentsGroupRequest),
)
async def group_post(request: Request, caller: Caller = Depends(reader)) -> JSONResponse:
    body = _parse(IncidentsGroupRequest, await _json_body(request))
    return JSONResponse(await _read(request, lambda session: listing.group_incidents(session, caller, body)))
