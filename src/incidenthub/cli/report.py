"""`incidenthub report`: the compliance report of a tenant over a period, as Markdown, CSV, HTML or PDF."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from incidenthub.cli.common import err, fail, open_database
from incidenthub.clock import utcnow
from incidenthub.errors import AppError, NotFound

_OPTIONS = {"from_date": "--from", "to_date": "--to"}


class ReportFormat(StrEnum):
    md = "md"
    csv = "csv"
    html = "html"
    pdf = "pdf"


def report(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    from_date: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (the tenant's local day)")],
    to_date: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive)")],
    format: Annotated[ReportFormat, typer.Option(help="md, csv, html or pdf")] = ReportFormat.md,
    output: Annotated[
        Path | None,
        typer.Option(help="Write to FILE (md: the charts as PNG files beside it); default standard output"),
    ] = None,
) -> None:
    """Write a compliance report: per standard pass or fail, the figures per leg, and three charts."""
    from incidenthub.analytics import charts, report_pdf
    from incidenthub.analytics import report as build
    from incidenthub.auth.repository import TenantRepository

    if format is ReportFormat.pdf and output is None:
        err.print("[red]error:[/red] --format pdf needs --output FILE", highlight=False)
        raise typer.Exit(code=2)
    database = open_database()
    try:
        with database.read_sessions() as session:
            found = TenantRepository(session).by_slug(tenant)
            if found is None:
                raise NotFound(f"no tenant with slug {tenant!r}")
            data = build.gather(session, found.id, from_date, to_date, utcnow())
    except AppError as error:
        for item in error.errors:  # the answers name the HTTP parameter; name the option instead
            if item.field in _OPTIONS:
                value = from_date if item.field == "from_date" else to_date
                error.detail = f"{_OPTIONS[item.field]} {value!r}: {item.message}"
        raise fail(error) from None
    finally:
        database.dispose()
    if format is ReportFormat.pdf and output is not None:
        output.write_bytes(report_pdf.pdf_bytes(data))
    elif format is ReportFormat.md:
        images = None
        if output is not None:
            images = {}
            for name in charts.CHARTS:
                image = output.with_name(f"{output.stem}-{name}.png")
                image.write_bytes(charts.png(name, data))
                images[name] = image.name
        _write(build.markdown(data, images), output)
    else:
        _write(build.csv_text(data) if format is ReportFormat.csv else build.html_text(data), output)
    if output is not None:
        err.print(f"report written to {output}", highlight=False)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
