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

from dataclasses import dataclass

from fastapi import APIRouter

from incidenthub.errors import ErrorRenderer


@dataclass(frozen=True)
class Mount:
    """One router of a door, where it is mounted."""

    router: APIRouter
    prefix: str = ""
    in_schema: bool = True
    # Refuse a NUL in the path or query with a 400 before the route runs (a door that names each
    # parameter itself, or reads its ids from the body, opts out).
    url_checks: bool = True


@dataclass(frozen=True)
class Door:
    name: str
    mounts: tuple[Mount, ...]
    # None: the native problem+json format.
    render: ErrorRenderer | None = None
    # Paths no route matches (an unknown operation: 404) are answered in this door's format when
    # they start with one of these.
    namespace: tuple[str, ...] = ()


def doors() -> tuple[Door, ...]:
    """Every vendor door, in the order its routes are mounted.

    Imported when the app is built, not with this package, so a door's pure modules (mapping, bulk
    import) load without every router.
    """
    from incidenthub.adapters.devrev import router as devrev
    from incidenthub.adapters.devrev import router_settings as devrev_settings
    from incidenthub.adapters.devrev.errors import render_devrev
    from incidenthub.adapters.govworx import router as govworx
    from incidenthub.adapters.sonoran import router_v1 as sonoran_v1
    from incidenthub.adapters.sonoran import router_v2 as sonoran_v2
    from incidenthub.adapters.sonoran.errors import render_v1, render_v2

    return (
        Door("govworx", (Mount(govworx.router),)),
        Door("sonoran-v1", (Mount(sonoran_v1.router, url_checks=False),), render_v1, ("/emergency/", "/general/")),
        Door("sonoran-v2", (Mount(sonoran_v2.router),), render_v2, ("/v2/emergency/", "/v2/general/")),
        Door("devrev", (Mount(devrev.router, url_checks=False),), render_devrev, ("/incidents.",)),
        # DevRev's settings (stages, custom fields) are managed through the native API, in its format.
        Door("devrev-settings", (Mount(devrev_settings.router, prefix="/v1"),)),
    )
