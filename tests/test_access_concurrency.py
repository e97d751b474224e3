"""Use counting is atomic: however many guards check a code in at once, it lets in at most `max_uses` people.

Over HTTP with two app instances on one database (two writers, as with two server processes), and in
separate transactions straight against the database, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from incidenthub.access import service
from incidenthub.access.schemas import AccessLogCreate
from incidenthub.app import create_app
from incidenthub.clock import utcnow
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.models import AccessSite
from tests.access_factories import code, logs, site
from tests.factories import Api


def _race(api: Api, settings: Settings, site_id: str, typed: str, attempts: int) -> Counter[int]:
    with TestClient(create_app(settings)) as other:
        clients = [api.client, other] * (attempts // 2) + [api.client] * (attempts % 2)
        body = {"site_id": site_id, "code": typed}
        with ThreadPoolExecutor(max_workers=attempts) as pool:
            answers = list(pool.map(lambda c: c.post("/v1/access-logs", json=body, headers=api.acme), clients))
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["errors"] == [{"field": "code", "message": "used_up"}]
    return Counter(answer.status_code for answer in answers)


def test_a_single_use_code_lets_one_of_twenty_concurrent_check_ins_in(
    api: Api, client: TestClient, settings: Settings
) -> None:
    where = site(client, api.acme)
    made = code(client, api.acme, where["site_id"])
    assert _race(api, settings, where["site_id"], made["code"], 20) == Counter({201: 1, 409: 19})
    stored = client.get(f"/v1/access-codes/{made['access_code_id']}", headers=api.acme).json()
    assert (stored["uses"], stored["status"]) == (1, "used_up")
    assert logs(client, api.acme, status="inside")["total"] == 1
    denied = logs(client, api.acme, status="denied", limit=100)
    assert denied["total"] == 19 and {e["denial_reason"] for e in denied["data"]} == {"used_up"}


@pytest.mark.parametrize("max_uses", [2, 5])
def test_max_uses_n_lets_exactly_n_of_3n_concurrent_check_ins_in(
    api: Api, client: TestClient, settings: Settings, max_uses: int
) -> None:
    where = site(client, api.acme)
    made = code(client, api.acme, where["site_id"], max_uses=max_uses)
    result = _race(api, settings, where["site_id"], made["code"], 3 * max_uses)
    assert result == Counter({201: max_uses, 409: 2 * max_uses})
    assert client.get(f"/v1/access-codes/{made['access_code_id']}", headers=api.acme).json()["uses"] == max_uses
    assert client.get("/v1/access-logs/current", headers=api.acme).json()["total"] == max_uses


def test_separate_transactions_racing_take_no_more_uses_than_allowed(
    api: Api, client: TestClient, database: Database
) -> None:
    """Below the write path: each check-in in its own transaction and connection, all released at once."""
    where = site(client, api.acme)
    made = code(client, api.acme, where["site_id"], max_uses=3)
    with database.read_sessions() as session:
        stored_site = session.get(AccessSite, where["site_id"])
        assert stored_site is not None
        caller = service.Caller(stored_site.tenant_id, "key_race", 100)
    body = AccessLogCreate(site_id=where["site_id"], code=made["code"])
    start = threading.Barrier(9)

    def attempt(_: int) -> Any:
        start.wait()
        with database.transaction() as session:
            return service.check_in(session, caller, body, utcnow()).denied

    with ThreadPoolExecutor(max_workers=9) as pool:
        outcomes = Counter(pool.map(attempt, range(9)))
    assert outcomes == Counter({None: 3, "used_up": 6})
    assert client.get(f"/v1/access-codes/{made['access_code_id']}", headers=api.acme).json()["uses"] == 3
