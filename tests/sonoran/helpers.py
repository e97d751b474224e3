"""Two Sonoran communities (and a tenant without one), their keys, and short v1/v2 calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from tests.factories import bearer, make_key

DATA = Path(__file__).resolve().parents[1] / "data" / "sonoran"
# The contract itself: shared/ sits beside the repository root (here and in CI's clone).
SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "sonoran-new-dispatch.txt"
DISPATCH_SCOPES = ["dispatch:read", "dispatch:write"]


def _skip_blank(text: str, index: int) -> int:
    """The index of the next character that is neither whitespace nor inside a `//` comment."""
    while index < len(text):
        if text[index].isspace():
            index += 1
        elif text.startswith("//", index):
            while index < len(text) and text[index] != "\n":
                index += 1
        else:
            break
    return index


def strip_comments(text: str) -> str:
    """JSON with `// ...` comments and trailing commas, as plain JSON (string contents are left alone)."""
    out: list[str] = []
    in_string = escaped = False
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", index):
            while index < len(text) and text[index] != "\n":
                index += 1
            continue
        elif char == "," and text[_skip_blank(text, index + 1) : _skip_blank(text, index + 1) + 1] in ("}", "]"):
            pass  # a trailing comma
        else:
            out.append(char)
        index += 1
    return "".join(out)


def parse_seed(text: str) -> dict[str, Any]:
    """The new_dispatch request body of the seed: the top-level `{ ... }` block that holds NEW_DISPATCH."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if line.strip() != "{":
            continue
        end = next(i for i in range(start + 1, len(lines)) if lines[i].rstrip() == "}")
        block = "\n".join(lines[start : end + 1])
        if '"NEW_DISPATCH"' in block:
            body: dict[str, Any] = json.loads(strip_comments(block))
            return body
    raise AssertionError("the seed holds no NEW_DISPATCH example")


def seed_example() -> dict[str, Any]:
    """The seed's new_dispatch example, comments (and the trailing comma) stripped, read from the seed itself.

    Where shared/ is not beside the repository, the committed copy stands in; where both are, they must match.
    """
    committed: dict[str, Any] = json.loads((DATA / "new_dispatch.json").read_text())
    if not SEED.is_file():
        return committed
    parsed = parse_seed(SEED.read_text())
    assert parsed == committed, f"tests/data/sonoran/new_dispatch.json no longer matches {SEED}"
    return parsed


class Sonoran:
    def __init__(self, client: TestClient, database: Database) -> None:
        self.client = client
        self.database = database
        with database.transaction() as session:
            auth_service.create_tenant(session, "Community A", "community-a", "UTC", "COMM-A")
            auth_service.create_tenant(session, "Community B", "community-b", "UTC", "COMM-B")
            auth_service.create_tenant(session, "Plain", "plain", "UTC", None)
        self.key_a = make_key(database, "community-a", DISPATCH_SCOPES)
        self.key_b = make_key(database, "community-b", DISPATCH_SCOPES)
        self.key_plain = make_key(database, "plain", ["*"])
        self.reader_a = make_key(database, "community-a", ["incidents:read"])
        self.reader_b = make_key(database, "community-b", ["incidents:read"])

    def key(self, scopes: list[str], tenant: str = "community-a") -> str:
        return make_key(self.database, tenant, scopes)

    def v1(
        self,
        name: str,
        data: Any = None,
        *,
        type_: str | None = None,
        community: str = "COMM-A",
        key: str | None = None,
        category: str = "emergency",
        **extra: Any,
    ) -> Response:
        body = {
            "id": community,
            "key": self.key_a if key is None else key,
            "type": name.upper() if type_ is None else type_,
            "data": [] if data is None else data,
            **extra,
        }
        return self.client.post(f"/{category}/{name}", json=body)

    def ok(self, name: str, data: Any = None, **kwargs: Any) -> Response:
        response = self.v1(name, data, **kwargs)
        assert response.status_code == 200, response.text
        return response

    def new_call(self, **fields: Any) -> int:
        text = self.ok("new_dispatch", [{"title": "Call", "priority": 2, **fields}]).text
        assert text.startswith("NEW DISPATCH CREATED - ID: "), text
        return int(text.rsplit(" ", 1)[1])

    def calls(self, community_key: str | None = None, **query: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.ok("get_calls", [query] if query else [], key=community_key).json()
        return body

    def call(self, call_id: int, **query: Any) -> dict[str, Any]:
        board = self.calls(**query)
        found = [c for c in board["activeCalls"] + board["closedCalls"] if c["callId"] == call_id]
        assert found, board
        return found[0]

    def incident(self, call_id: int, tenant_key: str | None = None) -> dict[str, Any]:
        headers = bearer(tenant_key or self.reader_a)
        page = self.client.get(f"/v1/incidents?source=sonoran&external_id={call_id}", headers=headers).json()
        assert page["total"] == 1, page
        incident: dict[str, Any] = self.client.get(
            f"/v1/incidents/{page['data'][0]['incident_id']}", headers=headers
        ).json()
        return incident

    def v2(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> Response:
        return self.client.request(method, f"/v2{path}", headers=bearer(key or self.key_a), **kwargs)
