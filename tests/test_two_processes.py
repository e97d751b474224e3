"""Two server processes on one database keep every invariant of an incident under concurrent writes.

Each process has its own writer; only the database (row locks on PostgreSQL, the write lock on SQLite)
keeps them from interleaving a read-modify-write of one incident.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from incidenthub.db import Database
from tests.devrev.live import free_port
from tests.factories import bearer, make_key, make_tenant

LIFECYCLE = ["created", "dispatching", "assigned", "responding", "on_scene", "resolved"]


def _start(database_url: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "INCIDENTHUB_DATABASE_URL": database_url, "INCIDENTHUB_LOG_LEVEL": "warning"}
    command = [sys.executable, "-c", "from incidenthub.cli import main; main()", "serve", "--port", str(port)]
    if "--workers" in subprocess.run([*command[:4], "serve", "--help"], capture_output=True, text=True).stdout:
        command += ["--workers", "1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def servers(database_url: str, database: Database, tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Two `incidenthub serve` processes on the test's database, and an all-scopes key of tenant acme."""
    make_tenant(database, "acme")
    key = make_key(database, "acme", ["*"])
    started = [_start(database_url, tmp_path / f"server{i}.log") for i in range(2)]
    try:
        for process, url in started:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {(tmp_path / 'server0.log').read_text()}")
                time.sleep(0.1)
        yield [url for _, url in started], bearer(key)
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            process.wait(timeout=30)


def _concurrently(urls: list[str], count: int, call: Callable[[httpx.Client, int], httpx.Response]) -> list[int]:
    """`count` calls spread over both servers at once, each on a connection of its own; their status codes."""

    def one(index: int) -> int:
        with httpx.Client(base_url=urls[index % len(urls)], timeout=60) as client:
            return call(client, index).status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


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


def _concurrent_status_changes_leave_a_valid_lifecycle(servers: tuple[list[str], dict[str, str]]) -> None:
    urls, headers = servers
    for _ in range(3):
        incident_id = _create(urls, headers)
        targets = [random.choice([*LIFECYCLE[1:], "cancelled"]) for _ in range(50)]  # noqa: S311

        def change(client: httpx.Client, i: int, incident_id: str = incident_id, targets: list[str] = targets) -> Any:
            return client.post(f"/v1/incidents/{incident_id}/status", json={"status": targets[i]}, headers=headers)

        codes = _concurrently(urls, 50, change)
        assert set(codes) <= {200, 409}, codes
        incident = _incident(urls, headers, incident_id)
        statuses = [event["event"] for event in incident["timeline"] if event["event"] != "created"]
        assert len(statuses) == codes.count(200)
        # Forward only, and nothing after a final state.
        ranks = [LIFECYCLE.index(s) if s in LIFECYCLE else len(LIFECYCLE) for s in statuses]
        assert ranks == sorted(set(ranks)), statuses
        assert not (incident["resolved_at"] and incident["cancelled_at"])
        assert incident["revision"] == 1 + len(statuses)


def _concurrent_notes_are_all_kept(servers: tuple[list[str], dict[str, str]]) -> None:
    urls, headers = servers
    incident_id = _create(urls, headers)
    codes = _concurrently(
        urls,
        50,
        lambda client, i: client.post(f"/v1/incidents/{incident_id}/notes", json={"note": f"n{i}"}, headers=headers),
    )
    assert codes == [201] * 50
    incident = _incident(urls, headers, incident_id)
    assert sorted(note["note"] for note in incident["notes"]) == sorted(f"n{i}" for i in range(50))
    assert incident["revision"] == 51
    assert len(incident["timeline"]) == 51


def _concurrent_devrev_updates_each_make_one_revision(servers: tuple[list[str], dict[str, str]]) -> None:
    urls, headers = servers
    devrev = {"Authorization": headers["Authorization"].removeprefix("Bearer ")}
    created = httpx.post(f"{urls[0]}/incidents.create", json={"title": "t"}, headers=devrev, timeout=30)
    assert created.status_code == 201, created.text
    don = created.json()["incident"]["id"]
    codes = _concurrently(
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
    codes = _concurrently(
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
    codes = _concurrently(
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
    """One pair of servers (starting them is the slow part) for every check."""
    _concurrent_status_changes_leave_a_valid_lifecycle(servers)
    _concurrent_notes_are_all_kept(servers)
    _concurrent_devrev_updates_each_make_one_revision(servers)
    _concurrent_assignments_keep_one_primary_and_one_incident_per_unit(servers)
