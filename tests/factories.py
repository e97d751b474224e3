"""Helpers that set up tenants and keys through the real services, and call the API."""

from __future__ import annotations

import functools
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.models import Base


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


_BOOKKEEPING = frozenset({"rate_counters"})
Snapshot = dict[str, set[tuple[str | None, str]]]


@functools.cache
def _snapshot_sql(dialect: str) -> str:
    """One statement reading every row of every table as (its tenant, its stored values as one text).

    The values are read as the database stores them (SQLite's `quote()` of each column, PostgreSQL's text of
    the row), not through the models: one round trip and no conversion, so a snapshot is cheap enough to take
    after every case (there are hundreds)."""
    selects = []
    for table in Base.metadata.sorted_tables:
        if table.name in _BOOKKEEPING:
            continue
        columns = [f'"{name}"' for name in _columns(table.name)]
        if dialect == "postgresql":
            row = f"ROW({', '.join(columns)})::text"
        else:
            row = " || ',' || ".join(f"quote({column})" for column in columns)
        tenant = tenant_column(table.name)
        owner = f'CAST("{tenant}" AS TEXT)' if tenant else "NULL"
        # Names from our own models, not input.
        selects.append(f"SELECT '{table.name}', {owner}, {row} FROM \"{table.name}\"")  # noqa: S608
    return " UNION ALL ".join(selects)


def _columns(table: str) -> list[str]:
    """A table's columns, but a key's `last_used_at` (a valid key's use moves it on)."""
    return [c.name for c in Base.metadata.tables[table].columns if (table, c.name) != ("api_keys", "last_used_at")]


def tenant_column(table: str) -> str | None:
    if table == "tenants":
        return "id"
    return "tenant_id" if "tenant_id" in _columns(table) else None


def snapshot(database: Database) -> Snapshot:
    """Every row of every table (but a key's `last_used_at` and the request counters), with its tenant.

    What a refused request must leave as it was: compare one taken before it with one taken after."""
    tables: Snapshot = {t.name: set() for t in Base.metadata.sorted_tables if t.name not in _BOOKKEEPING}
    with database.read_engine.connect() as connection:
        for table, tenant, row in connection.exec_driver_sql(_snapshot_sql(database.dialect)):
            tables[table].add((tenant, row))
    return tables
