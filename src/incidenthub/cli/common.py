"""What every `incidenthub` command shares: the database from the settings, errors and JSON on the terminal."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import typer
from rich.console import Console

from incidenthub.clock import as_utc
from incidenthub.config import get_settings
from incidenthub.db import Database
from incidenthub.errors import AppError

err = Console(stderr=True)


def open_database() -> Database:
    return Database(get_settings().database_url)


def fail(error: AppError) -> typer.Exit:
    err.print(f"[red]error:[/red] {error.detail}", highlight=False)
    return typer.Exit(code=2 if error.status_code in (400, 422) else 1)


def print_json(value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(value) + "\n")


def parse_time(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        err.print(f"[red]error:[/red] {option} {value!r} is not an ISO 8601 date-time", highlight=False)
        raise typer.Exit(code=2) from None
    if parsed.tzinfo is None:
        err.print(f"[red]error:[/red] {option} needs an offset, e.g. 2027-01-01T00:00:00Z", highlight=False)
        raise typer.Exit(code=2)
    try:
        return as_utc(parsed)
    except OverflowError:
        err.print(f"[red]error:[/red] {option} {value!r} is out of range", highlight=False)
        raise typer.Exit(code=2) from None
