"""Concurrency across worker processes (issue 15, item 3): two `incidenthub serve` processes on one database,
50 threads at once through every door.

- One source id sent by 50 writers at once is one incident (GovWorx PUT `sysId`, native `idempotency_key`,
  EIDO `$id`). Sonoran (v1 `new_dispatch`, v2 `POST dispatch-calls`) and DevRev `incidents.create` carry no
  client source id (the server numbers the call / incident), so there 50 creates are 50 incidents with 50
  distinct numbers: none lost, none doubled.
- 50 notes at once on one incident are all kept, each once.
- 50 status changes at once leave a lifecycle the rules allow: the timeline is a chain of allowed steps
  (forward only, nothing after a final state) that ends in the incident's status.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.incidents.changes import FINAL, LIFECYCLE
from tests.factories import bearer, make_key
from tests.two_servers import concurrent_responses, concurrently

DATA = Path(__file__).parent / "data"
N = 50
Servers = tuple[list[str], dict[str, str]]


def _get(urls: list[str], headers: dict[str, str], path: str, **params: Any) -> Any:
    response = httpx.get(f"{urls[1]}{path}", params=params, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _by_source(urls: list[str], headers: dict[str, str], source: str, external_id: str) -> list[dict[str, Any]]:
    page = _get(urls, headers, "/v1/incidents", source=source, external_id=external_id, limit=100)
    found: list[dict[str, Any]] = page["data"]
    return found


def _one_incident_per_source_id(servers: Servers) -> None:
    urls, headers = servers
    # GovWorx: 50 PUTs of one sysId, each with its own disposition (the last committed wins, one record).
    seed = json.loads((DATA / "govworx_seed_example.json").read_text())

    def govworx(client: httpx.Client, i: int) -> httpx.Response:
        body = copy.deepcopy(seed) | {"sysId": "SYS-RACE", "disposition": f"D{i}"}
        return client.put("/api/v1/external/incident", json=body, headers=headers)

    answers = concurrent_responses(urls, N, govworx)
    assert [a.status_code for a in answers] == [200] * N, [a.text for a in answers if a.status_code != 200][:3]
    assert len({a.json()["id"] for a in answers}) == 1
    [stored] = _by_source(urls, headers, "govworx", "SYS-RACE")
    assert stored["incident_id"] == answers[0].json()["id"]

    # Native: 50 creates with one idempotency_key; one is created (201), the others get it back (200).
    body = {"category": "sos", "idempotency_key": "race-key", "subject": {"name": "Amaka"}}
    answers = concurrent_responses(urls, N, lambda c, i: c.post("/v1/incidents", json=body, headers=headers))
    codes = Counter(a.status_code for a in answers)
    assert codes == Counter({201: 1, 200: N - 1}), (codes, [a.text for a in answers if a.status_code >= 300][:3])
    assert len({a.json()["incident"]["incident_id"] for a in answers}) == 1
    assert len(_by_source(urls, headers, "native", "race-key")) == 1

    # EIDO: 50 imports of one document (its `$id`).
    document = json.loads((DATA / "eido_nena_example.json").read_text())
    answers = concurrent_responses(urls, N, lambda c, i: c.post("/v1/eido", json=document, headers=headers))
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers if a.status_code > 201][:3]
    assert sum(a.status_code == 201 for a in answers) == 1
    assert len({a.json()["incident_id"] for a in answers}) == 1
    assert len(_by_source(urls, headers, "eido", answers[0].json()["external_id"])) == 1


def _distinct_numbers_where_the_server_numbers(servers: Servers, database: Database) -> None:
    urls, _ = servers
    with database.transaction() as session:
        auth_service.create_tenant(session, "Metro", "metro", "UTC", "COMM-METRO")
    key = make_key(database, "metro", ["*"])
    metro = bearer(key)

    v1 = {"id": "COMM-METRO", "key": key, "type": "NEW_DISPATCH"}
    answers = concurrent_responses(
        urls,
        N,
        lambda c, i: c.post("/emergency/new_dispatch", json=v1 | {"data": [{"title": f"v1-{i}", "priority": 2}]}),
    )
    assert [a.status_code for a in answers] == [200] * N, [a.text for a in answers if a.status_code != 200][:3]
    v1_ids = [int(a.text.rsplit(" ", 1)[1]) for a in answers]

    call = {"origin": 0, "status": 1, "priority": 1, "communityUserIds": ["player-1"]}
    answers = concurrent_responses(
        urls,
        N,
        lambda c, i: c.post("/v2/emergency/servers/1/dispatch-calls", json=call | {"title": f"v2-{i}"}, headers=metro),
    )
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers if a.status_code > 201][:3]
    v2_ids = [a.json()["callId"] for a in answers]
    assert len(set(v1_ids + v2_ids)) == 2 * N, sorted(v1_ids + v2_ids)

    devrev = {"Authorization": key}
    answers = concurrent_responses(
        urls, N, lambda c, i: c.post("/incidents.create", json={"title": f"dr-{i}"}, headers=devrev)
    )
    assert [a.status_code for a in answers] == [201] * N, [a.text for a in answers if a.status_code != 201][:3]
    assert len({a.json()["incident"]["display_id"] for a in answers}) == N

    listed = [i for page in (1, 2) for i in _get(urls, metro, "/v1/incidents", limit=100, page=page)["data"]]
    assert len(listed) == 3 * N
    titles = Counter(incident["title"] for incident in listed)
    assert all(count == 1 for count in titles.values()), [t for t, c in titles.items() if c > 1]


def _create(urls: list[str], headers: dict[str, str]) -> str:
    response = httpx.post(f"{urls[0]}/v1/incidents", json={"category": "fire"}, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    incident_id: str = response.json()["incident"]["incident_id"]
    return incident_id


def _notes_are_all_kept(servers: Servers) -> None:
    urls, headers = servers
    incident_id = _create(urls, headers)
    codes = concurrently(
        urls,
        N,
        lambda client, i: client.post(f"/v1/incidents/{incident_id}/notes", json={"note": f"n{i}"}, headers=headers),
    )
    assert codes == [201] * N
    incident = _get(urls, headers, f"/v1/incidents/{incident_id}")
    assert sorted(note["note"] for note in incident["notes"]) == sorted(f"n{i}" for i in range(N))  # each once
    assert incident["revision"] == N + 1
    assert len(incident["timeline"]) == N + 1


def _allowed(current: str, target: str) -> bool:
    """The lifecycle's rule (incidents/changes.py): forward only, `cancelled` from any active state."""
    if current in FINAL:
        return False
    if target == "cancelled":
        return True
    return current in LIFECYCLE and LIFECYCLE.index(target) > LIFECYCLE.index(current)


def _status_changes_leave_a_valid_lifecycle(servers: Servers) -> None:
    urls, headers = servers
    rng = random.Random(15)  # noqa: S311 (the order of targets, not a secret)
    for _ in range(3):
        incident_id = _create(urls, headers)
        targets = [rng.choice([*LIFECYCLE[1:], "cancelled"]) for _ in range(N)]
        codes = concurrently(
            urls,
            N,
            lambda client, i, incident_id=incident_id, targets=targets: client.post(
                f"/v1/incidents/{incident_id}/status", json={"status": targets[i]}, headers=headers
            ),
        )
        assert set(codes) <= {200, 409}, codes
        incident = _get(urls, headers, f"/v1/incidents/{incident_id}")
        steps = [event["event"] for event in incident["timeline"] if event["event"] != "created"]
        assert len(steps) == codes.count(200) >= 1
        times = [event["timestamp"] for event in incident["timeline"]]
        assert times == sorted(times), "the timeline is out of order"
        current = "created"
        for step in steps:
            assert _allowed(current, step), f"{current} -> {step} in {steps}"
            current = step
        assert incident["status"] == current
        assert not (incident["resolved_at"] and incident["cancelled_at"])
        assert incident["revision"] == 1 + len(steps)


def test_concurrent_writers_across_two_processes(servers: Servers, database: Database) -> None:
    """One pair of servers (starting them is the slow part) for every check."""
    _one_incident_per_source_id(servers)
    _distinct_numbers_where_the_server_numbers(servers, database)
    _notes_are_all_kept(servers)
    _status_changes_leave_a_valid_lifecycle(servers)
