"""The delivery worker as operators meet it: an endpoint that keeps failing is disabled and says why, a name that
now resolves inside is refused at delivery, several server processes deliver each event once."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from incidenthub.config import Settings
from incidenthub.db import Database
from tests.factories import Api
from tests.webhooks.conftest import app_with
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import deliveries, settled, subscribe


def _read(client: TestClient, api: Api, webhook_id: str) -> dict[str, Any]:
    answer = client.get(f"/v1/webhooks/{webhook_id}", headers=api.acme)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_an_endpoint_failing_for_the_whole_period_is_disabled_and_says_why(
    settings: Settings, database: Database, hook: Receiver
) -> None:
    hook.default = (500, {})
    with app_with(settings, webhook_disable_after_seconds=1.0) as client:
        api = Api(client, database)
        webhook = subscribe(api, hook.url)
        api.create_id()
        deadline = time.monotonic() + 15
        while (read := _read(client, api, webhook["webhook_id"]))["active"]:
            assert time.monotonic() < deadline, read
            time.sleep(0.05)
        assert "failed since" in read["disabled_reason"] and "HTTP 500" in read["disabled_reason"]
        # Disabled: nothing more is sent, the delivery waits.
        time.sleep(0.3)
        sent = len(hook.received)
        time.sleep(0.3)
        assert len(hook.received) == sent >= 2
        [pending] = deliveries(api, webhook["webhook_id"])
        assert pending["status"] == "pending"
        # The receiver is fixed and the endpoint enabled again: the waiting delivery goes out.
        hook.default = (200, {})
        enabled = client.patch(f"/v1/webhooks/{webhook['webhook_id']}", json={"active": True}, headers=api.acme)
        assert enabled.status_code == 200 and enabled.json()["disabled_reason"] is None
        [delivery] = settled(api, webhook["webhook_id"], 1)
        assert delivery["status"] == "delivered"


def test_a_failing_endpoint_that_recovers_stays_enabled(settings: Settings, database: Database, hook: Receiver) -> None:
    hook.script = [(500, {}), (500, {})]
    with app_with(settings, webhook_disable_after_seconds=60.0) as client:
        api = Api(client, database)
        webhook = subscribe(api, hook.url)
        api.create_id()
        settled(api, webhook["webhook_id"], 1)
        read = _read(client, api, webhook["webhook_id"])
        assert read["active"] is True and read["disabled_reason"] is None


def test_an_address_no_longer_allowed_is_refused_at_delivery(
    settings: Settings, database: Database, hook: Receiver
) -> None:
    with app_with(settings, webhook_worker=False) as client:
        api = Api(client, database)
        webhook = subscribe(api, hook.url.replace("127.0.0.1", "localhost"))
        api.create_id()
    # The operator narrows the allowed networks; the worker checks again before it sends.
    with app_with(settings, webhook_allowed_networks="10.0.0.0/8") as client:
        [delivery] = settled(_Reader(client, api), webhook["webhook_id"], 1)  # type: ignore[arg-type]
    assert hook.received == []
    assert delivery["status"] == "failed" and "internal address" in delivery["last_error"]


class _Reader:
    """Api's calls over another client (the tenants and keys already made)."""

    def __init__(self, client: TestClient, api: Api) -> None:
        self.client, self.acme = client, api.acme


def test_two_server_processes_deliver_each_event_once(settings: Settings, database: Database, hook: Receiver) -> None:
    # Two apps over one database, each with its worker: SQLite lets one of them run, PostgreSQL shares the work.
    with app_with(settings) as first, app_with(settings) as second:
        api = Api(first, database)
        subscribe(api, hook.url)
        made = []
        for n in range(12):
            client = first if n % 2 else second
            answer = client.post("/v1/incidents", json={"category": "sos"}, headers=api.acme)
            assert answer.status_code == 201
            made.append(answer.json()["incident"]["incident_id"])
        hook.wait_for(12)
        time.sleep(0.5)
    ids = [r.headers["webhook-id"] for r in hook.received]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert sorted(r.json["incident_id"] for r in hook.received) == sorted(made)
