"""The `incidenthub` command line."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from incidenthub.auth import service as auth_service
from incidenthub.config import get_settings
from incidenthub.db import Database
from incidenthub.errors import AppError
from incidenthub.migrate import upgrade

app = typer.Typer(help="incidenthub: incidents from every door, one canonical record.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (agencies, communities, organisations).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(key_app, name="key")

err = Console(stderr=True)


def _database() -> Database:
    return Database(get_settings().database_url)


def _fail(error: AppError) -> typer.Exit:
    err.print(f"[red]error:[/red] {error.detail}", highlight=False)
    return typer.Exit(code=2 if error.status_code in (400, 422) else 1)


def _print_json(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    database = _database()
    upgrade(database)
    database.dispose()
    err.print("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
) -> None:
    """Migrate the database, then serve the API."""
    import uvicorn

    from incidenthub.app import create_app

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    database = Database(settings.database_url)
    upgrade(database)
    with database.transaction() as session:
        issued = auth_service.bootstrap(session)
        first_key = issued.secret if issued else None
    database.dispose()
    if first_key is not None:
        _announce_first_key(first_key, host, port)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level, access_log=False)


def _announce_first_key(secret: str, host: str, port: int) -> None:
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - compared, not bound
    curl = f"curl -s -H 'Authorization: Bearer {secret}' http://{shown_host}:{port}/v1/incidents"
    console = Console(highlight=False, soft_wrap=True)
    console.rule("[bold]incidenthub: first start[/bold]")
    console.print("Created tenant [bold]default[/bold] (UTC) and an API key with every scope.")
    console.print("The key is shown [bold]only now[/bold]; keep it somewhere safe:\n")
    console.print(f"  INCIDENTHUB_KEY={secret}\n")
    console.print("Try it:\n")
    console.print(f"  {curl}\n")
    console.rule()
    sys.stdout.flush()


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help="Display name")],
    slug: Annotated[str | None, typer.Option(help="URL-safe id; defaults to the slugified name")] = None,
    timezone: Annotated[str, typer.Option(help="IANA timezone, e.g. America/Chicago")] = "UTC",
    sonoran_community_id: Annotated[str | None, typer.Option(help="Sonoran CAD community id")] = None,
) -> None:
    """Create a tenant and print it as JSON."""
    database = _database()
    try:
        with database.transaction() as session:
            tenant = auth_service.create_tenant(session, name, slug, timezone, sonoran_community_id)
            view = auth_service.tenant_view(tenant)
    except AppError as error:
        raise _fail(error) from None
    _print_json(view)


@tenant_app.command("list")
def tenant_list() -> None:
    """Print every tenant, one JSON object per line."""
    from incidenthub.auth.repository import TenantRepository

    with _database().read_sessions() as session:
        for tenant in TenantRepository(session).all():
            _print_json(auth_service.tenant_view(tenant))


def _parse_expiry(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        err.print(f"[red]error:[/red] --expires-at {value!r} is not an ISO 8601 date-time", highlight=False)
        raise typer.Exit(code=2) from None
    if parsed.tzinfo is None:
        err.print("[red]error:[/red] --expires-at needs an offset, e.g. 2027-01-01T00:00:00Z", highlight=False)
        raise typer.Exit(code=2)
    return parsed


@key_app.command("create")
def key_create(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    scope: Annotated[list[str], typer.Option(help="A scope (repeat for more); '*' grants all")],
    name: Annotated[str | None, typer.Option(help="What the key is for")] = None,
    expires_at: Annotated[str | None, typer.Option(help="ISO 8601 expiry with offset")] = None,
) -> None:
    """Create an API key and print it once, as JSON."""
    expiry = _parse_expiry(expires_at)
    database = _database()
    try:
        with database.transaction() as session:
            view = auth_service.create_key(session, tenant, scope, name, expiry).view()
    except AppError as error:
        raise _fail(error) from None
    _print_json(view)


@key_app.command("revoke")
def key_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (key_...)")]) -> None:
    """Revoke an API key; it stops working at once."""
    database = _database()
    try:
        with database.transaction() as session:
            key = auth_service.revoke_key(session, key_id)
            view = {"id": key.id, "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None}
    except AppError as error:
        raise _fail(error) from None
    _print_json(view)


def main() -> None:
    app()
