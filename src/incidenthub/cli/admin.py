"""`incidenthub tenant`, `key` and `safety`, and `demo-data`: setting a deployment up and filling it."""

from __future__ import annotations

import time
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer

from incidenthub.auth import service as auth_service
from incidenthub.cli.common import err, fail, open_database, parse_time, print_json
from incidenthub.clock import as_utc, iso_utc
from incidenthub.config import get_settings
from incidenthub.errors import AppError, NotFound


class KeyEnvironment(StrEnum):
    live = "live"
    test = "test"


tenant_app = typer.Typer(help="Tenants (agencies, communities, organisations).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
safety_app = typer.Typer(help="The safety aggregates behind threat intelligence.", no_args_is_help=True)


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="Display name")],
    slug: Annotated[str | None, typer.Option(help="URL-safe id; defaults to the slugified name")] = None,
    timezone: Annotated[str, typer.Option(help="IANA timezone, e.g. America/Chicago")] = "UTC",
    sonoran_community_id: Annotated[str | None, typer.Option(help="Sonoran CAD community id")] = None,
) -> None:
    """Create a tenant and print it as JSON."""
    database = open_database()
    try:
        with database.transaction() as session:
            tenant = auth_service.create_tenant(session, name, slug, timezone, sonoran_community_id)
            view = auth_service.tenant_view(tenant)
    except AppError as error:
        raise fail(error) from None
    print_json(view)


@tenant_app.command("update")
def tenant_update(
    slug: Annotated[str, typer.Argument(help="The tenant's slug (`tenant list` shows them)")],
    name: Annotated[str | None, typer.Option(help="New display name")] = None,
    timezone: Annotated[str | None, typer.Option(help="New IANA timezone, e.g. America/Chicago")] = None,
    sonoran_community_id: Annotated[
        str | None, typer.Option(help="Sonoran CAD community id (unique; '' removes it)")
    ] = None,
    sonoran_push_url: Annotated[
        str | None, typer.Option(help="The game server's push URL (http://ip:port/sonorancad/event; '' removes it)")
    ] = None,
    sonoran_push_key: Annotated[str | None, typer.Option(help="The `key` each push event carries")] = None,
    safety_half_life_days: Annotated[
        float | None, typer.Option(help="Days for an incident's weight in the safety scores to halve (7 to 3650)")
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(
            help="Requests per minute each of the tenant's API keys may make (Sety's plans: 60, 300, 1000); "
            "0 returns to the server's default (INCIDENTHUB_RATE_LIMIT_PER_MINUTE)"
        ),
    ] = None,
) -> None:
    """Change a tenant's name, timezone, Sonoran community id, Sonoran push URL, safety half-life or rate limit;
    print it."""
    from incidenthub.auth.repository import TenantRepository
    from incidenthub.incidents import response_times, safety
    from incidenthub.webhooks import service as webhooks
    from incidenthub.webhooks import urls

    database = open_database()
    pushing = sonoran_push_url is not None or sonoran_push_key is not None
    try:
        with database.transaction() as session:
            found = TenantRepository(session).by_slug(slug)
            zone_before = found.timezone if found is not None else None
            others = pushing or safety_half_life_days is not None or rate_limit is not None
            if others and (name, timezone, sonoran_community_id) == (
                None,
                None,
                None,
            ):
                if found is None:
                    raise NotFound(f"no tenant with slug {slug!r}")
                tenant = found
            else:
                tenant = auth_service.update_tenant(session, slug, name, timezone, sonoran_community_id)
            if safety_half_life_days is not None:
                _set_half_life(tenant, safety_half_life_days)
            if rate_limit is not None:
                auth_service.set_rate_limit(tenant, rate_limit)
            if safety_half_life_days is not None or tenant.timezone != zone_before:
                # Decayed weights depend on the half-life and hours of the week on the timezone: all anew.
                session.flush()
                safety.rebuild(session, tenant.id)
            if tenant.timezone != zone_before:
                response_times.mark_tenant(session, tenant.id)  # the analytics' local months move too
            view = auth_service.tenant_view(tenant)
            if safety_half_life_days is not None:
                view["safety"] = tenant.settings[safety.SETTINGS_KEY]
            if pushing:
                allowed = urls.allowed_networks(get_settings().webhook_allowed_networks)
                push = webhooks.set_sonoran_push(session, tenant.id, sonoran_push_url, sonoran_push_key, allowed)
                view["sonoran_push_url"] = push.url if push is not None else None
    except AppError as error:
        raise fail(error) from None
    print_json(view)


def _set_half_life(tenant: Any, days: float) -> None:
    from incidenthub.errors import FieldError, Invalid
    from incidenthub.incidents import safety

    current = dict(tenant.settings or {})
    current[safety.SETTINGS_KEY] = {**(current.get(safety.SETTINGS_KEY) or {}), "half_life_days": days}
    try:
        safety.Settings.checked(tenant.timezone, current)
    except safety.SettingsError as error:
        message = f"--safety-half-life-days: {error}"
        raise Invalid(message, [FieldError("safety_half_life_days", str(error))]) from None
    tenant.settings = current


@safety_app.command("rebuild")
def safety_rebuild(tenant: Annotated[str, typer.Option(help="Tenant slug")]) -> None:
    """Recompute a tenant's safety aggregates from its incidents and print the counts as JSON."""
    from incidenthub.auth.repository import TenantRepository
    from incidenthub.incidents import safety
    from incidenthub.incidents.safety_repository import SafetyRepository

    started = time.monotonic()
    try:
        with open_database().transaction() as session:
            found = TenantRepository(session).by_slug(tenant)
            if found is None:
                raise NotFound(f"no tenant with slug {tenant!r}")
            safety.rebuild(session, found.id)
            counts = SafetyRepository(session).counts(found.id)
    except AppError as error:
        raise fail(error) from None
    print_json({"tenant": tenant, **counts, "seconds": round(time.monotonic() - started, 2)})


def demo_data(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    incidents: Annotated[int, typer.Option(min=1, help="How many incidents to generate")],
    city: Annotated[str, typer.Option(help="lagos or nyc")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="Spread over the last DAYS days")] = 365,
    seed: Annotated[int, typer.Option(help="The same seed (and --until) gives the same incidents")] = 1,
    until: Annotated[str | None, typer.Option(help="ISO 8601 end of the spread, with offset (default: now)")] = None,
) -> None:
    """Generate realistic synthetic incidents (GovWorx uploads through the write path) and print a summary."""
    from incidenthub.adapters.govworx import demo

    if city not in demo.CITIES:
        err.print(f"[red]error:[/red] --city must be one of {', '.join(demo.CITIES)}, not {city!r}", highlight=False)
        raise typer.Exit(code=2)
    end = parse_time("--until", until) or as_utc(datetime.now().astimezone())
    place = demo.CITIES[city]
    try:
        started = time.monotonic()

        def progress(done: int) -> None:
            if done % 100_000 < demo.BATCH and done < incidents:
                rate = done / max(time.monotonic() - started, 1e-6)
                err.print(f"demo-data: {done:,} of {incidents:,} ({rate:,.0f}/s)", highlight=False)

        summary = demo.write(open_database(), tenant, place, incidents, days, seed, end, on_batch=progress)
    except AppError as error:
        raise fail(error) from None
    total = summary.created + summary.unchanged
    print_json(
        {
            "tenant": tenant,
            "city": place.name,
            **vars(summary),
            "seconds": round(summary.seconds, 2),
            "per_second": round(total / summary.seconds, 1) if summary.seconds else None,
            "box": list(place.box),
            "hot_spots": [
                {"name": s.name, "lat": s.latitude, "lon": s.longitude, "spread_m": s.spread_m, "share": s.share}
                for s in place.hot_spots
            ],
        }
    )


@tenant_app.command("list")
def tenant_list() -> None:
    """Print every tenant, one JSON object per line."""
    from incidenthub.auth.repository import TenantRepository

    with open_database().read_sessions() as session:
        for tenant in TenantRepository(session).all():
            print_json(auth_service.tenant_view(tenant))


@key_app.command("create")
def key_create(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    scope: Annotated[list[str], typer.Option(help="A scope (repeat for more); '*' grants all")],
    name: Annotated[str | None, typer.Option(help="What the key is for")] = None,
    expires_at: Annotated[str | None, typer.Option(help="ISO 8601 expiry with offset")] = None,
    environment: Annotated[
        KeyEnvironment, typer.Option(help="live or test: the key starts ih_live_ or ih_test_ (a label only)")
    ] = KeyEnvironment.live,
) -> None:
    """Create an API key and print it once, as JSON."""
    expiry = parse_time("--expires-at", expires_at)
    database = open_database()
    try:
        with database.transaction() as session:
            view = auth_service.create_key(session, tenant, scope, name, expiry, environment.value).view()
    except AppError as error:
        raise fail(error) from None
    print_json(view)


@key_app.command("list")
def key_list(tenant: Annotated[str, typer.Option(help="Tenant slug")]) -> None:
    """Print a tenant's keys, newest first, one JSON object per line (never a secret)."""
    from incidenthub.auth.repository import TenantRepository

    try:
        with open_database().read_sessions() as session:
            found = TenantRepository(session).by_slug(tenant)
            if found is None:
                raise NotFound(f"no tenant with slug {tenant!r}")
            views = [auth_service.key_view(key) for key in auth_service.list_keys(session, found.id)]
    except AppError as error:
        raise fail(error) from None
    for view in views:
        print_json(view)


@key_app.command("revoke")
def key_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (key_...)")]) -> None:
    """Revoke an API key; it stops working at once."""
    database = open_database()
    try:
        with database.transaction() as session:
            key = auth_service.revoke_key(session, key_id)
            view = {"id": key.id, "revoked_at": iso_utc(key.revoked_at) if key.revoked_at else None}
    except AppError as error:
        raise fail(error) from None
    print_json(view)
