"""Calls of the DevRev door as its clients make them: `Authorization: <key>`, JSON bodies."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from incidenthub.db import Database
from incidenthub.models import Incident, Tenant, TimelineEvent
from tests.factories import make_key, make_tenant

# Every column a DevRev request may write.
SNAPSHOT_COLUMNS = (
    "id",
    "revision",
    "updated_at",
    "created_at",
    "title",
    "description",
    "stage",
    "status",
    "severity",
    "number",
    "owners",
    "stakeholders",
    "tags",
    "custom_fields",
    "extra_metadata",
    "raw_payload",
    "source_created_at",
    "acknowledged_at",
    "identified_at",
    "mitigated_at",
    "target_close_at",
    "closed_at",
    "resolved_at",
)


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

    def snapshot(self) -> tuple[Any, ...]:
        """Everything a failed request must leave as it was."""
        with self.database.read_sessions() as session:
            rows = session.execute(select(Incident).order_by(Incident.id)).scalars().all()
            events = session.scalar(select(func.count()).select_from(TimelineEvent))
            from incidenthub.models import Tag

            tags = session.scalar(select(func.count()).select_from(Tag))
            return (
                tuple(tuple(getattr(r, column) for column in SNAPSHOT_COLUMNS) for r in rows),
                events,
                tags,
            )

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
