"""EIDO door helper: two tenants, keys with the scopes the door needs, and calls over the live app."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from jsonschema import Draft4Validator

from incidenthub.adapters.eido import validation
from incidenthub.db import Database
from tests.factories import bearer, make_key, make_tenant

DATA = Path(__file__).parent.parent / "data"
SEED: dict[str, Any] = json.loads((DATA / "govworx_seed_example.json").read_text())
GOVWORX = "/api/v1/external/incident"
IMPORT = "/v1/eido"


def schema_errors(document: Any) -> list[str]:
    """Every way `document` breaks NENA's schema (checked here with jsonschema directly, not the door's code)."""
    checker = Draft4Validator(validation.schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in checker.iter_errors(document)]


class Eido:
    """A partner CAD: uploads GovWorx payloads, reads EIDO documents, imports them."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self.client = client
        self.database = database
        make_tenant(database, "metro", timezone="America/Chicago")
        make_tenant(database, "partner")
        self.headers = bearer(make_key(database, "metro", ["events:manage", "incidents:read", "incidents:write"]))
        self.partner = bearer(make_key(database, "partner", ["incidents:read", "incidents:write"]))
        self.reader = bearer(make_key(database, "metro", ["incidents:read"]))

    def seed(self) -> dict[str, Any]:
        return copy.deepcopy(SEED)

    def upload(self, body: dict[str, Any]) -> str:
        response = self.client.put(GOVWORX, json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        incident_id: str = response.json()["id"]
        return incident_id

    def export(self, incident_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(f"/v1/incidents/{incident_id}/eido", headers=headers or self.headers)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        assert schema_errors(document) == []
        return document

    def post(self, document: Any, headers: dict[str, str] | None = None) -> Response:
        return self.client.post(IMPORT, json=document, headers=headers or self.headers)

    def imported(self, document: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.post(document, headers)
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    def native(self, incident_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(f"/v1/incidents/{incident_id}", headers=headers or self.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def count(self, headers: dict[str, str] | None = None) -> int:
        response = self.client.get("/v1/incidents", params={"limit": 1}, headers=headers or self.headers)
        assert response.status_code == 200, response.text
        total: int = response.json()["total"]
        return total
