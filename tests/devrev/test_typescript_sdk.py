"""The official TypeScript SDK (`@devrev/typescript-sdk`) against a live server, when Node and npm exist.

The SDK is installed by `npm ci` from `tests/devrev/ts/package-lock.json` into `tests/devrev/ts/node_modules`
(git-ignored) the first time this runs; `ts/drive.js` makes the calls and prints what it got.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from incidenthub.config import Settings
from incidenthub.db import Database
from tests.devrev.live import serve
from tests.factories import make_key, make_tenant

HERE = Path(__file__).parent / "ts"
SDK = HERE / "node_modules" / "@devrev" / "typescript-sdk"


def _node_and_sdk() -> tuple[str, str | None]:
    """(node, reason to skip or None), installing the SDK with npm when it is not there yet."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "", "Node.js and npm are needed to run @devrev/typescript-sdk (not found on PATH)"
    # One install at a time: `make test` runs tests side by side, and `npm ci` starts by deleting node_modules.
    with (Path(tempfile.gettempdir()) / "incidenthub-devrev-ts.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return node, _install(npm)


def _install(npm: str) -> str | None:
    """Why the SDK could not be installed, or None when it is there."""
    # npm writes this file last: without it an earlier install stopped half way, so install again.
    if not (HERE / "node_modules" / ".package-lock.json").exists() or not SDK.exists():
        try:
            installed = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return "npm ci did not finish within 300 s (is the npm registry reachable?)"
        if installed.returncode != 0 or not SDK.exists():
            return f"npm could not install @devrev/typescript-sdk: {installed.stderr.strip()[-500:]}"
    return None


@pytest.fixture(scope="module")
def node() -> str:
    found, reason = _node_and_sdk()
    if reason is not None:
        pytest.skip(reason)
    return found


def _drive(node: str, base_url: str, token: str) -> dict[str, Any]:
    env = {**os.environ, "DEVREV_ENDPOINT": base_url, "DEVREV_TOKEN": token}
    result = subprocess.run(
        [node, "drive.js"], cwd=HERE, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_typescript_sdk_creates_gets_lists_updates_groups_and_deletes(
    node: str, settings: Settings, database: Database
) -> None:
    make_tenant(database, "acme")
    token = make_key(database, "acme", ["incidents:read", "incidents:write"])
    with serve(settings) as base_url:
        out = _drive(node, base_url, token)

    created = out["created"]
    assert out["createStatus"] == 201
    assert created["id"] == "don:core:incidenthub:devo/acme:incident/1" and created["display_id"] == "INC-1"
    assert created["severity"] == {"id": 1, "label": "Sev1", "ordinal": 1}
    assert created["tags"][0]["tag"]["name"] == "payments" and created["tags"][0]["value"] == "checkout"
    assert created["stage"]["stage"]["name"] == "acknowledged" and created["stage"]["notes"] == "paged"
    assert out["get"] == created and out["getPost"] == created

    # GET with the SDK's quoted arrays ("1","2"), one per page, newest first.
    assert [i["title"] for i in out["listGet"]["incidents"]] == ["Second"]
    assert [i["title"] for i in out["listGetNext"]["incidents"]] == ["Checkout down"]
    assert "next_cursor" not in out["listGetNext"]
    assert [i["title"] for i in out["listPost"]["incidents"]] == ["Third"]

    updated = out["updated"]
    assert updated["title"] == "Checkout degraded" and updated["severity"]["id"] == 2
    assert [u["id"] for u in updated["owned_by"]] == ["DEVU-2"]
    assert updated["stage"]["stage"]["name"] == "identified"

    assert [g["key"]["value"] for g in out["group"]["groups"]] == [2, 3]
    assert out["error"]["status"] == 400 and out["error"]["body"]["type"] == "value_not_permitted"
    assert out["deleteStatus"] == 200 and out["deleted"] == {}
    assert out["afterDelete"]["status"] == 404 and out["afterDelete"]["body"]["type"] == "not_found"
