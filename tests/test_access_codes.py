"""Access codes: create, list with filters, get, revoke; validation answers every reason and uses nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.access_factories import HOST, VISITOR, check_in, code, site
from tests.factories import Api


def _iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def _validate(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/v1/access-codes/validate", json=body, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_create_an_access_code(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    created = code(client, api.acme, where["site_id"], max_uses=3, gates=["main"], metadata={"party": "birthday"})
    assert created["access_code_id"].startswith("acc_")
    assert len(created["code"]) == 8 and not set(created["code"]) & set("01OI")
    assert len(created["token"]) >= 32
    assert created["visitor"] == VISITOR and created["host"] == HOST and created["purpose"] == "dinner"
    assert created["max_uses"] == 3 and created["uses"] == 0 and created["uses_left"] == 3
    assert (
        created["status"] == "active" and created["gates"] == ["main"] and created["metadata"] == {"party": "birthday"}
    )
    valid_from = datetime.fromisoformat(created["valid_from"])
    assert datetime.fromisoformat(created["valid_until"]) - valid_from == timedelta(hours=24)
    fetched = client.get(f"/v1/access-codes/{created['access_code_id']}", headers=api.acme)
    assert fetched.status_code == 200 and fetched.json() == created
    assert client.get(f"/v1/external/access-codes/{created['access_code_id']}", headers=api.acme).json() == created


def test_bad_codes_are_refused_naming_the_field(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    cases = [
        ({"valid_from": _iso(timedelta(hours=2)), "valid_until": _iso(timedelta(hours=1))}, 422, "valid_until"),
        ({"valid_until": _iso(timedelta(days=400))}, 422, "valid_until"),
        ({"gates": ["side"]}, 422, "gates"),
        ({"max_uses": 0}, 422, "max_uses"),
        ({"visitor": {"phone": "+234"}}, 422, "visitor.name"),
        ({"valid_from": "2026-01-01T10:00:00"}, 422, "valid_from"),  # no offset: ambiguous
        ({"site_id": "site_nope"}, 404, "site_id"),
    ]
    for overrides, status, field in cases:
        body = {"site_id": where["site_id"], "visitor": VISITOR, **overrides}
        response = client.post("/v1/access-codes", json=body, headers=api.acme)
        assert response.status_code == status, (overrides, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], (overrides, response.json())
    assert client.get("/v1/access-codes", headers=api.acme).json()["total"] == 0


def test_list_filters_by_site_status_and_visitor(api: Api, client: TestClient) -> None:
    first, second = site(client, api.acme), site(client, api.acme, name="Office")
    active = code(client, api.acme, first["site_id"])
    scheduled = code(
        client,
        api.acme,
        first["site_id"],
        visitor={"name": "Bola Ade", "phone": "+2348000000001"},
        valid_from=_iso(timedelta(days=1)),
    )
    elsewhere = code(client, api.acme, second["site_id"], visitor={"name": "Femi"})
    revoked = code(client, api.acme, second["site_id"], visitor={"name": "Femi Two"})
    assert client.post(f"/v1/access-codes/{revoked['access_code_id']}/revoke", headers=api.acme).status_code == 200

    def ids(**params: Any) -> list[str]:
        response = client.get("/v1/access-codes", params=params, headers=api.acme)
        assert response.status_code == 200, response.text
        return [c["access_code_id"] for c in response.json()["data"]]

    assert ids() == [
        revoked["access_code_id"],
        elsewhere["access_code_id"],
        scheduled["access_code_id"],
        active["access_code_id"],
    ]
    assert ids(site_id=first["site_id"]) == [scheduled["access_code_id"], active["access_code_id"]]
    assert ids(status="scheduled") == [scheduled["access_code_id"]]
    assert ids(status="revoked") == [revoked["access_code_id"]]
    assert set(ids(status="active")) == {active["access_code_id"], elsewhere["access_code_id"]}
    assert ids(visitor="bola") == [scheduled["access_code_id"]]
    assert ids(visitor="+2348000000001") == [scheduled["access_code_id"]]
    assert ids(visitor="femi", site_id=second["site_id"], status="active") == [elsewhere["access_code_id"]]
    assert client.get("/v1/access-codes", params={"status": "bogus"}, headers=api.acme).status_code == 422
    assert client.get("/v1/access-codes", params={"site_id": "site_nope"}, headers=api.acme).status_code == 404


def test_revoke_once_then_409(api: Api, client: TestClient) -> None:
    made = code(client, api.acme, site(client, api.acme)["site_id"])
    path = f"/v1/access-codes/{made['access_code_id']}/revoke"
    revoked = client.post(path, json={"reason": "host cancelled"}, headers=api.acme)
    assert revoked.status_code == 200
    body = revoked.json()
    assert body["status"] == "revoked" and body["revoke_reason"] == "host cancelled" and body["revoked_at"]
    again = client.post(path, headers=api.acme)
    assert again.status_code == 409 and again.json()["code"] == 409
    assert client.get(f"/v1/access-codes/{made['access_code_id']}", headers=api.acme).json()["revoke_reason"] == (
        "host cancelled"
    )


def test_validation_answers_every_reason_and_uses_nothing(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    other = site(client, api.acme, name="Other")
    site_id = where["site_id"]
    good = code(client, api.acme, site_id, gates=["main"])
    early = code(client, api.acme, site_id, valid_from=_iso(timedelta(hours=2)))
    late = code(client, api.acme, site_id, valid_from=_iso(-timedelta(hours=3)), valid_until=_iso(-timedelta(hours=1)))
    gone = code(client, api.acme, site_id)
    client.post(f"/v1/access-codes/{gone['access_code_id']}/revoke", headers=api.acme)
    spent = code(client, api.acme, site_id)
    assert check_in(client, api.acme, site_id, code=spent["code"]).status_code == 201

    ok = _validate(
        client, api.acme, code=good["code"].lower()[:4] + "-" + good["code"][4:], site_id=site_id, gate="main"
    )
    assert ok["valid"] is True and ok["reason"] == "ok" and ok["uses_left"] == 1
    assert ok["access_code"]["access_code_id"] == good["access_code_id"] and ok["visitor"]["name"] == VISITOR["name"]
    assert ok["checked_at_local"].endswith("+01:00")  # Lagos
    assert _validate(client, api.acme, token=good["token"], site_id=site_id, gate="main")["reason"] == "ok"

    expected = [
        ({"code": good["code"], "gate": "back"}, "wrong_gate"),
        ({"code": good["code"]}, "wrong_gate"),
        ({"code": good["code"], "site_id": other["site_id"]}, "wrong_site"),
        ({"code": early["code"]}, "not_yet_valid"),
        ({"code": late["code"]}, "expired"),
        ({"code": gone["code"]}, "revoked"),
        ({"code": spent["code"]}, "used_up"),
        ({"code": "ZZZZ-ZZZZ"}, "unknown"),
        ({"token": "not-a-token"}, "unknown"),
    ]
    for fields, reason in expected:
        result = _validate(client, api.acme, **{"site_id": site_id, **fields})
        assert (result["valid"], result["reason"]) == (False, reason), fields
        assert result["message"]
    assert _validate(client, api.acme, code="ZZZZZZZZ", site_id=site_id)["access_code"] is None
    # Validation alone used nothing and logged nothing.
    assert client.get(f"/v1/access-codes/{good['access_code_id']}", headers=api.acme).json()["uses"] == 0
    assert client.get("/v1/access-logs", headers=api.acme).json()["total"] == 1  # the one check-in above


def test_validate_refuses_bad_requests(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    for body, status, field in [
        ({"site_id": where["site_id"]}, 422, ""),
        ({"site_id": where["site_id"], "code": "A", "token": "B"}, 422, ""),
        ({"code": "ABCDEFGH"}, 422, "site_id"),
        ({"code": "ABCDEFGH", "site_id": "site_nope"}, 404, "site_id"),
    ]:
        response = client.post("/v1/access-codes/validate", json=body, headers=api.acme)
        assert response.status_code == status, (body, response.text)
        if field:
            assert field in [e["field"] for e in response.json()["errors"]]


def test_another_tenants_codes_are_invisible(api: Api, client: TestClient) -> None:
    acme_site = site(client, api.acme)
    made = code(client, api.acme, acme_site["site_id"])
    globex_site = site(client, api.globex)
    assert client.get(f"/v1/access-codes/{made['access_code_id']}", headers=api.globex).status_code == 404
    assert client.post(f"/v1/access-codes/{made['access_code_id']}/revoke", headers=api.globex).status_code == 404
    assert client.get("/v1/access-codes", headers=api.globex).json()["total"] == 0
    # Acme's code typed at Globex's gate is simply unknown there; acme's site is not Globex's to use.
    result = _validate(client, api.globex, code=made["code"], site_id=globex_site["site_id"])
    assert result["reason"] == "unknown" and result["access_code"] is None
    body = {"code": made["code"], "site_id": acme_site["site_id"]}
    assert client.post("/v1/access-codes/validate", json=body, headers=api.globex).status_code == 404
    assert client.post("/v1/access-codes", json={**body, "visitor": VISITOR}, headers=api.globex).status_code == 404
    assert client.get(f"/v1/access-codes/{made['access_code_id']}", headers=api.acme).json()["status"] == "active"


def test_scopes_guard_codes(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    reader = api.key(["access:read"])
    body = {"site_id": where["site_id"], "visitor": VISITOR}
    assert client.post("/v1/access-codes", json=body, headers=reader).status_code == 403
    made = code(client, api.acme, where["site_id"])
    assert client.post(f"/v1/access-codes/{made['access_code_id']}/revoke", headers=reader).status_code == 403
    # A guard's reading key may validate (it uses nothing).
    validate = {"code": made["code"], "site_id": where["site_id"]}
    assert client.post("/v1/access-codes/validate", json=validate, headers=reader).status_code == 200
    assert (
        client.post("/v1/access-codes/validate", json=validate, headers=api.key(["incidents:read"])).status_code == 403
    )


def test_the_validate_path_is_not_read_as_a_code_id(api: Api, client: TestClient) -> None:
    response = client.get("/v1/access-codes/validate", headers=api.acme)
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert client.get("/v1/access-codes/acc_doesnotexist", headers=api.acme).status_code == 404
