"""API keys over the API (Sety's ApiKey and CreateApiKeyRequest): made, listed and revoked over HTTP with a key
of scope `keys:manage`, `ih_live_` / `ih_test_` prefixes, old keys still working, and the CLI's `key list`."""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from incidenthub.app import create_app
from incidenthub.cli import app as cli_app
from incidenthub.config import Settings, get_settings
from incidenthub.db import Database
from incidenthub.models import ApiKey, Tenant
from tests.factories import Api, bearer, make_key, make_tenant

MANAGER_SCOPES = ["keys:manage", "incidents:read", "incidents:write"]


def _later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def _keys(database: Database) -> list[ApiKey]:
    with database.read_sessions() as session:
        return list(session.scalars(select(ApiKey)))


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == status and body["message"], body  # the native format, Sety's members
    return body


def test_a_key_made_over_the_api_works_at_once_lists_without_secret_and_stops_when_revoked(api: Api) -> None:
    manager = api.key(MANAGER_SCOPES)
    expires = _later(days=30)
    made = api.client.post(
        "/v1/api-keys",
        json={
            "name": "cad",
            "scopes": ["incidents:read", "incidents:write"],
            "expires_at": expires,
            "environment": "test",
        },
        headers=manager,
    )
    assert made.status_code == 201, made.text
    created = made.json()
    secret = created["key"]
    assert secret.startswith("ih_test_") and created["prefix"] == secret.rsplit("_", 1)[0]
    assert created["environment"] == "test" and created["name"] == "cad" and created["revoked_at"] is None
    assert created["scopes"] == ["incidents:read", "incidents:write"]
    assert abs(datetime.fromisoformat(created["expires_at"]) - datetime.fromisoformat(expires)) < timedelta(seconds=1)

    # The new key works at once, on an incident endpoint, within its scopes only.
    incident = api.create(headers=bearer(secret))
    assert incident.status_code == 201, incident.text
    incident_id = incident.json()["incident"]["incident_id"]
    assert api.get(incident_id, headers=bearer(secret)).status_code == 200
    _problem(api.client.get("/v1/api-keys", headers=bearer(secret)), 403)  # it was not given keys:manage

    listed = api.client.get("/v1/api-keys", headers=manager)
    assert listed.status_code == 200, listed.text
    mine = [k for k in listed.json()["data"] if k["key_id"] == created["key_id"]]
    assert len(mine) == 1 and "key" not in mine[0] and mine[0]["prefix"] == created["prefix"]
    secret_hash = hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in listed.text and secret.rsplit("_", 1)[1] not in listed.text and secret_hash not in listed.text
    # Only this tenant's keys: acme's fixture key and the manager, and the new one; none of globex's.
    assert len(listed.json()["data"]) == 3

    revoked = api.client.delete(f"/v1/api-keys/{created['key_id']}", headers=manager)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None and "key" not in revoked.json()
    _problem(api.get(incident_id, headers=bearer(secret)), 401)
    _problem(api.create(headers=bearer(secret)), 401)
    # Revoking twice answers the same: the key stays revoked from the first time.
    again = api.client.delete(f"/v1/api-keys/{created['key_id']}", headers=manager)
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    listed_after = api.client.get("/v1/api-keys", headers=manager).json()["data"]
    assert [k["revoked_at"] for k in listed_after if k["key_id"] == created["key_id"]] == [revoked.json()["revoked_at"]]
    # The manager itself is untouched.
    assert api.client.get("/v1/api-keys", headers=manager).status_code == 200


def test_the_stored_row_holds_only_a_hash(api: Api) -> None:
    made = api.client.post("/v1/api-keys", json={"name": "hashed", "scopes": ["*"]}, headers=api.acme)
    assert made.status_code == 201, made.text
    secret = made.json()["key"]
    assert secret.startswith("ih_live_")  # live unless asked otherwise
    (row,) = [k for k in _keys(api.database) if k.id == made.json()["key_id"]]
    columns = " ".join(str(getattr(row, c.key)) for c in ApiKey.__table__.columns)
    assert secret not in columns and secret.rsplit("_", 1)[1] not in columns
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert row.environment == "live" and row.name == "hashed"


def test_revoking_over_the_api_takes_effect_at_once_on_the_process_despite_its_key_cache(database_url: str) -> None:
    database = Database(database_url)
    settings = Settings(database_url=database_url, key_cache_seconds=300, key_touch_interval_seconds=0)
    with TestClient(create_app(settings)) as client:
        make_tenant(database, "acme")
        manager = bearer(make_key(database, "acme", ["*"]))
        made = client.post("/v1/api-keys", json={"name": "short", "scopes": ["incidents:read"]}, headers=manager)
        secret = made.json()["key"]
        assert client.get("/v1/incidents", headers=bearer(secret)).status_code == 200  # now in the cache
        assert client.delete(f"/v1/api-keys/{made.json()['key_id']}", headers=manager).status_code == 200
        _problem(client.get("/v1/incidents", headers=bearer(secret)), 401)
        assert client.get("/v1/incidents", headers=manager).status_code == 200  # other keys stay cached
    database.dispose()


@pytest.mark.parametrize(
    ("holds", "asks", "refused"),
    [
        (["keys:manage", "incidents:read"], ["incidents:read", "incidents:write"], "'incidents:write'"),
        (["keys:manage", "incidents:read", "incidents:write"], ["*"], "'*'"),
        (["keys:manage"], ["keys:manage", "webhooks:manage"], "'webhooks:manage'"),
    ],
)
def test_a_key_cannot_grant_a_scope_it_does_not_hold(api: Api, holds: list[str], asks: list[str], refused: str) -> None:
    manager = api.key(holds)
    before = len(_keys(api.database))
    body = _problem(api.client.post("/v1/api-keys", json={"name": "x", "scopes": asks}, headers=manager), 403)
    assert refused in body["message"], body
    assert len(_keys(api.database)) == before
    # What it holds, it may grant.
    granted = api.client.post("/v1/api-keys", json={"name": "y", "scopes": holds}, headers=manager)
    assert granted.status_code == 201, granted.text


def test_only_keys_manage_reaches_the_keys_api(api: Api) -> None:
    reader = api.key(["incidents:read", "incidents:write", "webhooks:manage"])
    key_id = _keys(api.database)[0].id
    for response in (
        api.client.get("/v1/api-keys", headers=reader),
        api.client.post("/v1/api-keys", json={"name": "x", "scopes": ["incidents:read"]}, headers=reader),
        api.client.delete(f"/v1/api-keys/{key_id}", headers=reader),
    ):
        assert "keys:manage" in _problem(response, 403)["message"]
    _problem(api.client.get("/v1/api-keys"), 401)
    assert all(k.revoked_at is None for k in _keys(api.database))


def test_another_tenants_key_id_is_not_found_and_stays_usable(api: Api) -> None:
    made = api.client.post("/v1/api-keys", json={"name": "acme-cad", "scopes": ["incidents:read"]}, headers=api.acme)
    acme_key = made.json()
    body = _problem(api.client.delete(f"/v1/api-keys/{acme_key['key_id']}", headers=api.globex), 404)
    assert acme_key["key_id"] in body["message"]
    _problem(api.client.delete("/v1/api-keys/key_doesnotexist", headers=api.globex), 404)
    assert api.client.get("/v1/incidents", headers=bearer(acme_key["key"])).status_code == 200
    globex_listed = api.client.get("/v1/api-keys", headers=api.globex).json()["data"]
    assert acme_key["key_id"] not in {k["key_id"] for k in globex_listed} and len(globex_listed) == 1
    # Also under Sety's base path.
    _problem(api.client.delete(f"/v1/external/api-keys/{acme_key['key_id']}", headers=api.globex), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scopes": ["incidents:read", "incidents:erase"]}, "scopes.1"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x"}, "scopes"),
        ({"name": "x", "scopes": ["*"], "expires_at": "2020-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "scopes": ["*"], "expires_at": "2099-01-01T00:00:00"}, "expires_at"),  # no offset
        ({"name": "x", "scopes": ["*"], "expires_at": "next week"}, "expires_at"),
        ({"name": "x", "scopes": ["*"], "environment": "staging"}, "environment"),
        ({"name": "", "scopes": ["*"]}, "name"),
        ({"name": "   ", "scopes": ["*"]}, "name"),
        ({"scopes": ["*"]}, "name"),
        ({"name": "x" * 201, "scopes": ["*"]}, "name"),
        ({"name": "x", "scopes": ["*"], "tenant": "globex"}, "tenant"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    before = len(_keys(api.database))
    problem = _problem(api.client.post("/v1/api-keys", json=body, headers=api.acme), 422)
    assert field in [error["field"] for error in problem["errors"]], problem
    assert len(_keys(api.database)) == before


def test_a_body_that_is_not_json_is_400_and_creates_nothing(api: Api) -> None:
    before = len(_keys(api.database))
    response = api.client.post(
        "/v1/api-keys", content=b'{"name": "x",', headers={**api.acme, "Content-Type": "application/json"}
    )
    _problem(response, 400)
    assert len(_keys(api.database)) == before


def _legacy_key(database: Database, tenant_slug: str) -> tuple[str, str]:
    """A key as `key create` made them before environments: `ih_<lookup>_<secret>`, no environment stored."""
    alphabet = string.ascii_letters + string.digits
    lookup = "".join(secrets.choice(alphabet) for _ in range(12))
    secret = f"ih_{lookup}_" + "".join(secrets.choice(alphabet) for _ in range(32))
    with database.transaction() as session:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
        key = ApiKey(
            tenant_id=tenant_id,
            name="old",
            prefix=lookup,
            secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
            scopes=["incidents:read"],
        )
        session.add(key)
        session.flush()
        return secret, key.id


def test_keys_made_before_environments_keep_working_and_are_listed_and_revoked_like_any(api: Api) -> None:
    secret, key_id = _legacy_key(api.database, "acme")
    assert api.client.get("/v1/incidents", headers=bearer(secret)).status_code == 200
    listed = {k["key_id"]: k for k in api.client.get("/v1/api-keys", headers=api.acme).json()["data"]}
    assert listed[key_id]["environment"] is None and listed[key_id]["prefix"] == secret.rsplit("_", 1)[0]
    # Neither environment in front of an old key's lookup makes it a key.
    for forged in (secret.replace("ih_", "ih_live_", 1), secret.replace("ih_", "ih_test_", 1)):
        _problem(api.client.get("/v1/incidents", headers=bearer(forged)), 401)
    assert api.client.delete(f"/v1/api-keys/{key_id}", headers=api.acme).status_code == 200
    _problem(api.client.get("/v1/incidents", headers=bearer(secret)), 401)


def test_a_keys_environment_is_part_of_it(api: Api) -> None:
    made = api.client.post(
        "/v1/api-keys", json={"name": "live", "scopes": ["incidents:read"], "environment": "live"}, headers=api.acme
    )
    secret = made.json()["key"]
    assert api.client.get("/v1/incidents", headers=bearer(secret)).status_code == 200
    for forged in (secret.replace("ih_live_", "ih_test_", 1), secret.replace("ih_live_", "ih_", 1)):
        _problem(api.client.get("/v1/incidents", headers=bearer(forged)), 401)


def test_the_openapi_document_declares_the_keys_api(tmp_path: Path) -> None:
    # The document does not depend on the database: it is read once, not once per backend (it takes seconds).
    client = TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}")))
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    create = document["paths"]["/v1/api-keys"]["post"]
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    assert "key" in document["components"]["schemas"]["ApiKeyWithSecret"]["properties"]
    assert "key" not in document["components"]["schemas"]["ApiKeyRead"]["properties"]
    assert {"200", "401", "403", "404"} <= set(document["paths"]["/v1/api-keys/{key_id}"]["delete"]["responses"])
    assert {"200", "401", "403"} <= set(document["paths"]["/v1/api-keys"]["get"]["responses"])


runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_the_cli_makes_test_keys_and_lists_a_tenants_keys(cli_env: str, database: Database) -> None:
    make_tenant(database, "acme")
    make_tenant(database, "globex")
    make_key(database, "globex", ["*"])
    made = runner.invoke(
        cli_app, ["key", "create", "--tenant", "acme", "--scope", "incidents:read", "--environment", "test"]
    )
    assert made.exit_code == 0, made.output
    issued = json.loads(made.stdout)
    assert issued["key"].startswith("ih_test_") and issued["environment"] == "test"
    live = json.loads(runner.invoke(cli_app, ["key", "create", "--tenant", "acme", "--scope", "*"]).stdout)
    assert live["key"].startswith("ih_live_")
    assert runner.invoke(cli_app, ["key", "revoke", issued["id"]]).exit_code == 0

    listed = runner.invoke(cli_app, ["key", "list", "--tenant", "acme"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [row["key_id"] for row in rows] == [live["id"], issued["id"]]  # newest first, acme's only
    assert rows[1]["revoked_at"] is not None and rows[0]["revoked_at"] is None
    assert rows[1]["prefix"] == issued["key"].rsplit("_", 1)[0]
    assert issued["key"] not in listed.stdout and live["key"] not in listed.stdout

    unknown = runner.invoke(cli_app, ["key", "list", "--tenant", "nope"])
    assert unknown.exit_code == 1 and "no tenant with slug 'nope'" in unknown.stderr
    wrong = runner.invoke(cli_app, ["key", "create", "--tenant", "acme", "--scope", "*", "--environment", "prod"])
    assert wrong.exit_code == 2
    with database.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 3
