"""Recording matching with the operator's settings on every path, and bounded at a busy call position."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, select, text
from typer.testing import CliRunner

from incidenthub.cli import app
from incidenthub.config import get_settings
from incidenthub.models import Incident
from incidenthub.models.base import new_id
from incidenthub.recordings.service import MAX_CANDIDATES
from tests.govworx.helpers import GovWorx

runner = CliRunner()


def _record(gw: GovWorx, position: str, started: str, ended: str) -> dict[str, Any]:
    body = {"position": position, "started_at": started, "ended_at": ended, "recorder_ref": f"vlr://{started}"}
    response = gw.client.post("/v1/recordings", json=body, headers=gw.headers)
    assert response.status_code == 201, response.text
    recording: dict[str, Any] = response.json()
    return recording


def _recordings_of(gw: GovWorx, incident_id: str) -> list[dict[str, Any]]:
    response = gw.client.get(f"/v1/incidents/{incident_id}/recordings", headers=gw.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


# --- the import applies INCIDENTHUB_RECORDING_* -------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "call"),
    [
        # The call ends 10:28; the recording starts 12 minutes later: only a 15-minute tolerance reaches it.
        ("INCIDENTHUB_RECORDING_MATCH_TOLERANCE_SECONDS", "900", {"callHangupTime": "2026-01-06T10:28:00Z"}),
        # No hang-up time: a call assumed to last 20 minutes from pickup (10:23:15) covers the recording.
        ("INCIDENTHUB_RECORDING_DEFAULT_CALL_SECONDS", "1200", {"callHangupTime": None}),
    ],
)
def test_import_matches_with_the_configured_rules(
    gw: GovWorx,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    setting: str,
    value: str,
    call: dict[str, Any],
) -> None:
    recording = _record(gw, "Position-01", "2026-01-06T10:40:00Z", "2026-01-06T10:42:00Z")
    assert recording["match_status"] == "unmatched"
    path = tmp_path / "calls.jsonl"
    path.write_text(json.dumps(gw.seed(sysId="IMP-1", relatedSysId=None, **call)) + "\n")
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    monkeypatch.setenv(setting, value)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["import", str(path), "--tenant", "metro", "--format", "govworx"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 1

    [incident] = gw.by_sys_id("IMP-1")
    [matched] = _recordings_of(gw, incident["incident_id"])
    assert matched["recording_id"] == recording["recording_id"]
    assert matched["match_status"] == "matched"
    assert matched["overlap_seconds"] == 120.0


# --- bounded work at a busy position --------------------------------------------------------------------


@dataclass
class Work:
    """What one request made the database do: SQL statements, and rows or VM steps spent on reads."""

    statements: int = 0
    steps: int = 0  # SQLite: virtual-machine instructions, in hundreds; PostgreSQL: rows read by scans


def _rows_read(plan: dict[str, Any]) -> int:
    """Rows a PostgreSQL plan node and its children read: those returned plus those filtered away."""
    own = 0
    if "Scan" in plan["Node Type"]:
        kept = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
        own = (kept + plan.get("Rows Removed by Index Recheck", 0)) * plan.get("Actual Loops", 1)
    return own + sum(_rows_read(child) for child in plan.get("Plans", []))


@contextmanager
def _measure(gw: GovWorx, database_url: str) -> Iterator[Work]:
    """Count what the app's engines execute while the block runs.

    Only the request path's engines: the webhook worker polls on engines of its own, and counting its
    polls made the figures depend on when its timer fired.

    On SQLite a progress handler counts the virtual machine's instructions (they grow with every row a
    query visits); on PostgreSQL each SELECT is run again under EXPLAIN ANALYZE and the rows its scans
    read are added up.
    """
    work = Work()
    sqlite = database_url.startswith("sqlite")
    watched: list[Any] = []
    selects: list[tuple[Engine, str, Any]] = []

    def step() -> int:
        work.steps += 1
        return 0

    def before(conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        work.statements += 1
        if sqlite:
            raw = conn.connection.driver_connection
            if all(raw is not seen for seen in watched):
                raw.set_progress_handler(step, 100)
                watched.append(raw)
        elif statement.lstrip().upper().startswith("SELECT"):
            selects.append((conn.engine, statement, parameters))

    database = gw.client.app.state.runtime.database  # type: ignore[attr-defined]
    engines = list({id(engine): engine for engine in (database.write_engine, database.read_engine)}.values())
    for engine in engines:
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield work
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", before)
        for raw in watched:
            raw.set_progress_handler(None, 0)
    for engine, statement, parameters in selects:
        with engine.connect() as connection:
            [[plans]] = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            work.steps += sum(_rows_read(entry["Plan"]) for entry in plans)


CALL = datetime(2026, 1, 6, 10, 23, tzinfo=UTC)


def _busy_position(gw: GovWorx, position: str, calls: int) -> None:
    """`calls` four-minute calls at `position`, one every 65 minutes going back months before CALL.

    Setup, not the behaviour under test: the rows are copied from one uploaded incident in one insert.
    """
    oldest = (CALL - timedelta(minutes=65 * calls)).isoformat().replace("+00:00", "Z")
    times = {"callReceivedTime": oldest, "callPickupTime": oldest, "callHangupTime": oldest}
    template_id = gw.upload(gw.seed(sysId=f"{position}-0", callPosition=position, relatedSysId=None, **times))["id"]
    with gw.database.transaction() as session:
        template = dict(session.execute(select(Incident.__table__).where(Incident.id == template_id)).one()._mapping)
        rows = []
        for n in range(1, calls):
            received = CALL - timedelta(minutes=65 * n)
            rows.append(
                template
                | {
                    "id": new_id("inc"),
                    "external_id": f"{position}-{n}",
                    "number": f"{position}-{n}",
                    "call_received_at": received,
                    "call_picked_up_at": received + timedelta(seconds=10),
                    "call_hung_up_at": received + timedelta(minutes=4),
                }
            )
        session.execute(insert(Incident.__table__), rows)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE incidents"))  # fresh statistics, as a live database would have


def _upload_call(gw: GovWorx, position: str, database_url: str) -> tuple[str, Work]:
    """A new call at `position`, 10:23-10:28 on CALL's day, with three recordings already waiting for it."""
    waiting = [
        _record(gw, position, "2026-01-06T10:23:05Z", "2026-01-06T10:27:50Z"),  # the call
        _record(gw, position, "2026-01-06T10:28:30Z", "2026-01-06T10:28:50Z"),  # a short transfer after it
        _record(gw, position, "2026-01-06T10:28:55Z", "2026-01-06T10:31:00Z"),  # a callback, within tolerance
    ]
    assert [r["match_status"] for r in waiting] == ["unmatched"] * 3
    # Two more unmatched recordings at the position, between older calls.
    _record(gw, position, "2026-01-05T03:00:00Z", "2026-01-05T03:01:00Z")
    _record(gw, position, "2025-12-01T08:00:00Z", "2025-12-01T08:02:00Z")
    body = gw.seed(sysId=f"{position}-new", callPosition=position, relatedSysId=None)
    with _measure(gw, database_url) as work:
        incident_id = gw.upload(body)["id"]
    matched = _recordings_of(gw, incident_id)
    assert [r["recording_id"] for r in matched] == [r["recording_id"] for r in waiting]
    assert [r["match_status"] for r in matched] == ["matched"] * 3
    return incident_id, work


def test_matching_at_a_busy_position_reads_as_little_as_at_a_quiet_one(gw: GovWorx, database_url: str) -> None:
    # A first upload creates the call taker and units, so neither measured upload pays for that.
    gw.upload(gw.seed(sysId="warm-up", callPosition="Position-00", relatedSysId=None))
    _busy_position(gw, "Position-busy", 2000)
    _, quiet = _upload_call(gw, "Position-quiet", database_url)
    _, busy = _upload_call(gw, "Position-busy", database_url)
    assert busy.statements == quiet.statements, (busy, quiet)
    # Measured over the whole upload. Reading every incident at the position for each of the three
    # recordings cost ~50x the quiet upload on SQLite and ~6,000 rows on PostgreSQL; what may differ now
    # is the few calls in the hours before the recordings (one every 65 minutes here).
    if database_url.startswith("sqlite"):
        assert busy.steps <= quiet.steps * 1.5 + 20, (busy, quiet)
    else:
        assert busy.steps <= quiet.steps + 60, (busy, quiet)


def test_a_crowd_of_identical_calls_lists_only_the_best_candidates(gw: GovWorx, database_url: str) -> None:
    # The probe's case: one call replayed under 300 ids at one position, with recordings over it.
    for n in range(3):
        _record(gw, "Position-01", "2026-01-06T10:23:05Z", f"2026-01-06T10:2{5 + n}:50Z")
    template_id = gw.upload(gw.seed(sysId="crowd-0", relatedSysId=None))["id"]
    with gw.database.transaction() as session:
        template = dict(session.execute(select(Incident.__table__).where(Incident.id == template_id)).one()._mapping)
        rows = [template | {"id": new_id("inc"), "external_id": f"crowd-{n}"} for n in range(1, 300)]
        session.execute(insert(Incident.__table__), rows)
    with _measure(gw, database_url) as work:
        gw.upload(gw.seed(sysId="crowd-300", relatedSysId=None))
    assert work.statements < 40, work
    unmatched = gw.client.get("/v1/recordings?unmatched=true", headers=gw.headers).json()["data"]
    assert len(unmatched) == 3
    for recording in unmatched:
        assert recording["match_status"] == "ambiguous"
        assert len(recording["candidates"]) == MAX_CANDIDATES
        assert {c["overlap_seconds"] for c in recording["candidates"]} == {
            recording["candidates"][0]["overlap_seconds"]
        }


def test_a_recording_longer_than_a_day_is_422(gw: GovWorx) -> None:
    body = {"position": "P", "started_at": "2026-01-06T00:00:00Z", "ended_at": "2026-01-07T00:00:01Z"}
    response = gw.client.post("/v1/recordings", json=body | {"recorder_ref": "r"}, headers=gw.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "ended_at"
    assert _record(gw, "P", "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z")["match_status"] == "unmatched"
