"""Rate limits per API key, as Sety documents them, and the throttle on failed authentications.

Every authenticated answer of every door carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (ISO 8601 UTC); past the tenant's limit a request gets 429 with `Retry-After` in its door's
own format and changes nothing; the counts live in the database, so two server processes share them.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from incidenthub.app import create_app
from incidenthub.auth import service as auth_service
from incidenthub.auth.repository import TenantRepository
from incidenthub.cli import app as cli_app
from incidenthub.config import Settings, get_settings
from incidenthub.db import Database
from tests.factories import bearer, make_key
from tests.two_servers import running_servers

COMMUNITY = "ACME-C"
GOVWORX_SEED = json.loads((Path(__file__).parent / "data" / "govworx_seed_example.json").read_text())
FAILURES_ALLOWED = 5


def _settings(database_url: str, **changes: Any) -> Settings:
    # The limits are given here, not taken from the environment (conftest raises those for the other tests).
    values: dict[str, Any] = {
        "database_url": database_url,
        "key_touch_interval_seconds": 0,
        "key_cache_seconds": 0,
        "rate_limit_per_minute": 1000,
        "auth_failures_per_window": FAILURES_ALLOWED,
        "auth_failure_window_seconds": 300,
        **changes,
    }
    return Settings(**values)


def _set_limit(database: Database, slug: str, per_minute: int) -> None:
    with database.transaction() as session:
        tenant = TenantRepository(session).by_slug(slug)
        assert tenant is not None
        auth_service.set_rate_limit(tenant, per_minute)


@pytest.fixture
def tenant(database: Database) -> str:
    """Tenant acme (Sonoran community ACME-C) on Sety's Starter plan: 60 requests a minute."""
    with database.transaction() as session:
        auth_service.create_tenant(session, "Acme", "acme", "UTC", COMMUNITY)
    _set_limit(database, "acme", 60)
    return "acme"


@pytest.fixture
def limited(database_url: str, tenant: str) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(database_url))) as client:
        yield client


def _fresh_window(seconds: int, needed: float) -> None:
    """Wait, if need be, so that the next `needed` seconds fall in one window of `seconds` (windows are aligned on
    the epoch, and the counts start afresh in each)."""
    into = time.time() % seconds
    if seconds - into < needed:
        time.sleep(seconds - into + 0.2)


def _in_one_minute(check: Callable[[], None]) -> None:
    """Run `check` (requests whose counts must fall in one minute, on keys it makes itself, then its asserts); if
    it fails and a minute began while it ran (the counts started afresh), run it again. Cheaper than waiting for
    a fresh minute before every check: a failure within one minute is a failure."""
    for attempt in range(3):
        minute = int(time.time()) // 60
        try:
            check()
            return
        except AssertionError:
            if int(time.time()) // 60 == minute or attempt == 2:
                raise


# A request through each door: (door, method, path, body or None, headers-or-body-key).
Request = Callable[[TestClient, str], httpx.Response]


def _sonoran_v1(name: str, data: list[dict[str, Any]], category: str = "emergency") -> Request:
    def send(client: TestClient, key: str) -> httpx.Response:
        body = {"id": COMMUNITY, "key": key, "type": name.upper(), "data": data}
        return client.post(f"/{category}/{name}", json=body)

    return send


def _get(path: str) -> Request:
    return lambda client, key: client.get(path, headers=bearer(key))


def _post(path: str, body: dict[str, Any]) -> Request:
    return lambda client, key: client.post(path, json=body, headers=bearer(key))


READS: dict[str, Request] = {
    "native": _get("/v1/incidents"),
    "native /v1/external": _get("/v1/external/incidents"),
    "govworx": _get("/api/v1/external/user"),
    "sonoran v1": _sonoran_v1("get_version", [], "general"),
    "sonoran v2": _get("/v2/general/servers"),
    "devrev": _post("/incidents.list", {}),
    "eido": _get("/v1/incidents/inc_0000000000000000/eido"),  # a 404 is an authenticated answer too
    "access": _get("/v1/sites"),
    "intel": _get("/v1/safety/danger-zones"),
    "analytics": _get("/v1/analytics/incidents"),
    "webhooks": _get("/v1/webhooks"),
    "events": _get("/v1/events"),
}


def _reset_of(response: httpx.Response) -> datetime:
    value = response.headers["X-RateLimit-Reset"]
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_every_doors_authenticated_answer_carries_the_rate_limit_headers(
    limited: TestClient, database: Database, tenant: str
) -> None:
    def check() -> None:
        key = make_key(database, tenant, ["*"])
        remaining = []
        for door, send in READS.items():
            before = datetime.now(UTC)
            response = send(limited, key)
            assert response.status_code < 500 and response.status_code not in (401, 429), (door, response.text)
            assert response.headers["X-RateLimit-Limit"] == "60", door
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
            reset = _reset_of(response)
            assert before < reset <= before + timedelta(seconds=60), (door, reset)
            assert reset.second == 0 and reset.microsecond == 0, reset  # the end of the current minute
        # One count per request, whichever door it came through.
        assert remaining == list(range(59, 59 - len(READS), -1))
        # A refusal for a missing scope is an authenticated answer as well; a missing key is not.
        reader = make_key(database, tenant, ["incidents:read"])
        forbidden = limited.get("/v1/webhooks", headers=bearer(reader))
        assert forbidden.status_code == 403
        assert forbidden.headers["X-RateLimit-Remaining"] == "59"

    _in_one_minute(check)
    anonymous = limited.get("/v1/incidents")
    assert anonymous.status_code == 401 and "X-RateLimit-Limit" not in anonymous.headers


def _check_native(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == 429 and "60 requests per minute" in body["message"]


def _check_sonoran_v1(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("API RATE LIMIT EXCEEDED")


def _check_sonoran_v2(response: httpx.Response) -> None:
    body = response.json()
    assert body["message"] == "API rate limit exceeded" and set(body) == {"message", "request_id"}


def _check_devrev(response: httpx.Response) -> None:
    body = response.json()
    assert body["type"] == "too_many_requests" and {"message", "detail"} <= set(body)
    assert body["retry_after"] == int(response.headers["Retry-After"])


# The 61st request through each door, a write where the door writes (it must change nothing).
REFUSED: dict[str, tuple[Request, Callable[[httpx.Response], None]]] = {
    "native create": (_post("/v1/incidents", {"category": "sos", "idempotency_key": "refused"}), _check_native),
    "govworx upload": (
        lambda client, key: client.put("/api/v1/external/incident", json=GOVWORX_SEED, headers=bearer(key)),
        _check_native,
    ),
    "sonoran v1 new_dispatch": (_sonoran_v1("new_dispatch", [{"title": "Refused", "priority": 2}]), _check_sonoran_v1),
    "sonoran v2 calls": (_get("/v2/emergency/servers/1/calls"), _check_sonoran_v2),
    "devrev create": (_post("/incidents.create", {"title": "Refused", "severity": "sev1"}), _check_devrev),
    "eido": (_get("/v1/incidents/inc_0000000000000000/eido"), _check_native),
    "access": (_get("/v1/sites"), _check_native),
    "intel": (_get("/v1/safety/danger-zones"), _check_native),
    "analytics": (_get("/v1/analytics/incidents"), _check_native),
    "webhooks": (_get("/v1/webhooks"), _check_native),
    "events": (_get("/v1/events"), _check_native),
}


@pytest.mark.parametrize("door", list(REFUSED))
def test_the_61st_request_of_a_60_a_minute_tenant_is_refused_in_its_doors_format(
    limited: TestClient, database: Database, tenant: str, door: str
) -> None:
    send, check_format = REFUSED[door]

    def check() -> None:
        key = make_key(database, tenant, ["*"])
        other = make_key(database, tenant, ["*"])
        for number in range(60):
            response = limited.get("/v1/incidents", headers=bearer(key))
            assert response.status_code == 200, (number, response.text)
        assert response.headers["X-RateLimit-Remaining"] == "0"
        refused = send(limited, key)
        assert refused.status_code == 429, refused.text
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        assert refused.headers["X-RateLimit-Limit"] == "60" and refused.headers["X-RateLimit-Remaining"] == "0"
        assert _reset_of(refused) - datetime.now(UTC) <= timedelta(seconds=retry_after)
        check_format(refused)
        # Another key of the same tenant is counted on its own, and sees that the refused request stored nothing.
        seen = limited.get("/v1/incidents", headers=bearer(other))
        assert seen.status_code == 200 and seen.headers["X-RateLimit-Remaining"] == "59"
        assert seen.json()["total"] == response.json()["total"]
        assert limited.get("/v1/incidents", headers=bearer(key)).status_code == 429

    _in_one_minute(check)


def test_a_tenant_without_a_limit_of_its_own_gets_the_servers_default(database_url: str, database: Database) -> None:
    with database.transaction() as session:
        auth_service.create_tenant(session, "Plain", "plain", "UTC")
    with TestClient(create_app(_settings(database_url, rate_limit_per_minute=3))) as client:

        def check() -> None:
            key = make_key(database, "plain", ["*"])
            answers = [client.get("/v1/incidents", headers=bearer(key)) for _ in range(4)]
            assert [a.status_code for a in answers] == [200, 200, 200, 429]
            assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
            assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"3"}

        _in_one_minute(check)


def test_the_cli_sets_a_tenants_limit(
    database_url: str, database: Database, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        result = runner.invoke(cli_app, ["tenant", "update", "acme", "--rate-limit", "300"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["rate_limit_per_minute"] == 300
        bad = runner.invoke(cli_app, ["tenant", "update", "acme", "--rate-limit", "-1"])
        assert bad.exit_code == 2 and "--rate-limit" in bad.output
        key = make_key(database, tenant, ["*"])
        with TestClient(create_app(_settings(database_url))) as client:
            assert client.get("/v1/incidents", headers=bearer(key)).headers["X-RateLimit-Limit"] == "300"
            result = runner.invoke(cli_app, ["tenant", "update", "acme", "--rate-limit", "0"])
            assert result.exit_code == 0 and json.loads(result.stdout)["rate_limit_per_minute"] is None
            assert client.get("/v1/incidents", headers=bearer(key)).headers["X-RateLimit-Limit"] == "1000"
    finally:
        get_settings.cache_clear()


def _wrong(key: str) -> str:
    """The same key id with another secret."""
    return key[: key.rindex("_") + 1] + secrets.token_hex(16)


def test_a_burst_of_wrong_secrets_is_throttled_per_key_id_and_address(
    database_url: str, database: Database, tenant: str, caplog: pytest.LogCaptureFixture
) -> None:
    _set_limit(database, tenant, 1000)  # each process leases ten places at a time
    key = make_key(database, tenant, ["*"])
    bystander = make_key(database, tenant, ["*"])
    app = create_app(_settings(database_url))
    caplog.set_level(logging.WARNING, logger="incidenthub.auth")
    _fresh_window(300, 15)  # the failures are counted in windows of 300 s
    with (
        TestClient(app, client=("203.0.113.7", 40000)) as attacker,
        TestClient(app, client=("198.51.100.2", 40000)) as owner,
        TestClient(app, client=("192.0.2.50", 40000)) as elsewhere,
    ):
        guesses = [_wrong(key) for _ in range(FAILURES_ALLOWED + 3)]
        answers = [attacker.get("/v1/incidents", headers=bearer(guess)) for guess in guesses]
        assert [a.status_code for a in answers] == [401] * FAILURES_ALLOWED + [429] * 3
        refused = answers[-1]
        assert 1 <= int(refused.headers["Retry-After"]) <= 300
        assert refused.json()["code"] == 429 and "failed authentications" in refused.json()["message"]
        # The right secret learns nothing while the key id is throttled, from the attacker or anywhere else.
        assert attacker.get("/v1/incidents", headers=bearer(key)).status_code == 429
        assert owner.get("/v1/incidents", headers=bearer(key)).status_code == 429
        # Through another door, in that door's format.
        v1 = owner.post("/general/get_version", json={"id": COMMUNITY, "key": key, "type": "GET_VERSION", "data": []})
        assert v1.status_code == 429 and v1.text.startswith("API RATE LIMIT EXCEEDED"), v1.text
        devrev = owner.post("/incidents.list", json={}, headers=bearer(key))
        assert devrev.status_code == 429 and devrev.json()["type"] == "too_many_requests"
        # The attacker's address is throttled for every key; other keys from other addresses are not.
        assert attacker.get("/v1/incidents", headers=bearer(bystander)).status_code == 429
        assert owner.get("/v1/incidents", headers=bearer(bystander)).status_code == 200
        assert elsewhere.get("/v1/incidents", headers=bearer(bystander)).status_code == 200
        # Unknown key ids from one address: that address alone is throttled.
        unknown = [elsewhere.get("/v1/incidents", headers=bearer(f"ih_{secrets.token_hex(6)}_x")) for _ in range(6)]
        assert [a.status_code for a in unknown] == [401] * FAILURES_ALLOWED + [429]
        assert owner.get("/v1/incidents", headers=bearer(bystander)).status_code == 200
        # The bystander's key holds leased places in this process, and still its requests from the throttled
        # address are refused.
        assert elsewhere.get("/v1/incidents", headers=bearer(bystander)).status_code == 429
    key_id = answers[0].request.headers["Authorization"].rsplit("_", 2)[1]
    failures = [r.getMessage() for r in caplog.records if r.getMessage().startswith("authentication failed")]
    assert len(failures) == len(guesses) + 6  # every failure, the throttled ones too
    assert failures[0].startswith("authentication failed key_id=key_") and "address=203.0.113.7" in failures[0]
    logged = caplog.text
    for guess in guesses:
        assert guess not in logged and guess.rsplit("_", 1)[1] not in logged
    assert key not in logged and key_id not in logged  # the key id logged is the key's id, not its lookup prefix


def test_two_server_processes_share_the_counts(
    database_url: str, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with database.transaction() as session:
        auth_service.create_tenant(session, "Plain", "plain", "UTC")
    target = make_key(database, "plain", ["*"])
    monkeypatch.setenv("INCIDENTHUB_RATE_LIMIT_PER_MINUTE", "10")
    monkeypatch.setenv("INCIDENTHUB_AUTH_FAILURES_PER_WINDOW", "4")
    monkeypatch.setenv("INCIDENTHUB_KEY_CACHE_SECONDS", "5")
    # The servers run this checkout's code (the test's own import path).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in sys.path if p))
    with running_servers(database_url, tmp_path) as urls, httpx.Client(timeout=10) as http:

        def requests_of_one_key() -> None:
            key = make_key(database, "plain", ["*"])
            answers = [http.get(f"{urls[i % 2]}/v1/incidents", headers=bearer(key)) for i in range(12)]
            assert [a.status_code for a in answers] == [200] * 10 + [429] * 2
            remaining = [a.headers["X-RateLimit-Remaining"] for a in answers]
            assert remaining == [str(n) for n in range(9, -1, -1)] + ["0"] * 2

        _in_one_minute(requests_of_one_key)
        # Wrong secrets spread over both processes: the fifth is throttled, and then the right one too. (Failures
        # are counted per key id and per address, the same for every attempt here: a window of 300 s is waited for,
        # if need be, rather than tried again.)
        _fresh_window(300, 15)
        wrong = [http.get(f"{urls[i % 2]}/v1/incidents", headers=bearer(_wrong(target))) for i in range(5)]
        assert [a.status_code for a in wrong] == [401] * 4 + [429]
        assert all(http.get(f"{url}/v1/incidents", headers=bearer(target)).status_code == 429 for url in urls)


def test_two_processes_leasing_places_admit_exactly_the_limit(
    database_url: str, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 300 a minute each process leases three places at a time; together they still admit exactly 300."""
    with database.transaction() as session:
        auth_service.create_tenant(session, "Plain", "plain", "UTC")
    monkeypatch.setenv("INCIDENTHUB_RATE_LIMIT_PER_MINUTE", "300")
    monkeypatch.setenv("INCIDENTHUB_KEY_CACHE_SECONDS", "30")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in sys.path if p))
    with running_servers(database_url, tmp_path) as urls, httpx.Client(timeout=10) as http:

        def requests_of_one_key() -> None:
            key = make_key(database, "plain", ["*"])
            answers = [http.get(f"{urls[i % 2]}/v1/incidents", headers=bearer(key)) for i in range(320)]
            codes = [a.status_code for a in answers]
            assert codes.count(200) == 300 and codes[300:] == [429] * 20, codes
            # Each process's view of the count: its own places, one fewer left with each of its requests.
            assert [int(a.headers["X-RateLimit-Remaining"]) for a in answers[0:6:2]] == [299, 298, 297]
            assert all(a.headers["X-RateLimit-Remaining"] == "0" for a in answers[300:])

        _in_one_minute(requests_of_one_key)
