"""`incidenthub tenant update`: a tenant's name, timezone and Sonoran community id change after it was made."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from incidenthub.cli import app
from incidenthub.config import get_settings
from incidenthub.db import Database
from tests.factories import make_key, make_tenant

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def _cli(*args: str) -> dict[str, object]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def _tenants() -> dict[str, dict[str, object]]:
    listed = runner.invoke(app, ["tenant", "list"])
    assert listed.exit_code == 0, listed.output
    return {row["slug"]: row for row in map(json.loads, listed.stdout.splitlines())}


def _get_version(client: TestClient, community: str, key: str) -> tuple[int, str]:
    body = {"id": community, "key": key, "type": "GET_VERSION", "data": []}
    response = client.post("/general/get_version", json=body)
    return response.status_code, response.text


def test_update_changes_only_the_fields_given_and_prints_the_tenant(cli_env: str) -> None:
    _cli("tenant", "create", "--name", "Metro 911", "--timezone", "America/Chicago")
    renamed = _cli("tenant", "update", "metro-911", "--name", "Metro 911 North")
    assert renamed["name"] == "Metro 911 North" and renamed["timezone"] == "America/Chicago"
    assert renamed["slug"] == "metro-911" and renamed["sonoran_community_id"] is None
    moved = _cli("tenant", "update", "metro-911", "--timezone", "America/New_York", "--sonoran-community-id", "m911")
    assert moved["name"] == "Metro 911 North"
    assert moved["timezone"] == "America/New_York" and moved["sonoran_community_id"] == "m911"
    stored = _tenants()["metro-911"]
    assert (stored["name"], stored["timezone"], stored["sonoran_community_id"]) == (
        "Metro 911 North",
        "America/New_York",
        "m911",
    )
    # An empty community id takes Sonoran away from the tenant.
    assert _cli("tenant", "update", "metro-911", "--sonoran-community-id", "")["sonoran_community_id"] is None
    assert _tenants()["metro-911"]["sonoran_community_id"] is None


def test_the_default_tenant_opens_to_sonoran_once_it_has_a_community_id(
    cli_env: str, client_for_env: TestClient, database: Database
) -> None:
    # What `make run` leaves: tenant `default` and a key with every scope.
    make_tenant(database, "default")
    key = make_key(database, "default", ["*"])
    assert _get_version(client_for_env, "my-community", key) == (400, "API IS NOT ENABLED FOR THIS COMMUNITY")

    _cli("tenant", "update", "default", "--sonoran-community-id", "my-community")
    assert _get_version(client_for_env, "my-community", key) == (200, "3")
    created = client_for_env.post(
        "/emergency/new_dispatch",
        json={
            "id": "my-community",
            "key": key,
            "type": "NEW_DISPATCH",
            "data": [{"origin": 0, "status": 1, "priority": 2, "address": "Mission Row", "title": "Car fire"}],
        },
    )
    assert (created.status_code, created.text) == (200, "NEW DISPATCH CREATED - ID: 1")
    # v2 needs no community id in the request: the key names the tenant.
    calls = client_for_env.get("/v2/emergency/servers/1/calls", headers={"Authorization": f"Bearer {key}"})
    assert [call["title"] for call in calls.json()["ActiveCalls"]] == ["Car fire"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nope", "--name", "X"], 1, "no tenant with slug 'nope'"),
        (["metro"], 2, "nothing to change"),
        (["metro", "--timezone", "Mars/Olympus"], 2, "unknown timezone 'Mars/Olympus'"),
        (["metro", "--timezone", "America/Chicago", "--name", " "], 2, "1 to 200 characters"),
        (["metro", "--sonoran-community-id", "c" * 129], 2, "1 to 128 characters"),
        (["metro", "--sonoran-community-id", "taken", "--name", "Renamed"], 1, "already belongs to tenant 'county'"),
    ],
)
def test_a_bad_update_is_refused_clearly_and_changes_nothing(
    cli_env: str, args: list[str], code: int, message: str
) -> None:
    _cli("tenant", "create", "--name", "Metro", "--timezone", "Europe/Paris", "--sonoran-community-id", "metro-c")
    _cli("tenant", "create", "--name", "County", "--sonoran-community-id", "taken")
    before = _tenants()
    result = runner.invoke(app, ["tenant", "update", *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert _tenants() == before


def test_a_tenant_may_keep_its_own_community_id(cli_env: str) -> None:
    _cli("tenant", "create", "--name", "Metro", "--sonoran-community-id", "metro-c")
    assert _cli("tenant", "update", "metro", "--sonoran-community-id", "metro-c")["sonoran_community_id"] == "metro-c"
