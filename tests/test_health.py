"""Health check and API documentation."""

from __future__ import annotations

import re
import shutil

from fastapi.testclient import TestClient

from incidenthub.app import create_app
from incidenthub.config import Settings


def test_health_needs_no_key_and_reports_the_database(client: TestClient) -> None:
    for path in ("/v1/health", "/v1/external/health"):
        response = client.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok" and body["api_version"] == "v1" and body["database"] == "ok"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["timestamp"])


def test_health_says_when_the_database_does_not_answer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "not-a-dir" / "x.db"
    settings = Settings(database_url=f"sqlite:///{missing}")
    with TestClient(create_app(settings)) as client:
        # The engine made the folder (and the rate-limit counters their file in it): take it away so SQLite
        # cannot open the database.
        shutil.rmtree(missing.parent)
        response = client.get("/v1/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/v1/health",
        "/v1/incidents",
        "/v1/incidents/{incident_id}",
        "/v1/incidents/{incident_id}/notes",
        "/v1/incidents/{incident_id}/cancel",
        "/v1/incidents/{incident_id}/status",
    ):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 200
