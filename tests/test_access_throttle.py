"""Code guessing is throttled: after N unknown codes from one key at one site within a minute, further attempts
answer 429 with Retry-After and are kept in the log as denied `throttled`; other keys and sites go on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from incidenthub.app import create_app
from incidenthub.clock import utcnow
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.models import AccessGuess
from tests.access_factories import check_in, code, logs, site
from tests.factories import Api

LIMIT = 3


@pytest.fixture
def guarded(settings: Settings, api: Api) -> Iterator[TestClient]:
    """The app with a throttle of three unknown codes per key, site and minute (the tenants come from `api`)."""
    strict = settings.model_copy(update={"access_unknown_codes_per_minute": LIMIT})
    with TestClient(create_app(strict)) as client:
        yield client


def _unknown(client: TestClient, headers: dict[str, str], site_id: str, n: int) -> None:
    for i in range(n):
        answer = check_in(client, headers, site_id, code=f"GUESS{i:03d}", gate="main")
        assert answer.status_code == 409 and answer.json()["errors"][0]["message"] == "unknown"


def test_too_many_unknown_codes_answer_429_and_are_logged(api: Api, guarded: TestClient, database: Database) -> None:
    where = site(guarded, api.acme)
    good = code(guarded, api.acme, where["site_id"])
    _unknown(guarded, api.acme, where["site_id"], LIMIT)

    refused = check_in(guarded, api.acme, where["site_id"], code=good["code"], gate="main")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["code"] == 429 and refused.json()["message"]
    validate = {"code": good["code"], "site_id": where["site_id"]}
    assert guarded.post("/v1/access-codes/validate", json=validate, headers=api.acme).status_code == 429
    # Refused before any code was looked up: the good code took no use; both attempts are in the log.
    assert guarded.get(f"/v1/access-codes/{good['access_code_id']}", headers=api.acme).json()["uses"] == 0
    throttled = [e for e in logs(guarded, api.acme, status="denied")["data"] if e["denial_reason"] == "throttled"]
    assert len(throttled) == 2 and throttled[0]["gate"] is None and throttled[1]["gate"] == "main"
    assert throttled[1]["access_code_id"] is None and throttled[1]["presented_code"] == good["code"][:2] + "******"
    stats = guarded.get("/v1/access-logs/stats", params={"site_id": where["site_id"]}, headers=api.acme).json()
    assert stats["denied_attempts"]["unknown"] == LIMIT and stats["denied_attempts"]["throttled"] == 2

    # Another key at the same site, and the same key at another site, are not held back.
    second_key = api.key(["access:write", "access:read"])
    assert check_in(guarded, second_key, where["site_id"], code=good["code"]).status_code == 201
    elsewhere = site(guarded, api.acme, name="Other")
    assert check_in(guarded, api.acme, elsewhere["site_id"], visitor={"name": "x"}).status_code == 201
    assert check_in(guarded, api.acme, elsewhere["site_id"], code="NOPE2345").status_code == 409

    # A minute later the key may try again.
    with database.transaction() as session:
        session.execute(update(AccessGuess).values(at=utcnow() - timedelta(seconds=61)))
    assert check_in(guarded, api.acme, where["site_id"], code="NOPE2345").status_code == 409


def test_unknown_codes_at_validation_count_too(api: Api, guarded: TestClient) -> None:
    where = site(guarded, api.acme)
    for i in range(LIMIT):
        body = {"code": f"GUESS{i:03d}", "site_id": where["site_id"]}
        answer = guarded.post("/v1/access-codes/validate", json=body, headers=api.acme)
        assert answer.status_code == 200 and answer.json()["reason"] == "unknown"
    assert check_in(guarded, api.acme, where["site_id"], code="ABCDEFGH").status_code == 429


def test_walk_ins_and_known_codes_are_never_counted(api: Api, guarded: TestClient) -> None:
    where = site(guarded, api.acme)
    for _ in range(LIMIT + 2):
        assert check_in(guarded, api.acme, where["site_id"], visitor={"name": "x"}).status_code == 201
    spent = code(guarded, api.acme, where["site_id"])
    for expected in [201] + [409] * (LIMIT + 1):
        assert check_in(guarded, api.acme, where["site_id"], code=spent["code"]).status_code == expected
    assert check_in(guarded, api.acme, where["site_id"], code="NOPE2345").status_code == 409
