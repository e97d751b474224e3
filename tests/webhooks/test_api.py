"""The webhooks API: create, read, change, delete; errors naming the field; scope; tenants kept apart; SSRF."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.models import WebhookEndpoint
from tests.factories import Api
from tests.webhooks.conftest import app_with


def _count(database: Database) -> int:
    with database.read_sessions() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


def test_create_shows_the_secret_once_then_read_change_and_delete(api: Api) -> None:
    made = api.client.post(
        "/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["incident.*"], "description": "CAD bridge"},
        headers=api.acme,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    webhook_id, secret = body["webhook_id"], body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert (body["kind"], body["events"], body["active"], body["disabled_reason"]) == (
        "webhook",
        ["incident.*"],
        True,
        None,
    )
    read = api.client.get(f"/v1/webhooks/{webhook_id}", headers=api.acme)
    assert read.status_code == 200 and "secret" not in read.json()
    # Sety's base path answers too.
    assert api.client.get(f"/v1/external/webhooks/{webhook_id}", headers=api.acme).status_code == 200
    listed = api.client.get("/v1/webhooks", headers=api.acme).json()
    assert [w["webhook_id"] for w in listed["data"]] == [webhook_id] and listed["total"] == 1
    assert "secret" not in listed["data"][0]

    changed = api.client.patch(f"/v1/webhooks/{webhook_id}", json={"events": ["*"], "active": False}, headers=api.acme)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["events"], changed.json()["active"], changed.json()["description"]) == (
        ["*"],
        False,
        "CAD bridge",
    )
    assert api.client.delete(f"/v1/webhooks/{webhook_id}", headers=api.acme).status_code == 204
    gone = api.client.get(f"/v1/webhooks/{webhook_id}", headers=api.acme)
    assert gone.status_code == 404 and gone.json()["code"] == 404 and webhook_id in gone.json()["message"]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_made(api: Api, database: Database) -> None:
    cases = [
        ({"url": "ftp://127.0.0.1/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://127.0.0.1:9/", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/", "events": ["incident created"]}, "events.0"),
        ({"url": "http://127.0.0.1:9/", "secret": "mine"}, "secret"),
        ({}, "url"),
    ]
    for body, field in cases:
        answer = api.client.post("/v1/webhooks", json=body, headers=api.acme)
        assert answer.status_code == 422, (body, answer.text)
        problem = answer.json()
        assert problem["code"] == 422 and field in [e["field"] for e in problem["errors"]], (body, problem)
    assert _count(database) == 0
    made = api.client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/"}, headers=api.acme).json()
    refused = api.client.patch(f"/v1/webhooks/{made['webhook_id']}", json={"url": "gopher://x"}, headers=api.acme)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "url"
    nulled = api.client.patch(f"/v1/webhooks/{made['webhook_id']}", json={"active": None}, headers=api.acme)
    assert nulled.status_code == 422 and nulled.json()["errors"][0]["field"] == "active"
    assert api.client.get(f"/v1/webhooks/{made['webhook_id']}", headers=api.acme).json()["url"] == "http://127.0.0.1:9/"


def test_a_key_without_webhooks_manage_gets_403(api: Api, database: Database) -> None:
    reader = api.key(["incidents:read", "incidents:write"])
    answer = api.client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/"}, headers=reader)
    assert answer.status_code == 403 and answer.json()["code"] == 403
    assert api.client.get("/v1/webhooks", headers=reader).status_code == 403
    assert _count(database) == 0
    manager = api.key(["webhooks:manage"])
    assert api.client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/"}, headers=manager).status_code == 201
    assert api.client.get("/v1/webhooks", headers={}).status_code == 401


def test_another_tenants_webhook_answers_404_and_is_left_alone(api: Api) -> None:
    made = api.client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/"}, headers=api.acme).json()
    webhook_id = made["webhook_id"]
    paths = [
        ("GET", f"/v1/webhooks/{webhook_id}", None),
        ("PATCH", f"/v1/webhooks/{webhook_id}", {"active": False}),
        ("DELETE", f"/v1/webhooks/{webhook_id}", None),
        ("POST", f"/v1/webhooks/{webhook_id}/rotate-secret", None),
        ("POST", f"/v1/webhooks/{webhook_id}/test", None),
        ("GET", f"/v1/webhooks/{webhook_id}/deliveries", None),
        ("POST", f"/v1/webhooks/{webhook_id}/deliveries/whd_nope/redeliver", None),
    ]
    for method, path, body in paths:
        answer = api.client.request(method, path, json=body, headers=api.globex)
        assert answer.status_code == 404, (method, path, answer.text)
    assert api.client.get("/v1/webhooks", headers=api.globex).json()["total"] == 0
    still = api.client.get(f"/v1/webhooks/{webhook_id}", headers=api.acme).json()
    assert still["active"] is True


def test_internal_addresses_are_refused_unless_their_network_is_allowed(settings: Settings, database: Database) -> None:
    api_settings = settings.model_copy(update={"webhook_allowed_networks": ""})
    with app_with(api_settings) as client:
        api = Api(client, database)
        for url in [
            "http://localhost:8080/hook",  # a name that resolves to 127.0.0.1
            "http://127.0.0.1/hook",
            "http://[::1]/hook",
            "http://10.1.2.3/hook",
            "http://192.168.0.10/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://224.0.0.1/",
            "http://0.0.0.0/",
        ]:
            answer = client.post("/v1/webhooks", json={"url": url}, headers=api.acme)
            assert answer.status_code == 422, (url, answer.text)
            assert answer.json()["errors"][0]["field"] == "url", url
            assert "INCIDENTHUB_WEBHOOK_ALLOWED_NETWORKS" in answer.json()["errors"][0]["message"]
        assert _count(database) == 0
    # The operator allows the loopback network: the same name is accepted.
    with app_with(settings, webhook_allowed_networks="127.0.0.0/8") as client:
        answer = client.post("/v1/webhooks", json={"url": "http://localhost:8080/hook"}, headers=api.acme)
        assert answer.status_code == 201, answer.text
        private = client.post("/v1/webhooks", json={"url": "http://10.1.2.3/hook"}, headers=api.acme)
        assert private.status_code == 422


def test_list_pages(api: Api, client: TestClient) -> None:
    for n in range(3):
        assert client.post("/v1/webhooks", json={"url": f"http://127.0.0.1:9/{n}"}, headers=api.acme).status_code == 201
    first = client.get("/v1/webhooks?limit=2", headers=api.acme).json()
    second = client.get("/v1/webhooks?limit=2&page=2", headers=api.acme).json()
    assert (first["total"], first["has_more"], len(first["data"])) == (3, True, 2)
    assert (second["has_more"], [w["url"] for w in second["data"]]) == (False, ["http://127.0.0.1:9/2"])
    assert client.get("/v1/webhooks?limit=0", headers=api.acme).status_code == 422
