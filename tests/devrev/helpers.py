"""Calls of the DevRev door as its clients make them: `Authorization: <key>`, JSON bodies."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from incidenthub.db import Database
from incidenthub.models import Incident, Tenant
from tests.factories import Snapshot, make_key, make_tenant, snapshot


class DevRev:
    """Tenants `acme` and `globex`, each with an all-scopes key sent the TS SDK's way (no `Bearer `)."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self.client = client
        self.database = database
        make_tenant(database, "acme")
        make_tenant(database, "globex")
        self.acme = {"Authorization": make_key(database, "acme", ["*"])}
        self.globex = {"Authorization": make_key(database, "globex", ["*"])}

    def key(self, scopes: list[str], tenant: str = "acme") -> dict[str, str]:
        return {"Authorization": make_key(self.database, tenant, scopes)}

    def post(self, op: str, body: Any, headers: dict[str, str] | None = None) -> Response:
        return self.client.post(f"/incidents.{op}", json=body, headers=headers or self.acme)

    def get(self, op: str, params: Any = None, headers: dict[str, str] | None = None) -> Response:
        return self.client.get(f"/incidents.{op}", params=params, headers=headers or self.acme)

    def create(self, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.post("create", body or {"title": "Database down"}, headers)
        assert response.status_code == 201, response.text
        incident: dict[str, Any] = response.json()["incident"]
        return incident

    def update(self, body: dict[str, Any]) -> Response:
        return self.post("update", body)

    def count(self) -> int:
        with self.database.read_sessions() as session:
            return session.scalar(select(func.count()).select_from(Incident)) or 0

    def snapshot(self) -> Snapshot:
        """Everything a failed request must leave as it was: every row of every table."""
        return snapshot(self.database)

    def set_settings(self, slug: str, devrev: dict[str, Any]) -> None:
        with self.database.transaction() as session:
            tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
            assert tenant is not None
            tenant.settings = {**(tenant.settings or {}), "devrev": devrev}


def assert_devrev_error(response: Response, status: int, type_: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["type"] == type_, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert body["field_name"] == field, body
    return body
