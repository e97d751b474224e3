"""The application factory: routers, error handlers, body limit, lifespan."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from incidenthub import __version__, docs_assets, openapi
from incidenthub.access.router import router as access_router
from incidenthub.adapters import ErrorDoc, doors, push_renderers
from incidenthub.analytics.month_counts import Recounter
from incidenthub.analytics.router import router as analytics_router
from incidenthub.analytics.sety_router import router as sety_analytics_router
from incidenthub.audit import context as audit_context
from incidenthub.audit import trail
from incidenthub.audit.router import router as audit_router
from incidenthub.auth import limits
from incidenthub.auth.router import router as api_keys_router
from incidenthub.board.router import router as board_router
from incidenthub.clock import iso_utc, utcnow
from incidenthub.config import Settings, get_settings
from incidenthub.db import DOOR, Database, WritePath
from incidenthub.dispatch.router import router as dispatch_router
from incidenthub.errors import (
    AppError,
    ErrorAnswer,
    ErrorRenderer,
    FieldError,
    HttpError,
    InternalError,
    Invalid,
    MalformedRequest,
    UnsupportedMediaType,
)
from incidenthub.http_log import RequestLog, route_template
from incidenthub.incidents import batch
from incidenthub.incidents.router import router as incidents_router
from incidenthub.inputs import unstorable
from incidenthub.intel.router import places_router
from incidenthub.intel.router import router as intel_router
from incidenthub.live.hub import Hub
from incidenthub.live.router import router as live_router
from incidenthub.problems import PROBLEM_MEDIA_TYPE, from_error
from incidenthub.recordings.router import router as recordings_router
from incidenthub.runtime import Runtime, runtime_of
from incidenthub.webhooks.router import router as webhooks_router
from incidenthub.webhooks.worker import Worker

log = logging.getLogger(__name__)


def render_problem(_path: str, error: AppError) -> ErrorAnswer:
    """The default error format: RFC 9457 problem+json with Sety's members."""
    return ErrorAnswer(error.status_code, from_error(error), PROBLEM_MEDIA_TYPE)


def render_bad_request(path: str, error: AppError) -> ErrorAnswer:
    """Threat intelligence's format: problem+json, with a query that fails validation answered 400 (as Sety
    documents for bad coordinates, ranges and shapes), naming the parameter."""
    if isinstance(error, Invalid):
        error = AppError(error.detail, error.errors)
    return render_problem(path, error)


INTEL_ERRORS = ErrorDoc(validation_status=400)


def respond(answer: ErrorAnswer) -> Response:
    """A door's error answer as an HTTP response."""
    if isinstance(answer.body, str):
        return PlainTextResponse(answer.body, answer.status, answer.headers, answer.media_type)
    return JSONResponse(answer.body, answer.status, answer.headers, answer.media_type)


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


def validation_error(error: RequestValidationError) -> AppError:
    """FastAPI's request validation failure as the AppError a door renders."""
    items = list(error.errors())
    for item in items:
        if item.get("type") == "json_invalid":
            detail = f"the request body is not valid JSON: {item.get('ctx', {}).get('error', 'parse error')}"
            return MalformedRequest(detail, [FieldError("body", detail)])
    if any(tuple(item.get("loc", ())) == ("body",) and isinstance(item.get("input"), bytes) for item in items):
        detail = "the request body must be JSON: send `Content-Type: application/json`"
        return UnsupportedMediaType(detail, [FieldError("body", detail)])
    fields = [
        # A value no database can store is found inside the body; its own path names the field.
        FieldError(item["ctx"]["field"], item["ctx"]["reason"])
        if item.get("type") == "unstorable"
        else FieldError(
            _field_path(tuple(item.get("loc", ()))),
            str(item.get("msg", "invalid")).removeprefix("Value error, "),
        )
        for item in items
    ]
    return Invalid("; ".join(f"{f.field}: {f.message}" for f in fields), fields)


def _printable(value: Any) -> Any:
    """What a client sent, echoed in an error, with lone surrogates spelt as escapes: no encoder can write them."""
    if isinstance(value, str):
        return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, FieldError):
        return FieldError(_printable(value.field), _printable(value.message))
    if isinstance(value, list):
        return [_printable(item) for item in value]
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    return value


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            # Raised inside the app, where the door's own error format renders it.
            async def refuse() -> Message:
                raise StarletteHTTPException(413, f"request body is larger than {self.limit} bytes")

            await self.app(scope, refuse, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise StarletteHTTPException(413, f"request body is larger than {self.limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, scope: Scope) -> str:
    """The methods some route answers at this request's path, for a 405's `Allow`."""
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in app.router.routes)
    ]
    return ", ".join(allowed)


def refuse_nul_in_url(request: Request) -> None:
    """No id or filter holds a NUL character, and databases refuse them: a clear 400 in the door's format."""
    if "\x00" in request.url.path or b"%00" in request.scope.get("query_string", b""):
        message = "NUL characters are not allowed in the URL"
        raise MalformedRequest(message, [FieldError("url", message)])


async def refuse_unstorable_body(request: Request) -> None:
    """A JSON body holding what no database can store (a NUL, a lone surrogate, NaN, nesting past the limit):
    refused naming the field, the same on every database, before anything is looked up or stored."""
    body = await request.body()
    if not body:
        return
    try:
        data = await request.json()  # already parsed (and cached) by FastAPI for a route with a body model
    except (ValueError, RecursionError):
        return  # not JSON: the route's own body validation says so
    bad = unstorable(data)
    if bad:
        raise Invalid(f"{bad[0]}: {bad[1]}", [FieldError(*bad)])


async def _fields_sent(request: Request) -> tuple[str, ...]:
    """The top-level field names of a PATCH or PUT body (never their values): what the audit trail says a write
    changed when it changed no incident. The body is read once and kept for the route."""
    if request.method not in ("PATCH", "PUT"):
        return ()
    try:
        data = await request.json()
    except (ValueError, RecursionError, ClientDisconnect):
        return ()
    if not isinstance(data, dict):
        return ()
    return tuple(str(name)[:64] for name in list(data)[:50])


def entered_by(door: str) -> Any:
    """A route dependency naming the door (govworx, sonoran, devrev, native) its writes' events came through."""

    async def enter(request: Request) -> None:
        # async: set in the request's own context, which its writes are queued from
        DOOR.set(door)
        client = request.client
        ids = tuple(
            (name, str(value)[:256]) for name, value in request.path_params.items() if name.lower().endswith("id")
        )
        audit_context.enter_request(
            client.host if client else None,
            request.method,
            route_template(request.scope),
            ids,
            await _fields_sent(request),
        )

    return Depends(enter)


def register_writes(writes: WritePath) -> None:
    """The set-based writes of every door, and the audit trail recorded with every write."""
    writes.register(batch.UPSERT, batch.upsert_many, lambda _upsert, written: [written.result.incident_id])
    for door in doors():
        touched = dict(door.touched)
        for kind, apply in door.batched:
            writes.register(kind, apply, touched.get(kind))
    writes.recorder = trail.record


def create_app(settings: Settings | None = None) -> FastAPI:
    """The incidenthub ASGI application for these settings."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.database_url)
        writes = WritePath(database, settings.write_batch_max)
        register_writes(writes)
        writes.start()
        # Rate-limit counters: short transactions of their own, never inside an incident write's.
        counters_database = limits.counters_database(settings.database_url)
        counters = WritePath(counters_database, settings.write_batch_max)
        counters.register(limits.ADMIT, limits.admit_many)
        counters.register(limits.FAIL, limits.fail_many)
        counters.start()
        # Webhook deliveries, on engines of their own (on SQLite one process's worker runs; the others wait).
        webhooks = (
            Worker(Database(settings.database_url), settings, push_renderers()) if settings.webhook_worker else None
        )
        if webhooks is not None:
            webhooks.start()
        recounter = (
            Recounter(Database(settings.database_url), settings.analytics_recount_seconds)
            if settings.webhook_worker and settings.analytics_recount_seconds > 0
            else None
        )
        if recounter is not None:
            recounter.start()
        app.state.runtime = Runtime(settings=settings, database=database, writes=writes, counters=counters)
        app.state.live = Hub(database, settings.stream_poll_seconds)
        try:
            yield
        finally:
            # Requests in flight are done (or were cut at the graceful bound): the queued writes are committed
            # and the threads stopped within `shutdown_timeout_seconds`, so the process exits within its bound.
            deadline = time.monotonic() + settings.shutdown_timeout_seconds
            await app.state.live.close()
            if webhooks is not None:
                webhooks.request_stop()
            if recounter is not None:
                recounter.request_stop()
            # The writes first: a thread that is only waiting is not worth a write left uncommitted.
            drained = await asyncio.to_thread(writes.stop, settings.shutdown_timeout_seconds)
            if not drained:
                log.error(
                    "writes still running %.0f s after shutdown began: exiting without them (rolled back, unanswered)",
                    settings.shutdown_timeout_seconds,
                )
            for name, stop in (("webhook worker", webhooks), ("month recounter", recounter)):
                if stop is not None and not await asyncio.to_thread(stop.stop, max(0.0, deadline - time.monotonic())):
                    log.warning("%s still busy at the shutdown bound: left to the process's exit", name)
                elif stop is not None:
                    stop.database.dispose()
            # The request counters hold nothing a caller waits for: whatever is left of the bound.
            if counters.stop(max(0.0, deadline - time.monotonic())):
                counters_database.dispose()
            if drained:
                database.dispose()

    app = FastAPI(
        title="incidenthub",
        version=__version__,
        summary="Incidents in the wire formats of the systems people already run, kept as one canonical record.",
        description=(
            "The native API is Sety-shaped and mounted at `/v1` and again at `/v1/external` (Sety's base path). "
            "Authenticate with `Authorization: Bearer <key>`. Errors are RFC 9457 problem documents "
            "(`application/problem+json`) that also carry Sety's `code` and `message` members."
        ),
        lifespan=lifespan,
        # /docs and /redoc load nothing from the internet: docs_assets serves their scripts.
        docs_url=None,
        redoc_url=None,
    )
    docs_assets.install(app)

    # Each route's error format, by its endpoint (the routing sets it in the scope, also for a 405);
    # a path no route matched, by the namespace a door claims.
    renderers: dict[Callable[..., Any], ErrorRenderer] = {}
    namespaces: list[tuple[str, ErrorRenderer]] = []
    error_docs: dict[tuple[str, str], ErrorDoc] = {}

    def render(request: Request, error: AppError) -> Response:
        for name, value in vars(error).items():
            setattr(error, name, _printable(value))
        endpoint = request.scope.get("endpoint")
        if endpoint is not None:
            renderer = renderers.get(endpoint, render_problem)
        else:
            path = request.url.path
            renderer = next((r for prefix, r in namespaces if path.startswith(prefix)), render_problem)
        return respond(renderer(request.url.path, error))

    @app.exception_handler(AppError)
    async def _app_error(request: Request, error: AppError) -> Response:
        return render(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        return render(request, validation_error(error))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        response = render(request, HttpError(error.status_code, str(error.detail)))
        if error.headers:
            response.headers.update(error.headers)
        if error.status_code == 405:
            # Every method the path answers, not only those of the one route that matched it.
            response.headers["Allow"] = allowed_methods(app, request.scope)
        return response

    @app.exception_handler(ClientDisconnect)
    async def _gone(_request: Request, _error: ClientDisconnect) -> Response:
        # The client hung up while sending its body: nothing was written and no one is left to answer.
        log.info("client disconnected before its request body arrived")
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error", exc_info=error)
        response = render(request, InternalError("an unexpected error occurred"))
        # The server drops the connection after an unhandled error: say so, so the client opens a new one.
        response.headers["Connection"] = "close"
        return response

    @app.get("/v1/health", tags=["health"], summary="Health check")
    @app.get("/v1/external/health", include_in_schema=False)
    def health(request: Request) -> JSONResponse:
        database_ok = True
        try:
            with runtime_of(request).database.read_engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database does not answer")
            database_ok = False
        body = {
            "status": "ok" if database_ok else "degraded",
            "api_version": "v1",
            "timestamp": iso_utc(utcnow()),
            "database": "ok" if database_ok else "unreachable",
        }
        return JSONResponse(body, status_code=200 if database_ok else 503)

    app.include_router(board_router)  # the live dispatch board: static files; its calls carry the key

    # Doors that read ids and filters from the URL (DevRev checks its own, naming each parameter).
    url_checks = [Depends(refuse_nul_in_url)]
    # Doors whose models take JSON as it comes (GovWorx, native incidents and DevRev check their own bodies).
    body_checks = [*url_checks, Depends(refuse_unstorable_body)]
    native = [entered_by("native")]
    app.include_router(incidents_router, prefix="/v1", dependencies=[*native, *url_checks])
    app.include_router(
        incidents_router, prefix="/v1/external", include_in_schema=False, dependencies=[*native, *url_checks]
    )
    app.include_router(live_router, prefix="/v1", dependencies=[*native, *url_checks])
    app.include_router(audit_router, prefix="/v1", dependencies=[*native, *url_checks])
    app.include_router(live_router, prefix="/v1/external", include_in_schema=False, dependencies=[*native, *url_checks])
    app.include_router(recordings_router, prefix="/v1", dependencies=[*native, *body_checks])
    app.include_router(dispatch_router, prefix="/v1", dependencies=[*native, *body_checks])
    app.include_router(access_router, prefix="/v1", dependencies=[*native, *body_checks])
    app.include_router(
        access_router, prefix="/v1/external", include_in_schema=False, dependencies=[*native, *body_checks]
    )
    app.include_router(webhooks_router, prefix="/v1", dependencies=[*native, *body_checks])
    for prefix in ("/v1", "/v1/external"):
        app.include_router(
            api_keys_router, prefix=prefix, include_in_schema=prefix == "/v1", dependencies=[*native, *body_checks]
        )
    for prefix in ("/v1", "/v1/external"):
        app.include_router(
            intel_router, prefix=prefix, include_in_schema=prefix == "/v1", dependencies=[*native, *body_checks]
        )
        app.include_router(  # safe places: native writes, a bad body is 422 naming the field
            places_router, prefix=prefix, include_in_schema=prefix == "/v1", dependencies=[*native, *body_checks]
        )
    error_docs.update(openapi.operations("/v1", intel_router, INTEL_ERRORS))
    renderers.update({route.endpoint: render_bad_request for route in intel_router.routes})  # type: ignore[attr-defined]
    for prefix in ("/v1", "/v1/external"):
        app.include_router(
            analytics_router, prefix=prefix, include_in_schema=prefix == "/v1", dependencies=[*native, *url_checks]
        )
        app.include_router(
            sety_analytics_router,
            prefix=prefix,
            include_in_schema=prefix == "/v1",
            dependencies=[*native, *url_checks],
        )
    error_docs.update(openapi.operations("/v1", analytics_router, INTEL_ERRORS))
    renderers.update({route.endpoint: render_bad_request for route in analytics_router.routes})  # type: ignore[attr-defined]
    app.include_router(
        webhooks_router, prefix="/v1/external", include_in_schema=False, dependencies=[*native, *body_checks]
    )
    for door in doors():
        for mount in door.mounts:
            checks = body_checks if mount.body_checks else url_checks if mount.url_checks else []
            app.include_router(
                mount.router,
                prefix=mount.prefix,
                include_in_schema=mount.in_schema,
                dependencies=[entered_by(door.name.split("-")[0]), *checks],
            )
            error_docs.update(openapi.operations(mount.prefix, mount.router, door.errors))
            if door.render is not None:
                renderers.update({route.endpoint: door.render for route in mount.router.routes})  # type: ignore[attr-defined]
        if door.render is not None:
            namespaces.extend((prefix, door.render) for prefix in door.namespace)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(limits.RateLimitHeaders)  # X-RateLimit-* on every authenticated answer
    app.add_middleware(RequestLog)  # outermost: times and names every request

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi.build(
                title=app.title,
                version=app.version,
                summary=app.summary or "",
                description=app.description,
                routes=app.routes,
                errors_by_operation=error_docs,
            )
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
    return app
