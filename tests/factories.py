"""Helpers that set up tenants and keys through the real services, and call the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from incidenthub.auth import service as auth_service
from incidenthub.db import Database


def make_tenant(database: Database, slug: str, timezone: str = "UTC") -> str:
    with database.transaction() as session:
        return auth_service.create_tenant(session, name=slug.title(), slug=slug, timezone=timezone).id


def make_key(database: Database, slug: str, scopes: list[str], **kwargs: Any) -> str:
    with database.transaction() as session:
        return auth_service.create_key(session, slug, scopes, **kwargs).secret


def stored(incident: dict[str, Any]) -> dict[str, Any]:
    """The incident without `sla`, which is measured to the time of each read (so two reads differ)."""
    return {k: v for k, v in incident.items() if k != "sla"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


SOS = {
    "category": "sos",
    "severity": "critical",
    "idempotency_key": "session_abc123",
    "subject": {"name": "Amaka Obi", "phone": "+2348012345678", "reference": "TRIP-44821"},
    "location": {"coordinates": [3.3792, 6.5244], "address": "14 Bourdillon Road, Ikoyi, Lagos"},
}


class Api:
    """Two tenants with all-scope keys, and short calls against the app."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self.client = client
        self.database = database
        make_tenant(database, "acme")
        make_tenant(database, "globex")
        self.acme = bearer(make_key(database, "acme", ["*"]))
        self.globex = bearer(make_key(database, "globex", ["*"]))

    def key(self, scopes: list[str], tenant: str = "acme", **kwargs: Any) -> dict[str, str]:
        return bearer(make_key(self.database, tenant, scopes, **kwargs))

    def create(self, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Response:
        return self.client.post(
            "/v1/incidents", json=body or {"category": "sos"}, headers=self.acme if headers is None else headers
        )

    def create_id(self, body: dict[str, Any] | None = None) -> str:
        response = self.create(body)
        assert response.status_code == 201, response.text
        incident_id: str = response.json()["incident"]["incident_id"]
        return incident_id

    def get(self, incident_id: str, headers: dict[str, str] | None = None) -> Response:
        return self.client.get(f"/v1/incidents/{incident_id}", headers=self.acme if headers is None else headers)

    def incident(self, incident_id: str) -> dict[str, Any]:
        response = self.get(incident_id)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def total(self, headers: dict[str, str] | None = None) -> int:
        response = self.client.get("/v1/incidents", headers=self.acme if headers is None else headers)
        assert response.status_code == 200, response.text
        total: int = response.json()["total"]
        return total
