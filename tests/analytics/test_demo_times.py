"""`incidenthub demo-data` incidents carry call and unit times the analytics answers can judge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from incidenthub.config import get_settings
from incidenthub.db import Database
from tests.factories import bearer, make_key, make_tenant
from tests.intel.test_demo_data import generate


@pytest.fixture
def demo_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_demo_incidents_have_realistic_call_and_unit_times(
    demo_env: str, database: Database, client: TestClient
) -> None:
    make_tenant(database, "demo", timezone="America/New_York")
    assert generate("demo", 400)["created"] == 400
    headers = bearer(make_key(database, "demo", ["analytics:read"]))
    period = {"from_date": "2026-06-01", "to_date": "2026-11-01"}
    response = client.get("/v1/analytics/intervals", params=period, headers=headers)
    assert response.status_code == 200, response.text
    legs = {leg["leg"]: leg for leg in response.json()["groups"][0]["legs"]}
    assert all(leg["data_quality_issues"] == 0 for leg in legs.values())
    answer = legs["call_answer"]
    assert answer["count"] > 380 and answer["missing"] == 0
    assert 4 <= answer["p50"] <= 10 and 10 <= answer["p90"] <= 20
    turnout, travel = legs["turnout"], legs["travel"]
    assert 60 <= turnout["p50"] <= 90 and 240 <= travel["p50"] <= 360
    # A few milestones are missing, as in real feeds: counted, not zero.
    assert turnout["missing"] > 0 and travel["missing"] > 0 and legs["on_scene"]["missing"] > 0
    assert turnout["count"] > 400  # more units than incidents
    by_position = client.get("/v1/analytics/intervals", params={**period, "group_by": "call_position"}, headers=headers)
    assert len(by_position.json()["groups"]) == 12
    # The share beyond 20 s (the tail) shows in NENA's second target.
    nena = next(s for s in answer["standards"] if s["standard_id"] == "nena-sta-020.1-2020-call-answering")
    assert 90 <= nena["targets"][1]["percent_within"] < 100
