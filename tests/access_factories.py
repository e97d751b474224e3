"""Helpers for the access-control tests: a site, a code, a check-in, through the real API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

GUARD_PHONE = "+2348031112222"
VISITOR = {"name": "Chidi Okeke", "phone": "+2348012345678", "email": "chidi@example.com", "reference": "BK-7"}
HOST = {"name": "Ada Eze", "unit": "Flat 4B", "phone": "+2348099990000"}


def site(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"name": "Palm Court Estate", "timezone": "Africa/Lagos", "gates": ["main", "back"], **overrides}
    response = client.post("/v1/sites", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def code(client: TestClient, headers: dict[str, str], site_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"site_id": site_id, "visitor": VISITOR, "host": HOST, "purpose": "dinner", **overrides}
    response = client.post("/v1/access-codes", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def check_in(client: TestClient, headers: dict[str, str], site_id: str, **fields: Any) -> Any:
    return client.post("/v1/access-logs", json={"site_id": site_id, **fields}, headers=headers)


def walk_in(client: TestClient, headers: dict[str, str], site_id: str, **fields: Any) -> dict[str, Any]:
    body = {"visitor": {"name": "Walk In"}, "host": {"name": "Reception"}, **fields}
    response = check_in(client, headers, site_id, **body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def logs(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/v1/access-logs", params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found
