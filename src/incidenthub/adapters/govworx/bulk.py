"""Bulk import and export of GovWorx upload payloads: streamed, never read whole into memory.

Import reads a JSON array, JSON lines, or CSV with the upload's field names as columns (`notes` and
`responders` hold JSON arrays), and sends every record through the same validation and idempotent
upsert as `PUT /api/v1/external/incident`, a few hundred to a transaction. Export writes incidents
back out in the upload format, so an export imports into another instance unchanged.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, BinaryIO
from zoneinfo import ZoneInfo

import ijson

from incidenthub.adapters.govworx import SOURCE, mapping
from incidenthub.auth.repository import TenantRepository
from incidenthub.db import Database, is_transient, is_unstorable_value
from incidenthub.errors import AppError, NotFound
from incidenthub.incidents import batch
from incidenthub.incidents.commands import SourceIncident
from incidenthub.incidents.repository import IncidentRepository
from incidenthub.recordings.service import MatchRules

BATCH = 2000
# A CSV cell may hold a long narrative or a JSON array of many notes.
csv.field_size_limit(64 * 1024 * 1024)
# Columns whose CSV cells hold JSON.
_JSON_COLUMNS = ("notes", "responders")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected


@dataclass(frozen=True)
class Record:
    """One record of the input: where it was (line, or position in an array) and what it held."""

    where: str
    number: int
    payload: Any
    error: str | None = None


def _json_records(stream: BinaryIO) -> Iterator[Record]:
    if stream.read(3) != codecs.BOM_UTF8:
        stream.seek(0)
    first = stream.read(1)
    while first and first.isspace():
        first = stream.read(1)
    stream.seek(stream.tell() - len(first))
    if first == b"[":
        number = 0
        try:
            for number, item in enumerate(ijson.items(stream, "item", use_float=True), start=1):
                yield Record("index", number, item)
        except ijson.JSONError as error:
            yield Record("index", number + 1, None, f"the file stops being valid JSON here: {error}")
        return
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield Record("line", number, json.loads(line))
        except ValueError as error:
            yield Record("line", number, line.decode("utf-8", "replace").rstrip("\n"), f"not valid JSON: {error}")


def _decoded_lines(stream: BinaryIO) -> Iterator[str]:
    """Lines as text; bytes that are not UTF-8 become lone surrogates, so their row can be refused alone."""
    for number, line in enumerate(stream):
        text = line.decode("utf-8", "surrogateescape")
        yield text.removeprefix("\ufeff") if number == 0 else text


_NOT_UTF8 = re.compile("[\udc80-\udcff]")


def _csv_records(stream: BinaryIO) -> Iterator[Record]:
    reader = csv.DictReader(_decoded_lines(stream))
    try:
        for row in reader:
            if any(_NOT_UTF8.search(value or "") for value in row.values() if isinstance(value, str)):
                yield Record("line", reader.line_num, None, "the line is not UTF-8 text")
                continue
            payload: dict[str, Any] = {key: value for key, value in row.items() if key and value not in (None, "")}
            error = None
            for column in _JSON_COLUMNS:
                if column in payload:
                    try:
                        payload[column] = json.loads(payload[column])
                    except ValueError:
                        error = f"column {column!r} does not hold a JSON array"
            yield Record("line", reader.line_num, payload, error)
    except csv.Error as error:
        # The rest of the file cannot be read reliably: report where it broke; what came before stays.
        yield Record("line", reader.line_num + 1, None, f"the file cannot be read from here on: {error}")


def read_records(stream: BinaryIO, fmt: str) -> Iterator[Record]:
    """The records of a GovWorx (JSON array or JSON lines) or CSV file, one at a time."""
    return _csv_records(stream) if fmt == "csv" else _json_records(stream)


def import_stream(
    database: Database,
    tenant_slug: str,
    stream: BinaryIO,
    fmt: str,
    *,
    convert_from_utc: bool = True,
    actor: str = "import",
    rules: MatchRules | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_reject: Callable[[dict[str, Any]], None] | None = None,
) -> ImportReport:
    """Import every record; bad ones are reported (with their line) and the rest go in."""
    with database.read_sessions() as session:
        tenant = TenantRepository(session).by_slug(tenant_slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {tenant_slug!r}")
    local = None if convert_from_utc else ZoneInfo(tenant.timezone)
    report = ImportReport()

    def reject(record: Record, reason: str, errors: list[dict[str, str]] | None = None) -> None:
        report.rejected += 1
        entry = {record.where: record.number, "reason": reason, "errors": errors or [], "record": record.payload}
        if on_reject is not None:
            on_reject(entry)

    pending: list[tuple[Record, SourceIncident]] = []

    def flush() -> None:
        _upsert_batch(database, tenant.id, pending, actor, rules, report, reject)
        pending.clear()

    for seen, record in enumerate(read_records(stream, fmt), start=1):
        if on_progress is not None and seen % BATCH == 0:
            on_progress(seen)
        if record.error is not None:
            reject(record, record.error)
            continue
        try:
            command = mapping.to_command(mapping.parse_upload(record.payload), record.payload, local)
        except AppError as error:
            reject(record, error.detail, [{"field": e.field, "message": e.message} for e in error.errors])
            continue
        pending.append((record, command))
        if len(pending) >= BATCH:
            flush()
    flush()
    if on_progress is not None:
        on_progress(report.total)
    return report


def _upsert_batch(
    database: Database,
    tenant_id: str,
    pending: list[tuple[Record, SourceIncident]],
    actor: str,
    rules: MatchRules | None,
    report: ImportReport,
    reject: Callable[[Record, str], None],
) -> None:
    """One transaction for the batch, set-based; if a record fails, again with each record on its own."""
    if not pending:
        return
    items = [batch.Upsert(tenant_id, command, actor=actor, rules=rules or MatchRules()) for _, command in pending]
    try:
        outcomes: list[batch.Written | str] = list(_with_retries(database, items))
    except Exception as error:
        if not (isinstance(error, AppError) or is_unstorable_value(error)):
            raise
        outcomes = [_upsert_alone(database, item) for item in items]
    for (record, _), outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, str):
            reject(record, outcome)
        elif outcome.result.created:
            report.created += 1
        elif outcome.result.updated:
            report.updated += 1
        else:
            report.unchanged += 1


def _with_retries(database: Database, items: list[batch.Upsert]) -> list[batch.Written]:
    """The items in one transaction, run again if the database chose it as a deadlock's victim (the server
    writing the same tenant's incidents meanwhile)."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with database.transaction() as session:
                return batch.upsert_many(session, items)
        except Exception as error:
            if not (is_transient(error) and attempt < _ATTEMPTS):
                raise
    raise AssertionError("unreachable")


_ATTEMPTS = 3


def _upsert_alone(database: Database, item: batch.Upsert) -> batch.Written | str:
    """One record in a transaction of its own: what it wrote, or why it was refused."""
    try:
        return _with_retries(database, [item])[0]
    except AppError as error:
        return error.detail
    except Exception as error:
        if not is_unstorable_value(error):
            raise
        return "a value cannot be stored: too long for its field, out of range, NUL, or NaN"


def export_rows(
    database: Database,
    tenant_slug: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    all_sources: bool = False,
    chunk_size: int = BATCH,
) -> Iterator[dict[str, Any]]:
    """The tenant's incidents in the upload format, a chunk at a time, filtered on incidentDate."""
    with database.read_sessions() as session:
        tenant = TenantRepository(session).by_slug(tenant_slug)
        if tenant is None:
            raise NotFound(f"no tenant with slug {tenant_slug!r}")
        repository = IncidentRepository(session)
        after: tuple[datetime, str] | None = None
        while True:
            chunk = repository.export_chunk(
                tenant.id, None if all_sources else SOURCE, start, end, after=after, limit=chunk_size
            )
            if not chunk:
                return
            links = repository.outgoing_links_of([incident.id for incident in chunk])
            for incident in chunk:
                yield mapping.to_upload(incident, links.get(incident.id, []))
            last = chunk[-1]
            after = (last.source_created_at or last.created_at, last.id)
            session.expunge_all()


def write_export(rows: Iterator[dict[str, Any]], out: IO[str], fmt: str) -> int:
    """Write rows as JSON lines or CSV; the number written."""
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        cells = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items() if v not in (None, [])}
        if writer is None:
            columns = list(mapping.UPLOAD_FIELDS)
            writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
        writer.writerow(cells)
        count += 1
    return count
