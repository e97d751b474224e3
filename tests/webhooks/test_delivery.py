"""Deliveries to a real receiver on 127.0.0.1: signed, retried, given up, sent again, in order per incident."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from incidenthub.clock import utcnow
from incidenthub.db import Database
from incidenthub.events.repository import envelope
from incidenthub.models import OutboxEvent
from incidenthub.webhooks import signing
from tests.factories import Api
from tests.webhooks.receiver import Receiver


def subscribe(
    api: Api, url: str, events: list[str] | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    answer = api.client.post("/v1/webhooks", json={"url": url, "events": events or ["*"]}, headers=headers or api.acme)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def deliveries(api: Api, webhook_id: str, query: str = "") -> list[dict[str, Any]]:
    answer = api.client.get(f"/v1/webhooks/{webhook_id}/deliveries{query}", headers=api.acme)
    assert answer.status_code == 200, answer.text
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def settled(api: Api, webhook_id: str, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
    """The endpoint's deliveries once `count` of them are no longer pending."""
    deadline = time.monotonic() + timeout
    while True:
        found = deliveries(api, webhook_id)
        if sum(d["status"] != "pending" for d in found) >= count:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.05)


def stored_event(database: Database, event_id: str) -> dict[str, Any]:
    with database.read_sessions() as session:
        row = session.query(OutboxEvent).filter_by(event_id=event_id).one()
        return envelope(row)


def test_an_event_arrives_signed_and_verifies_with_standard_webhooks(
    api: Api, hook: Receiver, database: Database
) -> None:
    webhook = subscribe(api, hook.url)
    incident_id = api.create_id()
    [request] = hook.wait_for(1)
    verified = Webhook(webhook["secret"]).verify(request.body, request.headers)
    assert verified["type"] == "incident.created" and verified["incident_id"] == incident_id
    # The body is the event's envelope, exactly; the webhook-id is the event's id.
    assert verified == stored_event(database, verified["id"])
    assert request.headers["webhook-id"] == verified["id"]
    assert request.headers["content-type"] == "application/json"
    assert verified["data"]["object"]["incident_id"] == incident_id

    tampered = request.body.replace(incident_id.encode(), b"inc_forged0000000000")
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook["secret"]).verify(tampered, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(request.body, request.headers)
    # Replayed later: a correctly signed message with a timestamp ten minutes old is refused.
    old = signing.headers(
        request.headers["webhook-id"], utcnow() - timedelta(minutes=10), request.body.decode(), [webhook["secret"]]
    )
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(webhook["secret"]).verify(request.body, old)

    [delivery] = settled(api, webhook["webhook_id"], 1)
    assert (delivery["status"], delivery["attempts"], delivery["event_id"]) == ("delivered", 1, verified["id"])
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] == 200 and attempt["response_excerpt"] == "answer 200"
    assert attempt["duration_ms"] >= 0 and attempt["error"] is None


def test_failures_are_retried_with_backoff_honouring_retry_after_then_delivered(api: Api, hook: Receiver) -> None:
    hook.script = [(500, {}), (429, {"Retry-After": "1"}), (503, {})]
    webhook = subscribe(api, hook.url)
    api.create_id()
    requests = hook.wait_for(4)
    assert len({r.headers["webhook-id"] for r in requests}) == 1  # the same message every time
    assert len({r.body for r in requests}) == 1
    assert requests[2].at - requests[1].at >= 0.95  # Retry-After: 1 was honoured
    [delivery] = settled(api, webhook["webhook_id"], 1)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4
    log = delivery["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 429, 503, 200]
    assert all(a["next_attempt_at"] is not None for a in log[:3]) and log[3]["next_attempt_at"] is None
    time.sleep(0.3)
    assert len(hook.received) == 4


def test_connection_errors_are_retried(api: Api, database: Database) -> None:
    from tests.webhooks.receiver import receiver

    with receiver() as probe:
        url = probe.url
    # Nothing listens on that port any more: the connection is refused, and that is tried again.
    webhook = subscribe(api, url)
    api.create_id()
    deadline = time.monotonic() + 10
    while True:
        found = deliveries(api, webhook["webhook_id"])
        delivery = found[0] if found else {"attempts": 0}
        if delivery["attempts"] >= 2:
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert delivery["status"] == "pending" and delivery["last_status_code"] is None
    assert "Connect" in delivery["last_error"]


def test_410_is_final_and_redelivery_sends_it_again(api: Api, hook: Receiver) -> None:
    hook.script = [(410, {})]
    webhook = subscribe(api, hook.url)
    api.create_id()
    [first] = hook.wait_for(1)
    [delivery] = settled(api, webhook["webhook_id"], 1)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("failed", 1, 410)
    assert delivery["next_attempt_at"] is None
    time.sleep(0.4)  # many poll intervals and retry delays: nothing more is sent
    assert len(hook.received) == 1
    assert deliveries(api, webhook["webhook_id"], "?status=failed")[0]["delivery_id"] == delivery["delivery_id"]
    assert deliveries(api, webhook["webhook_id"], "?status=delivered") == []

    again = api.client.post(
        f"/v1/webhooks/{webhook['webhook_id']}/deliveries/{delivery['delivery_id']}/redeliver", headers=api.acme
    )
    assert again.status_code == 202 and again.json()["status"] == "pending"
    [_, second] = hook.wait_for(2)
    assert second.body == first.body and second.headers["webhook-id"] == first.headers["webhook-id"]
    Webhook(webhook["secret"]).verify(second.body, second.headers)
    deadline = time.monotonic() + 10
    while (found := deliveries(api, webhook["webhook_id"]))[0]["status"] != "delivered":
        assert time.monotonic() < deadline, found
        time.sleep(0.05)
    assert [a["status_code"] for a in found[0]["attempt_log"]] == [410, 200]
    missing = api.client.post(f"/v1/webhooks/{webhook['webhook_id']}/deliveries/whd_nope/redeliver", headers=api.acme)
    assert missing.status_code == 404


def test_order_is_kept_per_incident_while_others_go_ahead(api: Api, hook: Receiver) -> None:
    # The first delivery (incident A's creation) is refused for a second; A's later events wait behind it.
    hook.script = [(503, {"Retry-After": "1"})]
    subscribe(api, hook.url, ["incident.*"])
    first = api.create_id()
    hook.wait_for(1)
    assert api.client.post(f"/v1/incidents/{first}/notes", json={"note": "one"}, headers=api.acme).status_code == 201
    moved = api.client.post(f"/v1/incidents/{first}/status", json={"status": "dispatching"}, headers=api.acme)
    assert moved.status_code == 200
    second = api.create_id({"category": "medical"})
    requests = hook.wait_for(5)
    of_first = [r.json["type"] for r in requests if r.json["incident_id"] == first]
    assert of_first == ["incident.created", "incident.created", "incident.note_added", "incident.status_changed"]
    # Incident B did not wait for A's retry.
    order = [(r.json["incident_id"], r.json["type"]) for r in requests]
    assert order.index((second, "incident.created")) < order.index((first, "incident.note_added"))
    seqs = [r.json["seq"] for r in requests if r.json["incident_id"] == first]
    assert seqs == sorted(seqs)


def test_the_events_filter_chooses_what_is_sent(api: Api, hook: Receiver) -> None:
    subscribe(api, hook.url, ["incident.note_added"])
    incident_id = api.create_id()
    api.client.post(f"/v1/incidents/{incident_id}/notes", json={"note": "hello"}, headers=api.acme)
    [request] = hook.wait_for(1)
    assert request.json["type"] == "incident.note_added"
    time.sleep(0.3)
    assert hook.types() == ["incident.note_added"]


def test_ping_and_rotation_sign_with_both_secrets_during_the_overlap(api: Api, hook: Receiver) -> None:
    webhook = subscribe(api, hook.url)
    old_secret = webhook["secret"]
    rotated = api.client.post(f"/v1/webhooks/{webhook['webhook_id']}/rotate-secret", headers=api.acme)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != old_secret and rotated.json()["previous_secret_expires_at"] is not None
    ping = api.client.post(f"/v1/webhooks/{webhook['webhook_id']}/test", headers=api.acme)
    assert ping.status_code == 202 and ping.json()["event_type"] == "webhook.ping"
    [request] = hook.wait_for(1)
    assert request.json["type"] == "webhook.ping" and request.json["data"]["webhook_id"] == webhook["webhook_id"]
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    # A receiver still holding the old secret, and one already holding the new, both verify it.
    assert Webhook(old_secret).verify(request.body, request.headers)["type"] == "webhook.ping"
    assert Webhook(new_secret).verify(request.body, request.headers)["type"] == "webhook.ping"


def test_tenants_get_only_their_own_events(api: Api, hook: Receiver) -> None:
    from tests.webhooks.receiver import receiver

    with receiver() as other:
        subscribe(api, hook.url)
        subscribe(api, other.url, headers=api.globex)
        acme_incident = api.create_id()
        globex_incident = api.create({"category": "sos"}, headers=api.globex).json()["incident"]["incident_id"]
        hook.wait_for(1)
        other.wait_for(1)
        time.sleep(0.3)
        assert [r.json["incident_id"] for r in hook.received] == [acme_incident]
        assert [r.json["incident_id"] for r in other.received] == [globex_incident]


def test_an_endpoint_created_later_gets_only_later_events(api: Api, hook: Receiver) -> None:
    api.create_id()
    subscribe(api, hook.url)
    later = api.create_id()
    [request] = hook.wait_for(1)
    time.sleep(0.3)
    assert len(hook.received) == 1 and request.json["incident_id"] == later
