"""The legs counted per local month (`analytics/month_counts.py`): an answer summed from the counts of its whole
months and the rows of the rest is the answer the rows alone give, for every grouping and standard; a write, a
deletion, a new timezone or a standard selecting on another attribute never leaves an answer reading old counts."""

from __future__ import annotations

import fcntl
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import make_url, select, text
from typer.testing import CliRunner

from incidenthub import migrate
from incidenthub.analytics import month_counts
from incidenthub.analytics.figures_repository import FiguresRepository
from incidenthub.analytics.legs import GROUP_BY
from incidenthub.analytics.period import period_of
from incidenthub.analytics.standards import DEFAULTS
from incidenthub.cli import app as cli
from incidenthub.config import get_settings
from incidenthub.db import Database
from incidenthub.models import ResponseTimeMonth, Tenant
from tests.analytics.figures import call, get, upload_all
from tests.analytics.test_incident_intervals import LOCAL_STANDARD, set_analytics
from tests.factories import make_key
from tests.govworx.helpers import GovWorx

EDGES = {"from_date": "2026-01-15", "to_date": "2026-04-10"}  # part of January, February, March, part of April
WHOLE = {"from_date": "2026-02-01", "to_date": "2026-03-31"}
CHICAGO_MONTH = 2026 * 12  # January 2026


def _calls(seed: int = 7, count: int = 90) -> list[dict[str, Any]]:
    """Calls from 2026-01-05 to 2026-04-25 with several call takers, units, priorities and agency types; some
    legs missing, one negative (a unit en route before it was dispatched)."""
    rng = random.Random(seed)  # noqa: S311  (test data)
    start = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    bodies = []
    for i in range(count):
        received = start + timedelta(minutes=rng.randrange(0, 110 * 24 * 60))
        units = []
        for u in range(rng.choice([0, 1, 2, 3])):
            dispatched = rng.randrange(20, 120)
            enroute = dispatched + rng.randrange(-5, 90)
            arrived = None if rng.random() < 0.2 else enroute + rng.randrange(60, 600)
            units.append(
                {
                    "unit": f"U{rng.randrange(1, 6)}-{u}",
                    "dispatched": dispatched,
                    "enroute": enroute,
                    "arrived": arrived,
                    "cleared": None if arrived is None else arrived + 900,
                }
            )
        kind = rng.choice(["Medical Emergency", "Structure Fire", "Traffic Accident"])
        bodies.append(
            call(
                f"MC-{i}",
                received=received,
                answer=None if rng.random() < 0.1 else rng.randrange(1, 40),
                units=units,
                incidentType=kind,
                priority=rng.choice(["Priority 1", "Priority 2", "Priority 3"]),
                agencyType=rng.choice(["EMS", "Fire"]),
                agency=rng.choice(["CITY-EMS", "COUNTY-FIRE"]),
                callTakerId=rng.choice(["CT-1", "CT-2", "CT-3"]),
                callTakerName=None,
                callPosition=rng.choice(["Position-01", "Position-02"]),
                responseArea=rng.choice(["North", "South"]),
            )
        )
    for body in bodies:
        body.pop("callTakerName")
    return bodies


def _answers(gw: GovWorx, period: dict[str, str]) -> dict[str, Any]:
    """Every intervals answer (each group_by and none) and every default standard's compliance answer."""
    found: dict[str, Any] = {}
    for group_by in (None, *GROUP_BY):
        params = {**period, **({"group_by": group_by} if group_by else {})}
        response = get(gw, "/v1/analytics/intervals", **params)
        assert response.status_code == 200, response.text
        found[f"intervals:{group_by}"] = response.json()
    for standard in DEFAULTS:
        response = get(gw, "/v1/analytics/compliance", standard=standard.id, **period)
        assert response.status_code == 200, response.text
        found[f"compliance:{standard.id}"] = response.json()
    with gw.database.read_sessions() as session:
        asked = period_of(period["from_date"], period["to_date"], "America/Chicago", datetime.now(UTC))
        figures = FiguresRepository(session)
        for leg in ("call_answer", "travel"):
            found[f"histogram:{leg}"] = figures.histogram(_tenant_id(gw.database), asked, leg, 1000)
    return found


def _leg(answer: dict[str, Any], leg: str) -> dict[str, Any]:
    [group] = answer["groups"]
    [row] = [row for row in group["legs"] if row["leg"] == leg]
    return row


def _tenant_id(database: Database) -> str:
    with database.read_sessions() as session:
        return session.execute(select(Tenant.id).where(Tenant.slug == "metro")).scalar_one()


def _plan(database: Database, period: dict[str, str]) -> month_counts.Plan:
    with database.read_sessions() as session:
        asked = period_of(period["from_date"], period["to_date"], "America/Chicago", datetime.now(UTC))
        return month_counts.plan(session, _tenant_id(database), asked, frozenset({"category"}))


def _marked(database: Database) -> list[int]:
    with database.read_sessions() as session:
        return sorted(session.execute(select(ResponseTimeMonth.month)).scalars())


def test_answers_summed_from_the_counts_equal_the_answers_from_the_rows(gw: GovWorx, database: Database) -> None:
    upload_all(gw, _calls())
    assert _marked(database) == [CHICAGO_MONTH + m for m in range(4)]  # January to April, in Chicago
    assert _plan(database, EDGES).months == []  # nothing counted yet: all from the rows
    from_rows = {name: _answers(gw, period) for name, period in (("edges", EDGES), ("whole", WHOLE))}

    assert month_counts.recount_all(database) == 4
    assert _marked(database) == []
    plan = _plan(database, EDGES)
    assert plan.months == [CHICAGO_MONTH + 1, CHICAGO_MONTH + 2]  # February and March from the counts
    assert [(p.since.isoformat(), p.until.isoformat()) for p in plan.rows] == [
        ("2026-01-15T06:00:00+00:00", "2026-02-01T06:00:00+00:00"),  # Chicago is UTC-6 in winter
        ("2026-04-01T05:00:00+00:00", "2026-04-11T05:00:00+00:00"),  # and UTC-5 from 8 March
    ]
    assert _plan(database, WHOLE) == month_counts.Plan([CHICAGO_MONTH + 1, CHICAGO_MONTH + 2], [])
    for name, period in (("edges", EDGES), ("whole", WHOLE)):
        summed = _answers(gw, period)
        for key, answer in from_rows[name].items():
            assert summed[key] == answer, f"{name} {key}"
    assert _leg(from_rows["whole"]["intervals:None"], "call_answer")["count"] > 20, "the period has legs"
    assert sum(n for _, n in from_rows["whole"]["histogram:travel"]) > 20
    by_unit = from_rows["edges"]["intervals:unit"]["groups"]
    assert len(by_unit) >= 5 and all(g["group"] for g in by_unit)  # call signs read with the answer


def test_a_write_marks_its_month_and_the_answer_reads_it_from_the_rows_until_counted(
    gw: GovWorx, database: Database
) -> None:
    upload_all(gw, _calls(count=30))
    month_counts.recount_all(database)
    before = _answers(gw, WHOLE)["intervals:None"]
    # A call in February with a 33 s answer: February is marked, so the answer counts it at once.
    upload_all(gw, [call("LATE-1", received=datetime(2026, 2, 20, 18, 0, tzinfo=UTC), answer=33)])
    assert _marked(database) == [CHICAGO_MONTH + 1]
    assert _plan(database, WHOLE) == month_counts.Plan(
        [CHICAGO_MONTH + 2], [month_counts.month_period(CHICAGO_MONTH + 1, "America/Chicago")]
    )
    after = _answers(gw, WHOLE)
    assert _leg(after["intervals:None"], "call_answer")["count"] == _leg(before, "call_answer")["count"] + 1
    month_counts.recount_all(database)
    assert _answers(gw, WHOLE) == after


def test_a_deleted_incident_leaves_the_counts_of_its_month(gw: GovWorx, database: Database) -> None:
    devrev = {"Authorization": make_key(database, "metro", ["*"])}
    upload_all(gw, _calls(count=20))
    made = gw.client.post("/incidents.create", json={"title": "Gate alarm"}, headers=devrev)
    assert made.status_code == 201, made.text  # no call times: its call legs are missing
    month_counts.recount_all(database)
    # From January 2026 to tomorrow: the GovWorx calls and the DevRev incident made now.
    period = {"from_date": "2026-01-01", "to_date": (datetime.now(UTC) + timedelta(days=2)).date().isoformat()}
    missing = _leg(_answers(gw, period)["intervals:None"], "call_answer")["missing"]
    assert gw.client.post("/incidents.delete", json={"id": made.json()["incident"]["id"]}, headers=devrev).is_success
    made_at = datetime.fromisoformat(made.json()["incident"]["created_date"].replace("Z", "+00:00"))
    assert made_at.year * 12 + made_at.month - 1 in _marked(database)  # the month it was made in
    gone = _answers(gw, period)
    assert _leg(gone["intervals:None"], "call_answer")["missing"] == missing - 1
    month_counts.recount_all(database)
    assert _answers(gw, period) == gone


def test_a_new_timezone_counts_every_month_again(
    gw: GovWorx, database: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload_all(gw, _calls(count=40))
    month_counts.recount_all(database)
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["tenant", "update", "metro", "--timezone", "Asia/Tokyo"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert _marked(database) == [-1]
    from_rows = _answers(gw, EDGES)  # every month from the rows, in Tokyo's days
    month_counts.recount_all(database)
    assert _marked(database) == []
    assert _answers(gw, EDGES) == from_rows


def test_a_standard_selecting_on_priority_reads_the_rows_until_the_counts_keep_priority(
    gw: GovWorx, database: Database
) -> None:
    upload_all(gw, _calls(count=40))
    month_counts.recount_all(database)
    set_analytics(database, "metro", {"standards": [LOCAL_STANDARD], "defaults": True})
    with database.read_sessions() as session:
        asked = period_of(WHOLE["from_date"], WHOLE["to_date"], "America/Chicago", datetime.now(UTC))
        assert month_counts.plan(session, _tenant_id(database), asked, frozenset({"priority"})).months == []
    response = get(gw, "/v1/analytics/compliance", standard="metro-answer-12s", **WHOLE)
    assert response.status_code == 200, response.text
    from_rows = response.json()
    assert from_rows["judged"] > 0
    month_counts.recount_all(database)  # sees the new standard: marks the tenant whole, counts it again
    with database.read_sessions() as session:
        kept = session.execute(text("SELECT attributes FROM response_time_counted")).scalar_one()
        assert kept == "category,priority"
    assert _plan(database, WHOLE).months == [CHICAGO_MONTH + 1, CHICAGO_MONTH + 2]
    assert get(gw, "/v1/analytics/compliance", standard="metro-answer-12s", **WHOLE).json() == from_rows


def test_the_migration_marks_every_tenant_with_rows(gw: GovWorx, database: Database) -> None:
    upload_all(gw, _calls(count=10))
    month_counts.recount_all(database)
    config = migrate.alembic_config(database)
    with database.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0113_response_times")
    migrate.upgrade(database)
    assert _marked(database) == [-1]
    assert _plan(database, WHOLE).months == []
    month_counts.recount_all(database)
    assert _plan(database, WHOLE).months == [CHICAGO_MONTH + 1, CHICAGO_MONTH + 2]


def test_one_recounter_at_a_time_counts_the_marked_months(gw: GovWorx, database: Database) -> None:
    upload_all(gw, _calls(count=10))
    recounter = month_counts.Recounter(database, 60)
    if database.dialect == "postgresql":
        with database.write_engine.connect() as other:  # another process's recounter at work
            assert other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": month_counts._LOCK_KEY}).scalar()
            assert recounter.round() is None
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": month_counts._LOCK_KEY})
    else:
        path = f"{make_url(database.url).database}.analytics-recount-lock"
        with open(path, "a") as other:  # another process's recounter at work
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            assert recounter.round() is None
    assert len(_marked(database)) == 4  # nothing counted meanwhile
    assert recounter.round() == 4
    assert _marked(database) == []
