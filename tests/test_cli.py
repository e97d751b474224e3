"""The command line: migrate, tenants, keys, and serve's first start."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from incidenthub.cli import app
from incidenthub.config import get_settings
from tests.serving import start_in_terminal

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url  # type: ignore[misc]
    get_settings.cache_clear()


def _json(result) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_migrate_is_repeatable(cli_env: str) -> None:
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output


def test_tenant_create_and_list(cli_env: str) -> None:
    created = _json(
        runner.invoke(
            app,
            [
                "tenant",
                "create",
                "--name",
                "Metro 911 (North)",
                "--timezone",
                "America/Chicago",
                "--sonoran-community-id",
                "metro-north",
            ],
        )
    )
    assert created["slug"] == "metro-911-north"
    assert created["name"] == "Metro 911 (North)"
    assert created["timezone"] == "America/Chicago"
    assert created["sonoran_community_id"] == "metro-north"
    assert created["id"].startswith("ten_")
    plain = _json(runner.invoke(app, ["tenant", "create", "--name", "Acme", "--slug", "acme-ops"]))
    assert plain["timezone"] == "UTC" and plain["slug"] == "acme-ops"

    listed = runner.invoke(app, ["tenant", "list"])
    assert listed.exit_code == 0
    slugs = [json.loads(line)["slug"] for line in listed.stdout.splitlines()]
    assert slugs == ["metro-911-north", "acme-ops"]


def test_unknown_timezone_is_a_clear_error(cli_env: str) -> None:
    result = runner.invoke(app, ["tenant", "create", "--name", "X", "--timezone", "Mars/Olympus"])
    assert result.exit_code == 2
    assert "unknown timezone 'Mars/Olympus'" in result.stderr
    assert runner.invoke(app, ["tenant", "list"]).stdout == ""


def test_overlong_tenant_name_is_refused(cli_env: str) -> None:
    result = runner.invoke(app, ["tenant", "create", "--name", "N" * 201, "--slug", "long"])
    assert result.exit_code == 2
    assert "1 to 200 characters" in result.stderr


def test_duplicate_slug_is_refused(cli_env: str) -> None:
    _json(runner.invoke(app, ["tenant", "create", "--name", "Acme"]))
    result = runner.invoke(app, ["tenant", "create", "--name", "ACME"])
    assert result.exit_code == 1
    assert "already exists" in result.stderr


def test_key_create_revoke_round_trip(cli_env: str, client_for_env) -> None:  # type: ignore[no-untyped-def]
    _json(runner.invoke(app, ["tenant", "create", "--name", "Acme"]))
    key = _json(
        runner.invoke(
            app,
            [
                "key",
                "create",
                "--tenant",
                "acme",
                "--scope",
                "incidents:read",
                "--scope",
                "incidents:write",
                "--name",
                "cad",
                "--expires-at",
                "2099-01-01T00:00:00Z",
            ],
        )
    )
    assert key["id"].startswith("key_") and key["tenant"] == "acme"
    assert key["scopes"] == ["incidents:read", "incidents:write"]
    assert key["expires_at"] == "2099-01-01T00:00:00.000Z"
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert client_for_env.get("/v1/incidents", headers=headers).status_code == 200

    revoked = _json(runner.invoke(app, ["key", "revoke", key["id"]]))
    assert revoked["id"] == key["id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", revoked["revoked_at"])
    assert client_for_env.get("/v1/incidents", headers=headers).status_code == 401


def test_star_scope_grants_everything(cli_env: str) -> None:
    _json(runner.invoke(app, ["tenant", "create", "--name", "Acme"]))
    assert _json(runner.invoke(app, ["key", "create", "--tenant", "acme", "--scope", "*"]))["scopes"] == ["*"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nope", "--scope", "*"], "no tenant with slug 'nope'"),
        (["--tenant", "acme", "--scope", "incidents:delete"], "unknown scope(s) incidents:delete"),
        (["--tenant", "acme", "--scope", "*", "--expires-at", "tomorrow"], "not an ISO 8601"),
        (["--tenant", "acme", "--scope", "*", "--expires-at", "2099-01-01T00:00:00"], "needs an offset"),
        (["--tenant", "acme", "--scope", "*", "--expires-at", "2001-01-01T00:00:00Z"], "in the past"),
        (["--tenant", "acme", "--scope", "*", "--expires-at", "0001-01-01T00:00:00+14:00"], "out of range"),
    ],
)
def test_bad_key_create_is_refused(cli_env: str, args: list[str], message: str) -> None:
    _json(runner.invoke(app, ["tenant", "create", "--name", "Acme"]))
    result = runner.invoke(app, ["key", "create", *args])
    assert result.exit_code != 0
    assert message in result.stderr


def test_revoke_unknown_key(cli_env: str) -> None:
    result = runner.invoke(app, ["key", "revoke", "key_doesnotexist"])
    assert result.exit_code == 1
    assert "no API key with id 'key_doesnotexist'" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_first_start_creates_default_tenant_and_prints_a_working_key(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "INCIDENTHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'first.db'}"}
    command = [str(Path(sys.executable).parent / "incidenthub"), "serve", "--port", str(port)]
    # In a terminal, as a person starts it: the key is printed there (elsewhere: tests/test_log_levels.py).
    server, terminal = start_in_terminal(command, env)
    try:
        output = ""
        while "Uvicorn running" not in output:
            line = terminal.readline()
            assert line, f"server exited early:\n{output}"
            output += line
        key = re.search(r"^  export KEY=(ih_\S+)$", output, re.MULTILINE)
        assert key, output
        curl = re.search(r"curl .*", output)
        assert curl and key.group(1) in curl.group(0) and f":{port}/v1/incidents" in curl.group(0)
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        # The port listens from here on; a request waits for the first worker to finish starting.
        created = httpx.post(f"{base}/v1/incidents", json={"category": "sos"}, headers=headers, timeout=60)
        assert created.status_code == 201
        incident_id = created.json()["incident"]["incident_id"]
        assert httpx.get(f"{base}/v1/incidents/{incident_id}", headers=headers).status_code == 200
        assert httpx.get(f"{base}/v1/health").json()["database"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=10)
        terminal.close()
    assert (tmp_path / "var" / "first.db").exists()

    # A second start finds the tenant and prints no new key.
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
    finally:
        server.terminate()
        second_output, _ = server.communicate(timeout=10)
    assert "export KEY=" not in second_output and "no usable API key" not in second_output
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "incidenthub"), "tenant", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [json.loads(line)["slug"] for line in listed.stdout.splitlines()] == ["default"]
