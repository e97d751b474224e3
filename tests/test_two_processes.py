"""Two server processes on one database keep every invariant of an incident under concurrent writes.

Each process has its own writer; only the database (row locks on PostgreSQL, the write lock on SQLite)
keeps them from interleaving a read-modify-write of one incident.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.two_servers import concurrently


def _incident(urls: list[str], headers: dict[str, str], incident_id: str) -> dict[str, Any]:
    response = httpx.get(f"{urls[0]}/v1/incidents/{incident_id}", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _create(urls: list[str], headers: dict[str, str]) -> str:
    response = httpx.post(f"{urls[0]}/v1/incidents", json={"category": "fire"}, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["incident"]["incident_id"]
    return incident_id


def _concurrent_devrev_updates_each_make_one_revision(servers: tuple[list[str], dict[str, str]]) -> None:
    urls, headers = servers
    devrev = {"Authorization": headers["Authorization"].removeprefix("Bearer ")}
    created = httpx.post(f"{urls[0]}/incidents.create", json={"title": "t"}, headers=devrev, timeout=30)
    assert created.status_code == 201, created.text
    don = created.json()["incident"]["id"]
    codes = concurrently(
        urls, 50, lambda client, i: client.post("/incidents.update", json={"id": don, "title": f"t{i}"}, headers=devrev)
    )
    assert codes == [200] * 50
    incident = httpx.post(f"{urls[0]}/incidents.get", json={"id": don}, headers=devrev, timeout=30).json()["incident"]
    native = _incident(urls, headers, incident["display_id"] and _native_id(urls, headers, don))
    assert native["revision"] == 51
    assert len(native["timeline"]) == 51


def _native_id(urls: list[str], headers: dict[str, str], don: str) -> str:
    page = httpx.get(f"{urls[0]}/v1/incidents", params={"external_id": don}, headers=headers, timeout=30).json()
    incident_id: str = page["data"][0]["incident_id"]
    return incident_id


def _concurrent_assignments_keep_one_primary_and_one_incident_per_unit(
    servers: tuple[list[str], dict[str, str]],
) -> None:
    urls, headers = servers
    incident_id = _create(urls, headers)
    codes = concurrently(
        urls,
        20,
        lambda client, i: client.post(
            f"/v1/incidents/{incident_id}/assignments",
            json={"call_sign": f"U{i}", "is_primary": True},
            headers=headers,
        ),
    )
    assert codes == [201] * 20
    responders = _incident(urls, headers, incident_id)["responders"]
    assert len(responders) == 20
    assert sum(r["is_primary"] for r in responders) == 1

    # One unit sent to ten incidents at once ends up on exactly one of them.
    others = [_create(urls, headers) for _ in range(10)]
    codes = concurrently(
        urls,
        10,
        lambda client, i: client.post(
            f"/v1/incidents/{others[i]}/assignments", json={"call_sign": "SOLO"}, headers=headers
        ),
    )
    assert codes == [201] * 10
    holding = [
        other for other in others if any(r["cleared_at"] is None for r in _incident(urls, headers, other)["responders"])
    ]
    assert len(holding) == 1


def test_two_processes_keep_every_invariant(servers: tuple[list[str], dict[str, str]]) -> None:
    """One pair of servers (starting them is the slow part) for every check (notes, status changes and one
    source id through every door: tests/test_concurrency.py)."""
    _concurrent_devrev_updates_each_make_one_revision(servers)
    _concurrent_assignments_keep_one_primary_and_one_incident_per_unit(servers)
