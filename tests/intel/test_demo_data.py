"""`incidenthub demo-data`: realistic synthetic incidents through the write path, the same for the same seed."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from incidenthub.adapters.govworx import demo
from incidenthub.cli import app
from incidenthub.config import get_settings
from incidenthub.db import Database
from incidenthub.incidents.safety_repository import SafetyRepository
from incidenthub.models import Incident
from tests.factories import make_tenant
from tests.intel.test_aggregates import _tenant_id, assert_sums_match_a_recomputation

runner = CliRunner()
UNTIL = "2026-11-01T12:00:00Z"


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def generate(slug: str, count: int, city: str = "nyc", seed: int = 1) -> dict[str, Any]:
    args = ["demo-data", "--tenant", slug, "--incidents", str(count), "--city", city]
    result = runner.invoke(app, [*args, "--days", "120", "--seed", str(seed), "--until", UNTIL])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def incidents(database: Database, slug: str) -> list[dict[str, Any]]:
    tenant_id = _tenant_id(database, slug)
    columns = (
        Incident.incident_type,
        Incident.category,
        Incident.severity,
        Incident.priority,
        Incident.latitude,
        Incident.longitude,
        Incident.call_received_at,
        Incident.is_drill,
        Incident.resolution_outcome,
        Incident.source,
    )
    with database.read_sessions() as session:
        rows = session.execute(select(*columns).where(Incident.tenant_id == tenant_id))
        return [dict(row._mapping) for row in rows]


def test_demo_data_writes_classified_clustered_incidents_with_a_daily_rhythm(cli_env: str, database: Database) -> None:
    make_tenant(database, "nyc", timezone="America/New_York")
    summary = generate("nyc", 1000)
    assert summary["created"] == 1000 and summary["unchanged"] == 0
    assert summary["per_second"] > 0 and len(summary["hot_spots"]) == len(demo.CITIES["nyc"].hot_spots)
    rows = incidents(database, "nyc")
    assert len(rows) == 1000 and {row["source"] for row in rows} == {"govworx"}

    # Classification made the categories and severities from the CAD's types and priorities.
    meant = {incident_type: category for category, types in demo.TYPES.items() for incident_type in types}
    assert all(row["category"] == meant[row["incident_type"]] for row in rows)
    categories = Counter(row["category"] for row in rows)
    assert set(categories) == set(demo.TYPES) and min(categories.values()) >= 20, categories
    assert set(Counter(row["severity"] for row in rows)) == {"critical", "high", "medium", "low"}

    # Inside the city's box, and clustered: most within 2 km of a hot spot.
    min_lon, min_lat, max_lon, max_lat = demo.CITIES["nyc"].box
    assert all(min_lat <= r["latitude"] <= max_lat and min_lon <= r["longitude"] <= max_lon for r in rows)

    def near_a_hot_spot(row: dict[str, Any]) -> bool:
        return any(
            math.dist(
                (row["latitude"] * 111.32, row["longitude"] * 111.32 * math.cos(math.radians(spot.latitude))),
                (spot.latitude * 111.32, spot.longitude * 111.32 * math.cos(math.radians(spot.latitude))),
            )
            < 2.0
            for spot in demo.CITIES["nyc"].hot_spots
        )

    assert sum(map(near_a_hot_spot, rows)) > 0.55 * len(rows)

    # Threats by night, vehicles at the rush hours (New York time), spread over the last 120 days.
    def share(category: str, hours: set[int]) -> float:
        local = [
            r["call_received_at"].astimezone(ZoneInfo("America/New_York")) for r in rows if r["category"] == category
        ]
        return sum(at.hour in hours for at in local) / len(local)

    assert share("location_threat", {20, 21, 22, 23, 0, 1, 2}) > 0.38  # 7 of 24 hours
    assert share("vehicle", {7, 8, 16, 17, 18}) > 0.32  # 5 of 24 hours
    received = sorted(r["call_received_at"] for r in rows)
    assert (received[-1] - received[0]).days >= 110 and received[-1].isoformat() < "2026-11-01T12"

    # Drills and false alarms are written but left out of the aggregates, which equal a recomputation.
    assert summary["drills"] == sum(r["is_drill"] for r in rows)
    assert summary["false_alarms"] == sum(r["resolution_outcome"] == "false_alarm" for r in rows) > 0
    points, _cells = assert_sums_match_a_recomputation(database, _tenant_id(database, "nyc"))
    assert points == 1000 - summary["drills"] - summary["false_alarms"]


def test_demo_data_is_the_same_for_a_seed_and_repeats_change_nothing(cli_env: str, database: Database) -> None:
    for slug in ("first", "second", "third"):
        make_tenant(database, slug, timezone="Africa/Lagos")
    generate("first", 200, city="lagos", seed=7)
    generate("second", 200, city="lagos", seed=7)
    generate("third", 200, city="lagos", seed=8)

    def content(slug: str) -> Counter[tuple[Any, ...]]:
        return Counter(tuple(row.values()) for row in incidents(database, slug))

    assert content("first") == content("second")
    assert content("first") != content("third")
    # The same seed again into the same tenant: the CAD sent the same calls again, so nothing new.
    again = generate("first", 200, city="lagos", seed=7)
    assert (again["created"], again["unchanged"]) == (0, 200)
    assert len(incidents(database, "first")) == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nobody", "--incidents", "5", "--city", "lagos"], "no tenant with slug 'nobody'"),
        (["--tenant", "t", "--incidents", "5", "--city", "paris"], "--city must be one of lagos, nyc"),
        (["--tenant", "t", "--incidents", "0", "--city", "lagos"], "--incidents"),
        (["--tenant", "t", "--incidents", "5", "--city", "nyc", "--until", "yesterday"], "--until"),
    ],
)
def test_bad_demo_data_options_are_refused_naming_them(
    cli_env: str, database: Database, args: list[str], message: str
) -> None:
    make_tenant(database, "t")
    result = runner.invoke(app, ["demo-data", *args])
    assert result.exit_code != 0
    assert message in result.stderr
    with database.read_sessions() as session:
        assert SafetyRepository(session).counts(_tenant_id(database, "t")) == {"points": 0, "cells": 0, "hours": 0}
        assert session.scalar(select(Incident.id).limit(1)) is None
