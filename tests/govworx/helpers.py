"""GovWorx door helper: a tenant in America/Chicago with an events:manage key, its calls, the seed payload."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from incidenthub.db import Database
from tests.factories import bearer, make_key, make_tenant

SEED = json.loads((Path(__file__).parent.parent / "data" / "govworx_seed_example.json").read_text())
URL = "/api/v1/external/incident"


class GovWorx:
    """A CAD uploading to GovWorx: PUTs, reads back through the native API."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self.client = client
        self.database = database
        make_tenant(database, "metro", timezone="America/Chicago")
        make_tenant(database, "other")
        self.headers = bearer(make_key(database, "metro", ["events:manage", "incidents:read"]))
        self.other = bearer(make_key(database, "other", ["*"]))

    def seed(self, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = copy.deepcopy(SEED)
        for key, value in changes.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def put(self, body: dict[str, Any], query: str = "", headers: dict[str, str] | None = None) -> Response:
        return self.client.put(URL + query, json=body, headers=self.headers if headers is None else headers)

    def upload(self, body: dict[str, Any], query: str = "") -> dict[str, Any]:
        response = self.put(body, query)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def incident(self, incident_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/incidents/{incident_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def by_sys_id(self, sys_id: str) -> list[dict[str, Any]]:
        response = self.client.get(
            "/v1/incidents", params={"source": "govworx", "external_id": sys_id}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def count(self) -> int:
        total: int = self.client.get("/v1/incidents", headers=self.headers).json()["total"]
        return total
