"""`incidenthub safety rebuild` and `tenant update --safety-half-life-days`: a changed half-life or timezone
rebuilds the tenant's aggregates in the same transaction; a bad value changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from incidenthub.cli import app
from incidenthub.db import Database
from incidenthub.incidents.safety_repository import SafetyRepository
from incidenthub.models import SafetyCell, SafetyHour, Tenant
from tests.factories import make_tenant
from tests.intel.test_aggregates import _tenant_id, assert_sums_match_a_recomputation
from tests.intel.test_demo_data import cli_env, generate  # noqa: F401 - the fixture is used by name

runner = CliRunner()


def _stored(database: Database, tenant_id: str) -> tuple[Any, ...]:
    with database.read_sessions() as session:
        points, cells, hours = SafetyRepository(session).stored(tenant_id)
        tenant = session.get(Tenant, tenant_id)
        assert tenant is not None
        key = lambda row: sorted(row.items())  # noqa: E731
        return sorted(map(key, points)), sorted(map(key, cells)), sorted(map(key, hours)), tenant.settings, tenant.name


def _decayed(database: Database, tenant_id: str) -> float:
    with database.read_sessions() as session:
        return sum(row["decayed"] for row in SafetyRepository(session).stored(tenant_id)[1])


@pytest.fixture
def lagos(cli_env: str, database: Database) -> str:  # noqa: F811
    make_tenant(database, "lagos", timezone="Africa/Lagos")
    make_tenant(database, "other", timezone="Africa/Lagos")
    generate("lagos", 150, city="lagos")
    generate("other", 50, city="lagos")
    return _tenant_id(database, "lagos")


def test_a_new_half_life_is_stored_and_rebuilds_the_tenants_sums(lagos: str, database: Database) -> None:
    other = _stored(database, _tenant_id(database, "other"))
    before = _decayed(database, lagos)
    result = runner.invoke(app, ["tenant", "update", "lagos", "--safety-half-life-days", "7"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["safety"] == {"half_life_days": 7.0}
    with database.read_sessions() as session:
        tenant = session.get(Tenant, lagos)
        assert tenant is not None and tenant.settings["safety"] == {"half_life_days": 7.0}
    # Stored against the epoch, a week's half-life makes far larger numbers than a month's: rebuilt, and right.
    assert _decayed(database, lagos) > 1000 * before
    assert_sums_match_a_recomputation(database, lagos)
    assert _stored(database, _tenant_id(database, "other")) == other  # another tenant is untouched


def test_a_new_timezone_moves_the_hours_of_the_week(lagos: str, database: Database) -> None:
    with database.read_sessions() as session:
        hours_before = {(h["cell"], h["hour_of_week"]) for h in SafetyRepository(session).stored(lagos)[2]}
    result = runner.invoke(app, ["tenant", "update", "lagos", "--timezone", "America/Los_Angeles"])
    assert result.exit_code == 0, result.output
    with database.read_sessions() as session:
        hours_after = {(h["cell"], h["hour_of_week"]) for h in SafetyRepository(session).stored(lagos)[2]}
    assert hours_after != hours_before
    assert_sums_match_a_recomputation(database, lagos)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["--safety-half-life-days", "3"],
            2,
            "--safety-half-life-days: half_life_days must be a number from 7 to 3650",
        ),
        (["--safety-half-life-days", "3651", "--name", "Renamed"], 2, "--safety-half-life-days"),
        (["--safety-half-life-days", "soon"], 2, "--safety-half-life-days"),
    ],
)
def test_a_bad_half_life_is_refused_naming_the_option_and_changes_nothing(
    lagos: str, database: Database, args: list[str], code: int, message: str
) -> None:
    before = _stored(database, lagos)
    result = runner.invoke(app, ["tenant", "update", "lagos", *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert _stored(database, lagos) == before


def test_safety_rebuild_restores_lost_sums_and_prints_the_counts(lagos: str, database: Database) -> None:
    want = _stored(database, lagos)
    with database.transaction() as session:
        session.execute(delete(SafetyCell).where(SafetyCell.tenant_id == lagos))
        session.execute(delete(SafetyHour).where(SafetyHour.tenant_id == lagos))
    result = runner.invoke(app, ["safety", "rebuild", "--tenant", "lagos"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["tenant"] == "lagos"
    assert (printed["points"], printed["cells"], printed["hours"]) == tuple(len(part) for part in want[:3])
    assert printed["points"] > 100
    assert _stored(database, lagos)[0] == want[0]
    assert_sums_match_a_recomputation(database, lagos)

    unknown = runner.invoke(app, ["safety", "rebuild", "--tenant", "nobody"])
    assert unknown.exit_code == 1 and "no tenant with slug 'nobody'" in unknown.stderr
