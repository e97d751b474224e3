"""A lost or revoked first key: `incidenthub serve` says how to make a new one, and that command works."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import update

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.models import ApiKey
from tests.factories import make_key, make_tenant
from tests.serving import INCIDENTHUB, serve, user_env


def test_serve_without_a_usable_key_prints_the_command_that_makes_one(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    make_tenant(database, "default")
    revoked = make_key(database, "default", ["*"])
    expired = make_key(database, "default", ["*"])
    with database.transaction() as session:
        key_id = auth_service.authenticate(session, revoked).key_id
        auth_service.revoke_key(session, key_id)
    with database.transaction() as session:
        key_id = auth_service.authenticate(session, expired).key_id
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(expires_at=datetime(2020, 1, 1, tzinfo=UTC)))
    env = user_env(database_url)
    with serve(env, tmp_path) as server:
        hint = re.search(r"^  (\S*incidenthub key create .*)$", server.output, re.MULTILINE)
        assert hint, server.output
        assert "no usable API key" in server.output and "none was made, or all are revoked or expired" in server.output
        assert hint.group(1) == f"{INCIDENTHUB} key create --tenant default --scope '*' --name admin"
        assert httpx.get(f"{server.base_url}/v1/incidents", headers={"Authorization": f"Bearer {revoked}"}).is_error
        # The command exactly as printed, against the same database, makes a key the running server accepts.
        made = subprocess.run(shlex.split(hint.group(1)), env=env, capture_output=True, text=True, check=True)
        key = json.loads(made.stdout)["key"]
        listed = httpx.get(f"{server.base_url}/v1/incidents", headers={"Authorization": f"Bearer {key}"})
        assert listed.status_code == 200


def test_serve_with_a_usable_key_prints_no_hint(database: Database, database_url: str, tmp_path: Path) -> None:
    make_tenant(database, "county")
    make_key(database, "county", ["incidents:read"])
    with serve(user_env(database_url), tmp_path) as server:
        pass
    assert "no usable API key" not in server.output and "key create" not in server.output


def test_which_tenant_the_hint_names(database: Database) -> None:
    with database.transaction() as session:
        assert auth_service.tenant_needing_a_key(session) is None  # empty: serve makes the first key itself
    make_tenant(database, "county")  # e.g. `tenant create` before the first `serve`: a tenant and no key
    with database.transaction() as session:
        assert auth_service.tenant_needing_a_key(session) == "county"
    make_tenant(database, "default")
    with database.transaction() as session:
        assert auth_service.tenant_needing_a_key(session) == "default"
    make_key(database, "county", ["incidents:read"], expires_at=datetime(2099, 1, 1, tzinfo=UTC))
    with database.transaction() as session:
        assert auth_service.tenant_needing_a_key(session) is None
