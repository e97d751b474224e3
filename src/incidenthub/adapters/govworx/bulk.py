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
from sqlalchemy.engine import make_url

from incidenthub.adapters.govworx import SOURCE, mapping, pipeline
from incidenthub.adapters.govworx.pipeline import Record
from incidenthub.auth.repository import TenantRepository
from incidenthub.db import Database
from incidenthub.errors import NotFound
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
        if line.strip():
            yield Record("line", number, line)  # decoded by the process that imports it (pipeline.decode_line)


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
    workers: int = 1,
    on_progress: Callable[[int], None] | None = None,
    on_reject: Callable[[dict[str, Any]], None] | None = None,
) -> ImportReport:
    """Import every record; bad ones are reported (with their line) and the rest go in.

    `workers` processes share the work (see `pipeline`); a database only this process can open (SQLite in
    memory) is imported by this process alone."""
    with database.read_sessions() as session:
        tenant = TenantRepository(session).by_slug(tenant_slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {tenant_slug!r}")
    local = None if convert_from_utc else ZoneInfo(tenant.timezone)
    work = pipeline.Work(database.url, tenant.id, local, actor, rules or MatchRules())
    if not _shareable(database.url):
        workers = 1
    report = ImportReport()
    seen = 0

    def take(done: pipeline.Done) -> None:
        nonlocal seen
        seen += done.seen
        report.created += done.created
        report.updated += done.updated
        report.unchanged += done.unchanged
        report.rejected += len(done.rejects)
        if on_reject is not None:
            for entry in done.rejects:
                on_reject(entry)
        if on_progress is not None:
            on_progress(seen)

    pipeline.run(database, work, _batches(read_records(stream, fmt)), workers, take)
    return report


def _batches(records: Iterator[Record]) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _shareable(url: str) -> bool:
    """Whether another process can open the database at `url` (not an SQLite database in memory)."""
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or parsed.database not in (None, "", ":memory:")


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
