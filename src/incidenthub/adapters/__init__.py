"""The doors: each vendor's wire format in a folder of its own, and the registry that mounts them.

A door is `adapters/<door>/`: `router.py` (HTTP), `schemas.py` (wire models), `mapping.py` (pure
vendor <-> canonical), `service.py` (commands to the incidents and dispatch services), `repository.py`
(the door's own tables, if any) and `errors.py` (its error format, if it has one). Sonoran has two
generations, so its router and schemas come in `_v1`/`_v2` pairs. `ARCHITECTURE.md` has the checklist.

`DOORS` binds each door's routes to its error renderer: an error raised by a route is answered in the
format of the door that owns the route, whatever its URL looks like; a path that no route matches
is answered in the format of the door whose namespace it is in (an unknown DevRev operation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from incidenthub.errors import ErrorRenderer
from incidenthub.problems import PROBLEM_MEDIA_TYPE, Problem


@dataclass(frozen=True)
class Mount:
    """One router of a door, where it is mounted."""

    router: APIRouter
    prefix: str = ""
    in_schema: bool = True
    # Refuse a NUL in the path or query with a 400 before the route runs (a door that names each
    # parameter itself, or reads its ids from the body, opts out).
    url_checks: bool = True
    # Also refuse a parsed JSON body holding what no database stores (NUL, lone surrogates, deep
    # nesting) with a 4xx naming the field, for routes whose models do not check it themselves.
    body_checks: bool = False


@dataclass(frozen=True)
class ErrorDoc:
    """How the OpenAPI document describes a door's errors (`incidenthub.openapi` adds them to each operation)."""

    body: type[BaseModel] | None = Problem  # None: a plain text body
    media_type: str = PROBLEM_MEDIA_TYPE
    # The status a request that fails validation gets (Sonoran and DevRev answer 400, not 422).
    validation_status: int = 422
    # Statuses the door's renderer collapses every client error into (Sonoran v1: all are 400).
    only: tuple[int, ...] | None = None
    # The body of its 429 when it differs from its other errors' (Sonoran v2 answers `{message, request_id}`).
    limited_body: type[BaseModel] | None = None


NATIVE_ERRORS = ErrorDoc()


@dataclass(frozen=True)
class Door:
    name: str
    mounts: tuple[Mount, ...]
    # None: the native problem+json format.
    render: ErrorRenderer | None = None
    # Paths no route matches (an unknown operation: 404) are answered in this door's format when
    # they start with one of these.
    namespace: tuple[str, ...] = ()
    errors: ErrorDoc = NATIVE_ERRORS
    # Set-based writes the door hands the WritePath (`writes.run_batched(kind, payload)`): kind -> the
    # function that applies a batch of payloads in one transaction.
    batched: tuple[tuple[str, Callable[[Session, list[Any]], list[Any]]], ...] = ()
    # kind -> what one payload's write touched (incident ids or source ids), from the payload and its result:
    # the audit trail gives each write of a batch its own changes by it (db.WritePath.register).
    touched: tuple[tuple[str, Callable[[Any, Any], list[str]]], ...] = ()


def doors() -> tuple[Door, ...]:
    """Every vendor door, in the order its routes are mounted.

    Imported when the app is built, not with this package, so a door's pure modules (mapping, bulk
    import) load without every router.
    """
    from incidenthub.adapters.devrev import router as devrev
    from incidenthub.adapters.devrev import router_settings as devrev_settings
    from incidenthub.adapters.devrev import service as devrev_service
    from incidenthub.adapters.devrev.errors import DevRevErrorBody, render_devrev
    from incidenthub.adapters.eido import router as eido
    from incidenthub.adapters.govworx import router as govworx
    from incidenthub.adapters.sonoran import intake as sonoran_intake
    from incidenthub.adapters.sonoran import router_v1 as sonoran_v1
    from incidenthub.adapters.sonoran import router_v2 as sonoran_v2
    from incidenthub.adapters.sonoran.errors import V2Problem, V2RateLimited, render_v1, render_v2

    v1_errors = ErrorDoc(None, "text/plain", 400, only=(400, 405, 429, 500))
    v2_errors = ErrorDoc(V2Problem, PROBLEM_MEDIA_TYPE, 400, limited_body=V2RateLimited)
    devrev_errors = ErrorDoc(DevRevErrorBody, "application/json", 400)
    return (
        Door("govworx", (Mount(govworx.router),)),
        Door(
            "sonoran-v1",
            (Mount(sonoran_v1.router, url_checks=False),),
            render_v1,
            ("/emergency/", "/general/"),
            v1_errors,
        ),
        Door(
            "sonoran-v2",
            (Mount(sonoran_v2.router, body_checks=True),),
            render_v2,
            ("/v2/emergency/", "/v2/general/"),
            v2_errors,
            # v1 new_dispatch and v2 POST dispatch-calls both hand their calls to this one batched kind.
            batched=((sonoran_intake.NEW_CALLS, sonoran_intake.new_calls),),
            touched=((sonoran_intake.NEW_CALLS, lambda _calls, created: [str(c.call_id) for c in created]),),
        ),
        Door(
            "devrev",
            (Mount(devrev.router, url_checks=False),),
            render_devrev,
            ("/incidents.",),
            devrev_errors,
            batched=((devrev_service.CREATE, devrev_service.create_many),),
            touched=((devrev_service.CREATE, lambda _create, answer: [answer["incident"]["id"]]),),
        ),
        # DevRev's settings (stages, custom fields) are managed through the native API, in its format.
        Door("devrev-settings", (Mount(devrev_settings.router, prefix="/v1", body_checks=True),)),
        # NENA EIDO: native problem+json errors naming JSON pointers; the import checks its own body.
        Door(
            "eido",
            (
                Mount(eido.router, prefix="/v1"),
                Mount(eido.router, prefix="/v1/external", in_schema=False),
                Mount(eido.dereference),
            ),
        ),
    )


def push_renderers() -> dict[str, Callable[..., Any]]:
    """The bodies of webhook endpoint kinds a door speaks (kind -> (session, event, key) -> body or None)."""
    from incidenthub.adapters.sonoran import push as sonoran_push

    return {"sonoran": sonoran_push.render}
