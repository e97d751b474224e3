"""The `incidenthub` command line."""

from __future__ import annotations

import copy
import json
import os
import shlex
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from incidenthub.auth import service as auth_service
from incidenthub.cli import admin
from incidenthub.cli import report as report_cli
from incidenthub.cli.common import err, fail, open_database, parse_time, print_json
from incidenthub.config import Settings, get_settings
from incidenthub.db import Database
from incidenthub.errors import AppError

app = typer.Typer(help="incidenthub: incidents from every door, one canonical record.", no_args_is_help=True)
app.add_typer(admin.tenant_app, name="tenant")
app.add_typer(admin.key_app, name="key")
app.add_typer(admin.safety_app, name="safety")
app.command("demo-data")(admin.demo_data)
app.command("report")(report_cli.report)


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class ImportFormat(StrEnum):
    govworx = "govworx"
    csv = "csv"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@app.command()
def migrate() -> None:
    """Apply database migrations and exit."""
    from incidenthub.migrate import upgrade  # Alembic: only the commands that migrate pay for its import

    database = open_database()
    upgrade(database)
    database.dispose()
    err.print("database is up to date")


def _settings_or_exit() -> Settings:
    """The settings; a bad INCIDENTHUB_* value stops the command with one line per variable, naming it."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except ValidationError as error:
        for problem in error.errors():
            variable = "INCIDENTHUB_" + "_".join(str(part) for part in problem["loc"]).upper()
            message = str(problem["msg"]).removeprefix("Value error, ")
            said = message if message.startswith(variable) else f"{variable}: {message}"
            err.print(f"[red]error:[/red] {said}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), which is what `--workers` defaults to."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no sched_getaffinity (macOS)
        return os.cpu_count() or 1


def _export_settings(settings: Settings) -> None:
    """Every setting into the environment, so worker processes (which read it) see what this one saw."""
    for name, value in settings.model_dump().items():
        if value is not None:
            os.environ[f"INCIDENTHUB_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging plus our own loggers (on the root), applied again in every worker process."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["incidenthub"] = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    config["handlers"]["incidenthub"] = {
        "class": "logging.StreamHandler",
        "formatter": "incidenthub",
        "stream": "ext://sys.stderr",
    }
    config["root"] = {"handlers": ["incidenthub"], "level": level.upper()}
    return config


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Server processes (default: one per usable core)")] = None,
) -> None:
    """Migrate the database, then serve the API with one process per core."""
    import uvicorn

    from incidenthub.migrate import upgrade

    settings = _settings_or_exit()
    host = host or settings.host
    port = settings.port if port is None else port
    workers = workers or settings.workers or usable_cores()
    # The first key's secret goes only to a person's terminal, never into a service manager's log (journald,
    # `docker logs`, a file): elsewhere the first start makes the tenant and says how to make the key.
    in_terminal = sys.stdout.isatty()
    # Once, here, before any worker starts: the schema, and on an empty database the first tenant and key.
    database = Database(settings.database_url)
    upgrade(database)
    with database.transaction() as session:
        first_start = auth_service.bootstrap_tenant(session)
        issued = auth_service.first_key(session) if first_start and in_terminal else None
        keyless_tenant = None if issued else auth_service.tenant_needing_a_key(session)
    database.dispose()
    if issued is not None:
        _announce_first_key(issued.secret, host, port)
    elif keyless_tenant is not None:
        _hint_no_usable_key(keyless_tenant, first_start=first_start)
    _export_settings(settings.model_copy(update={"host": host, "port": port, "workers": workers}))
    config = uvicorn.Config(
        # Each worker builds the app from the environment (create_app reads the settings).
        "incidenthub.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        log_config=_log_config(settings.log_level),
        access_log=False,
        # A worker that does not answer the supervisor's ping in this time is killed and replaced; uvicorn's
        # 5 s default killed workers still starting on a busy machine.
        timeout_worker_healthcheck=30,
        # SIGTERM: requests in flight get this long to finish; then the lifespan commits the queued writes
        # within the same time again (app.py).
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )
    if workers == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise typer.Exit(code=3)  # uvicorn's code for a start-up failure
        return
    sock = config.bind_socket()
    # Listening before the workers start: a client connecting meanwhile waits instead of being refused.
    sock.listen(config.backlog)
    # SIGINT or SIGTERM to this process stops every worker, each finishing the writes it has queued.
    _supervisor(config, [sock], settings.shutdown_timeout_seconds).run()


# Beyond twice the shutdown timeout, what a worker may still need: its lifespan's other threads, the exit.
SHUTDOWN_SLACK_SECONDS = 3


def _supervisor(config: Any, sockets: list[Any], shutdown_timeout: int) -> Any:
    """uvicorn's Multiprocess whose wait for stopping workers is bounded: a worker still alive after twice the
    shutdown timeout (requests, then queued writes) and a little slack is killed, so `serve` exits in time."""
    from uvicorn.supervisors import Multiprocess

    class BoundedMultiprocess(Multiprocess):
        def join_all(self) -> None:
            deadline = time.monotonic() + 2 * shutdown_timeout + SHUTDOWN_SLACK_SECONDS
            for process in self.processes:
                process.process.join(max(0.0, deadline - time.monotonic()))
                if process.process.is_alive():
                    err.print(f"worker {process.pid} did not stop within the shutdown bound: killed", highlight=False)
                    process.kill()
                    process.join()

    return BoundedMultiprocess(config, sockets=sockets)


def _announce_first_key(secret: str, host: str, port: int) -> None:
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - compared, not bound
    curl = f"curl -s -H 'Authorization: Bearer {secret}' http://{shown_host}:{port}/v1/incidents"
    console = Console(highlight=False, soft_wrap=True)
    console.rule("[bold]incidenthub: first start[/bold]")
    console.print("Created tenant [bold]default[/bold] (UTC) and an API key with every scope.")
    console.print("The key is shown [bold]only now[/bold]; keep it somewhere safe:\n")
    # The README's examples read the key from $KEY: this line pasted into a shell is all they need.
    console.print(f"  export KEY={secret}\n")
    console.print("Try it:\n")
    console.print(f"  {curl}\n")
    console.rule()
    sys.stdout.flush()


def _command_name() -> str:
    """How this command was started (`.venv/bin/incidenthub` under `make run`), for hints to type again."""
    started_as = sys.argv[0] if sys.argv and Path(sys.argv[0]).name == "incidenthub" else "incidenthub"
    return shlex.quote(started_as)


def _hint_no_usable_key(tenant_slug: str, first_start: bool = False) -> None:
    """Tenants exist but no key works: say how to make one."""
    command = f"{_command_name()} key create --tenant {shlex.quote(tenant_slug)} --scope '*' --name admin"
    console = Console(highlight=False, soft_wrap=True)
    if first_start:
        console.rule("[bold]incidenthub: first start[/bold]")
        console.print("Created tenant [bold]default[/bold] (UTC), and no API key yet: this output is not a terminal,")
        console.print("and a key printed here would be kept in whatever records it (a service manager's log, a file).")
    else:
        console.rule("[bold]incidenthub: no usable API key[/bold]")
        console.print("No API key in this database works (none was made, or all are revoked or expired).")
    console.print("Make one (it is printed once), in another terminal:\n")
    console.print(f"  {command}\n", markup=False)
    console.print(f"(`{_command_name()} tenant list` shows the tenants; narrow the key with --scope.)", markup=False)
    console.rule()
    sys.stdout.flush()


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="JSON array, JSON lines, or CSV file of upload payloads", exists=True)],
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    format: Annotated[ImportFormat, typer.Option("--format", help="govworx: JSON array or JSON lines; csv")],
    convert_from_utc: Annotated[
        str,
        typer.Option("--convert-from-utc", help="true or false; false: offset-less times are the tenant's local time"),
    ] = "true",
    rejects: Annotated[
        Path | None, typer.Option(help="Where rejected records go (default: FILE.rejects.jsonl)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes sharing the work (default: one per core, at most 2)")
    ] = None,
) -> None:
    """Import GovWorx upload payloads, with the same validation and idempotency as the PUT."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from incidenthub.adapters.govworx import bulk
    from incidenthub.recordings.service import MatchRules

    if convert_from_utc.lower() not in _BOOLEANS:
        err.print(
            f"[red]error:[/red] --convert-from-utc takes true or false, not {convert_from_utc!r}", highlight=False
        )
        raise typer.Exit(code=2)
    reject_path = rejects or file.with_name(file.name + ".rejects.jsonl")
    database = open_database()
    started = time.monotonic()
    columns = (
        TextColumn("[bold]import[/bold]"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]} records, {task.fields[rate]:.0f}/s"),
        TimeRemainingColumn(),
    )
    with (
        file.open("rb") as stream,
        reject_path.open("w", encoding="utf-8") as reject_file,
        Progress(*columns, console=err, transient=False) as progress,
    ):
        task = progress.add_task("import", total=file.stat().st_size, rows=0, rate=0.0)

        def on_progress(done: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            progress.update(task, completed=stream.tell(), rows=done, rate=done / elapsed)

        def on_reject(entry: dict[str, Any]) -> None:
            reject_file.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")

        try:
            report = bulk.import_stream(
                database,
                tenant,
                stream,
                "csv" if format is ImportFormat.csv else "json",
                convert_from_utc=_BOOLEANS[convert_from_utc.lower()],
                actor=f"import:{file.name}",
                rules=MatchRules.from_settings(get_settings()),
                workers=workers or min(2, os.cpu_count() or 1),
                on_progress=on_progress,
                on_reject=on_reject,
            )
        except AppError as error:
            raise fail(error) from None
        progress.update(task, completed=file.stat().st_size)
    elapsed = time.monotonic() - started
    summary = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "seconds": round(elapsed, 2),
        "records_per_second": round(report.total / elapsed, 1) if elapsed else None,
        "rejects": str(reject_path) if report.rejected else None,
    }
    if not report.rejected:
        reject_path.unlink(missing_ok=True)
    print_json(summary)
    if report.rejected:
        err.print(f"{report.rejected} record(s) rejected; see {reject_path}", highlight=False)
        raise typer.Exit(code=1)


@app.command("export")
def export(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    format: Annotated[ExportFormat, typer.Option("--format", help="jsonl or csv")],
    start: Annotated[str | None, typer.Option("--from", help="incidentDate at or after (ISO 8601)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="incidentDate at or before (ISO 8601)")] = None,
    output: Annotated[Path | None, typer.Option(help="File to write (default: standard output)")] = None,
    all_sources: Annotated[bool, typer.Option(help="Also incidents that did not come from GovWorx")] = False,
) -> None:
    """Stream incidents out in GovWorx's upload format (import it elsewhere to copy them)."""
    from incidenthub.adapters.govworx import bulk

    rows = bulk.export_rows(
        open_database(), tenant, start=parse_time("--from", start), end=parse_time("--to", end), all_sources=all_sources
    )
    try:
        if output is None:
            count = bulk.write_export(rows, sys.stdout, format.value)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = bulk.write_export(rows, out, format.value)
    except AppError as error:
        raise fail(error) from None
    err.print(f"exported {count} incident(s)", highlight=False)


@app.command()
def worker() -> None:
    """Deliver webhooks and Sonoran push events and count again the months of response times that writes changed
    (what `serve` also does), until stopped (Ctrl-C or SIGTERM)."""
    import signal

    from incidenthub.adapters import push_renderers
    from incidenthub.analytics.month_counts import Recounter
    from incidenthub.webhooks.worker import Worker

    settings = get_settings()
    database = Database(settings.database_url)
    delivery = Worker(database, settings, push_renderers())
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: delivery.request_stop())
    recounter = Recounter(database, settings.analytics_recount_seconds) if settings.analytics_recount_seconds else None
    if recounter is not None:
        recounter.start()
    err.print("webhook delivery worker started", highlight=False)
    delivery.run_forever()
    if recounter is not None:
        recounter.stop()
    database.dispose()


def main() -> None:
    app()
