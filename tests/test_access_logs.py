"""The visitor log: check-in by code, token or walk-in; denied attempts kept; list filters; current visitors;
checkout; errors named by field; another tenant's log is 404; no phone number or code in the server's logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.access_factories import GUARD_PHONE, HOST, VISITOR, check_in, code, logs, site, walk_in
from tests.factories import Api


def _ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def test_check_in_with_a_code_counts_one_use_and_shows_the_visitor_inside(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    made = code(client, api.acme, where["site_id"], max_uses=2)
    response = check_in(client, api.acme, where["site_id"], code=made["code"], gate="main", vehicle_plate="LND-204-KJA")
    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["access_log_id"].startswith("alog_")
    assert (entry["status"], entry["method"], entry["access_code_id"]) == ("inside", "code", made["access_code_id"])
    assert entry["visitor"] == VISITOR and entry["host"] == HOST and entry["purpose"] == "dinner"
    assert entry["gate"] == "main" and entry["vehicle_plate"] == "LND-204-KJA"
    assert entry["checked_in_at"].endswith("Z") and entry["checked_in_at_local"].endswith("+01:00")
    assert entry["site_timezone"] == "Africa/Lagos" and entry["checked_out_at"] is None
    assert client.get(f"/v1/access-codes/{made['access_code_id']}", headers=api.acme).json()["uses_left"] == 1
    by_token = check_in(client, api.acme, where["site_id"], token=made["token"])
    assert by_token.status_code == 201 and by_token.json()["method"] == "token"
    assert client.get(f"/v1/access-codes/{made['access_code_id']}", headers=api.acme).json()["status"] == "used_up"
    current = client.get("/v1/access-logs/current", headers=api.acme).json()
    assert current["total"] == 2
    visitor = current["data"][-1]
    assert visitor["access_log_id"] == entry["access_log_id"] and visitor["site_name"] == "Palm Court Estate"
    assert visitor["host"] == HOST and visitor["gate"] == "main" and visitor["inside_seconds"] >= 0
    assert visitor["checked_in_at_local"] == entry["checked_in_at_local"]
    assert client.get(f"/v1/access-logs/{entry['access_log_id']}", headers=api.acme).json() == entry


def test_a_walk_in_is_recorded_by_the_guard(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    entry = walk_in(
        client,
        api.acme,
        where["site_id"],
        visitor={"name": "Dayo Courier", "phone": "+2347000000000"},
        host={"name": "Mrs Bello", "unit": "Block C"},
        purpose="delivery",
        gate="back",
        checked_in_at=_ago(minutes=10),
        notes="parcel",
    )
    assert (entry["method"], entry["status"], entry["access_code_id"]) == ("walk_in", "inside", None)
    assert entry["visitor"]["name"] == "Dayo Courier" and entry["host"]["unit"] == "Block C"
    assert entry["purpose"] == "delivery" and entry["notes"] == "parcel"


def test_every_refused_code_answers_409_and_is_kept_as_a_denied_attempt(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    other = site(client, api.acme, name="Other")
    site_id = where["site_id"]
    spent = code(client, api.acme, site_id)
    assert check_in(client, api.acme, site_id, code=spent["code"]).status_code == 201
    gone = code(client, api.acme, site_id)
    client.post(f"/v1/access-codes/{gone['access_code_id']}/revoke", headers=api.acme)
    cases = [
        (spent, {}, "used_up"),
        (gone, {}, "revoked"),
        (code(client, api.acme, site_id, valid_from=_ago(hours=-1)), {}, "not_yet_valid"),
        (code(client, api.acme, site_id, valid_from=_ago(hours=3), valid_until=_ago(hours=1)), {}, "expired"),
        (code(client, api.acme, other["site_id"]), {}, "wrong_site"),
        (code(client, api.acme, site_id, gates=["main"]), {"gate": "back"}, "wrong_gate"),
    ]
    for made, extra, reason in cases:
        response = check_in(client, api.acme, site_id, code=made["code"], **extra)
        assert response.status_code == 409, (reason, response.text)
        problem = response.json()
        assert problem["code"] == 409 and reason in problem["message"]
        assert problem["errors"] == [{"field": "code", "message": reason}]
        kept = logs(client, api.acme, status="denied")["data"][0]
        assert (kept["denial_reason"], kept["access_code_id"], kept["status"]) == (
            reason,
            made["access_code_id"],
            "denied",
        )
        assert kept["visitor"]["name"] == VISITOR["name"] and kept["checked_in_at"] is None
        assert kept["access_log_id"] in problem["message"]
    unknown = check_in(client, api.acme, site_id, code="zz99-xq7k", gate="main")
    assert unknown.status_code == 409 and unknown.json()["errors"][0]["message"] == "unknown"
    kept = logs(client, api.acme, status="denied")["data"][0]
    assert (kept["denial_reason"], kept["presented_code"], kept["gate"]) == ("unknown", "ZZ******", "main")
    by_token = check_in(client, api.acme, site_id, token="no-such-token")
    assert by_token.json()["errors"] == [{"field": "token", "message": "unknown"}]
    # Nobody refused is inside, and refused codes took no use.
    assert client.get("/v1/access-logs/current", headers=api.acme).json()["total"] == 1
    assert client.get(f"/v1/access-codes/{gone['access_code_id']}", headers=api.acme).json()["uses"] == 0
    assert logs(client, api.acme, status="denied")["total"] == 8


def test_check_in_refuses_bad_requests_naming_the_field(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    site_id = where["site_id"]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"site_id": site_id}, 422, ""),
        ({"site_id": site_id, "code": "ABCDEFGH", "visitor": {"name": "x"}}, 422, ""),
        ({"site_id": site_id, "visitor": {"name": "x"}, "gate": "roof"}, 422, "gate"),
        ({"site_id": site_id, "visitor": {"name": "x"}, "checked_in_at": _ago(hours=-1)}, 422, "checked_in_at"),
        ({"site_id": site_id, "visitor": {}}, 422, "visitor.name"),
        ({"site_id": "site_nope", "visitor": {"name": "x"}}, 404, "site_id"),
    ]
    for body, status, field in cases:
        response = client.post("/v1/access-logs", json=body, headers=api.acme)
        assert response.status_code == status, (body, response.text)
        if field:
            assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert logs(client, api.acme)["total"] == 0


def test_checkout_records_the_time_and_the_visits_length_once(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    entry = walk_in(client, api.acme, where["site_id"], checked_in_at="2026-06-01T21:30:00Z")
    path = f"/v1/access-logs/{entry['access_log_id']}/checkout"
    early = client.patch(path, json={"checkout_at": "2026-06-01T21:00:00Z"}, headers=api.acme)
    assert early.status_code == 400 and early.json()["errors"][0]["field"] == "checkout_at"
    future = client.patch(path, json={"checkout_at": _ago(hours=-2)}, headers=api.acme)
    assert future.status_code == 400 and future.json()["errors"][0]["field"] == "checkout_at"
    assert client.get(f"/v1/access-logs/{entry['access_log_id']}", headers=api.acme).json()["status"] == "inside"

    done = client.patch(
        path, json={"checkout_at": "2026-06-02T00:45:30+01:00", "notes": "left by car"}, headers=api.acme
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "checked_out" and body["checked_out_at"] == "2026-06-01T23:45:30.000Z"
    assert body["checked_out_at_local"] == "2026-06-02T00:45:30.000+01:00"
    assert body["duration_seconds"] == 2 * 3600 + 15 * 60 + 30 and body["checkout_notes"] == "left by car"
    again = client.patch(path, json={}, headers=api.acme)
    assert again.status_code == 409 and again.json()["code"] == 409
    assert client.get("/v1/access-logs/current", headers=api.acme).json()["total"] == 0

    now_out = walk_in(client, api.acme, where["site_id"])
    plain = client.patch(f"/v1/access-logs/{now_out['access_log_id']}/checkout", headers=api.acme)
    assert plain.status_code == 200 and plain.json()["duration_seconds"] >= 0


def test_a_denied_attempt_cannot_be_checked_out(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    check_in(client, api.acme, where["site_id"], code="ABCDEFGH")
    denied = logs(client, api.acme, status="denied")["data"][0]
    response = client.patch(f"/v1/access-logs/{denied['access_log_id']}/checkout", headers=api.acme)
    assert response.status_code == 409


def test_list_filters_and_newest_first(api: Api, client: TestClient) -> None:
    first, second = site(client, api.acme), site(client, api.acme, name="Office", gates=[])
    a = walk_in(
        client,
        api.acme,
        first["site_id"],
        visitor={"name": "Ada Obi"},
        host={"name": "Mr Kola"},
        checked_in_at="2026-05-01T08:00:00Z",
    )
    b = walk_in(
        client,
        api.acme,
        first["site_id"],
        visitor={"name": "Bayo", "phone": "+2348055555555"},
        checked_in_at="2026-05-02T08:00:00Z",
    )
    c = walk_in(
        client,
        api.acme,
        second["site_id"],
        visitor={"name": "Chi"},
        host={"name": "Kola Jr"},
        checked_in_at="2026-05-03T08:00:00Z",
    )
    client.patch(
        f"/v1/access-logs/{b['access_log_id']}/checkout", json={"checkout_at": "2026-05-02T09:00:00Z"}, headers=api.acme
    )

    def ids(**params: Any) -> list[str]:
        return [e["access_log_id"] for e in logs(client, api.acme, **params)["data"]]

    assert ids() == [c["access_log_id"], b["access_log_id"], a["access_log_id"]]
    assert ids(site_id=first["site_id"]) == [b["access_log_id"], a["access_log_id"]]
    assert ids(status="checked_out") == [b["access_log_id"]]
    assert ids(status="inside") == [c["access_log_id"], a["access_log_id"]]
    assert ids(from_date="2026-05-02T00:00:00Z", to_date="2026-05-02T23:59:59Z") == [b["access_log_id"]]
    assert ids(visitor="ada") == [a["access_log_id"]] and ids(visitor="+2348055555555") == [b["access_log_id"]]
    assert ids(host="kola") == [c["access_log_id"], a["access_log_id"]]
    page = logs(client, api.acme, limit=2, page=2)
    assert (page["total"], page["has_more"], len(page["data"])) == (3, False, 1)
    current = client.get("/v1/access-logs/current", params={"site_id": second["site_id"]}, headers=api.acme).json()
    assert [v["access_log_id"] for v in current["data"]] == [c["access_log_id"]]
    bad = client.get(
        "/v1/access-logs",
        params={"from_date": "2026-05-03T00:00:00Z", "to_date": "2026-05-01T00:00:00Z"},
        headers=api.acme,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from_date"
    assert client.get("/v1/access-logs", params={"status": "gone"}, headers=api.acme).status_code == 422
    assert client.get("/v1/access-logs", params={"from_date": "yesterday"}, headers=api.acme).status_code == 422
    assert client.get("/v1/access-logs", params={"site_id": "site_nope"}, headers=api.acme).status_code == 404


def test_another_tenants_log_is_not_found(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    entry = walk_in(client, api.acme, where["site_id"])
    log_id = entry["access_log_id"]
    assert client.get(f"/v1/access-logs/{log_id}", headers=api.globex).status_code == 404
    assert client.patch(f"/v1/access-logs/{log_id}/checkout", headers=api.globex).status_code == 404
    assert client.get("/v1/access-logs", headers=api.globex).json()["total"] == 0
    assert client.get("/v1/access-logs/current", headers=api.globex).json()["total"] == 0
    for path, params in [("/v1/access-logs/current", {}), ("/v1/access-logs/stats", {}), ("/v1/access-logs", {})]:
        response = client.get(path, params={**params, "site_id": where["site_id"]}, headers=api.globex)
        assert response.status_code == 404, path
    walk = client.post(
        "/v1/access-logs", json={"site_id": where["site_id"], "visitor": {"name": "x"}}, headers=api.globex
    )
    assert walk.status_code == 404
    assert client.get(f"/v1/access-logs/{log_id}", headers=api.acme).json()["status"] == "inside"


def test_scopes_guard_the_log(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    reader = api.key(["access:read"])
    body = {"site_id": where["site_id"], "visitor": {"name": "x"}}
    assert client.post("/v1/access-logs", json=body, headers=reader).status_code == 403
    entry = walk_in(client, api.acme, where["site_id"])
    assert client.patch(f"/v1/access-logs/{entry['access_log_id']}/checkout", headers=reader).status_code == 403
    assert client.get("/v1/access-logs/current", headers=reader).status_code == 200
    assert client.get("/v1/access-logs", headers=api.key(["dispatch:read"])).status_code == 403


def test_no_phone_number_or_code_reaches_the_server_log(
    api: Api, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    where = site(client, api.acme)
    made = code(client, api.acme, where["site_id"], host={"name": "Ada", "phone": GUARD_PHONE})
    client.post("/v1/access-codes/validate", json={"code": made["code"], "site_id": where["site_id"]}, headers=api.acme)
    entry = check_in(client, api.acme, where["site_id"], code=made["code"]).json()
    check_in(client, api.acme, where["site_id"], code=made["code"])  # refused: used up
    check_in(client, api.acme, where["site_id"], code="QQQQRRRR")  # refused: unknown
    client.patch(f"/v1/access-logs/{entry['access_log_id']}/checkout", headers=api.acme)
    server = "\n".join(
        caplog.handler.format(record) for record in caplog.records if not record.name.startswith(("httpx", "httpcore"))
    )
    assert "path=/v1/access-logs status=409" in server and "path=/v1/access-codes/validate status=200" in server
    for secret in (VISITOR["phone"], GUARD_PHONE, made["code"], made["token"], "QQQQRRRR"):
        assert secret not in server
