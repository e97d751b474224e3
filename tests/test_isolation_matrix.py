"""Tenant isolation and scopes, every route of every door (issue 15, item 6).

The routes are read from the app itself (`create_app(...).routes`), so a route added tomorrow is in this
table the day it is added: it is driven with default ids from its path, or it fails here until `CALLS`
says how to call it. Each route gets six callers:

  (a) no key   (b) a malformed key   (c) a revoked key   (d) an expired key
  (e) a key of the same tenant with every scope but the one(s) the route accepts
  (f) another tenant's all-scopes key against this tenant's records

(a)-(d) are 401, (e) 403, (f) 404, each in the route's own door format (Sonoran v1 answers every client
error HTTP 400 with its text, as Sonoran does: `INVALID API KEY`, `API ENDPOINT IS NOT ENABLED ...`).
Routes that name no record (lists, creates) get (f) as "sees none of the other tenant's records" / "writes
only in its own tenant". After each case: no byte of tenant acme's records in the answer, and (writes)
the database is as it was (acme's rows untouched; only the caller's own tenant gained rows).
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text, update

from incidenthub.adapters import doors
from incidenthub.adapters.sonoran.schemas_v1 import (
    EMERGENCY_TYPES,
    ENDPOINT_NOT_ENABLED,
    GENERAL_TYPES,
    INVALID_API_KEY,
    READS,
)
from incidenthub.app import create_app
from incidenthub.auth import service as auth_service
from incidenthub.auth.scopes import SCOPES
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.models import ApiKey, Base
from tests.access_factories import HOST, VISITOR
from tests.conftest import BACKENDS
from tests.factories import Snapshot, bearer, make_key, snapshot, tenant_column

DATA = Path(__file__).parent / "data"
MARKER = "Zqx7private"  # in acme's records' text: it must never reach another caller
PUBLIC = {  # answer anyone, by design
    ("GET", "/openapi.json"),
    ("HEAD", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/docs/assets/{name}"),
    ("GET", "/v1/health"),
    ("GET", "/v1/external/health"),
    ("GET", "/board"),  # the board's page and assets: static files; every call it makes carries the key
    ("GET", "/board/{name}"),
}
# Any valid key, no scope needed (a key asking about itself): (e) does not apply, the rest does.
ANY_KEY = {("GET", "/v1/whoami"), ("GET", "/v1/external/whoami")}
# The scope(s) a route accepts, where its dependency is not `require(...)` (read from the route itself).
SCOPE_OF_ENDPOINT = {
    "incidenthub.adapters.devrev.router": {"reader": ("incidents:read",), "writer": ("incidents:write",)},
}
# ... and where the endpoint checks it itself (`principal.require(...)` in its body).
SCOPE_OF_ROUTE = {
    "incidenthub.adapters.govworx.router.upload_incident": ("events:manage",),
    "incidenthub.adapters.govworx.router.stored_incident": ("events:manage", "incidents:read"),
    "incidenthub.adapters.govworx.router.list_users": ("events:manage", "dispatch:read"),
    "incidenthub.adapters.govworx.router.find_user": ("events:manage", "dispatch:read"),
}
CASES = ("no_key", "malformed", "revoked", "expired", "no_scope", "other_tenant")


# --- the tenant whose records are guarded, and its ids ------------------------------------------------------


@dataclass
class World:
    client: TestClient
    database: Database
    acme_tenant: str = ""
    globex_tenant: str = ""
    acme: str = ""  # all-scope keys
    globex: str = ""
    revoked: str = ""
    expired: str = ""
    ids: dict[str, Any] = field(default_factory=dict)
    scoped: dict[tuple[str, ...], str] = field(default_factory=dict)

    def key_without(self, accepted: tuple[str, ...]) -> str:
        """An acme key holding every scope except those the route accepts."""
        if accepted not in self.scoped:
            self.scoped[accepted] = make_key(self.database, "acme", [s for s in SCOPES if s not in accepted])
        return self.scoped[accepted]

    def ok(self, method: str, path: str, body: Any = None, status: int | None = None, **kw: Any) -> Any:
        response = self.client.request(method, path, json=body, headers=bearer(self.acme), **kw)
        assert response.status_code < 300 if status is None else response.status_code == status, (
            path,
            response.text,
        )
        return response.json() if "json" in response.headers.get("content-type", "") else response.text


def _v1(name: str, key: str | None, community: str, data: Any = ()) -> dict[str, Any]:
    body: dict[str, Any] = {"id": community, "type": (EMERGENCY_TYPES | GENERAL_TYPES)[name][0], "data": list(data)}
    if key is not None:
        body["key"] = key
    return body


def _populate(world: World) -> None:
    """Tenant acme with one of everything (each holding MARKER), built through the API as a user would."""
    db, w, ids = world.database, world, world.ids
    with db.transaction() as session:
        w.acme_tenant = auth_service.create_tenant(session, "Acme", "acme", "UTC", "COMM-ACME").id
        w.globex_tenant = auth_service.create_tenant(session, "Globex", "globex", "UTC", "COMM-GLOBEX").id
    w.acme, w.globex = make_key(db, "acme", ["*"]), make_key(db, "globex", ["*"])
    w.revoked = make_key(db, "acme", ["*"])
    w.expired = make_key(db, "acme", ["*"], expires_at=datetime.now(UTC) + timedelta(hours=1))
    with db.transaction() as session:
        for (key_id,) in session.execute(
            select(ApiKey.id).where(ApiKey.secret_hash == auth_service.hash_secret(w.revoked))
        ):
            auth_service.revoke_key(session, key_id)
        session.execute(
            update(ApiKey)
            .where(ApiKey.secret_hash == auth_service.hash_secret(w.expired))
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    # Enough incidents that acme's per-tenant numbers (Sonoran call ids, DevRev INC-n) are past any globex
    # makes in the create cases: another tenant must get 404 for them, not its own record of that number.
    for n in range(12):
        w.ok("POST", "/v1/incidents", {"category": "sos", "title": f"{MARKER} filler {n}"})
    incident = w.ok(
        "POST",
        "/v1/incidents",
        {
            "category": "sos",
            "severity": "critical",
            "title": f"{MARKER} SOS",
            "idempotency_key": "shared-idem",
            "subject": {"name": f"{MARKER} Subject", "phone": "+2348012345678"},
            "location": {"coordinates": [3.3792, 6.5244], "address": f"{MARKER} Road"},
        },
    )["incident"]
    ids["incident_id"] = incident["incident_id"]
    w.ok("POST", f"/v1/incidents/{ids['incident_id']}/notes", {"note": f"{MARKER} note"})
    unit = w.ok("POST", "/v1/units", {"call_sign": "U1", "name": f"{MARKER} unit"})
    ids["unit_id"] = unit.get("unit_id") or unit.get("id") or unit["unit"]["unit_id"]
    assignment = w.ok("POST", f"/v1/incidents/{ids['incident_id']}/assignments", {"unit_id": ids["unit_id"]})
    ids["assignment_id"] = _first_id(assignment, "assignment_id")
    site = w.ok("POST", "/v1/sites", {"name": f"{MARKER} Estate", "gates": ["main"]})
    ids["site_id"] = _first_id(site, "site_id")
    code = w.ok("POST", "/v1/access-codes", {"site_id": ids["site_id"], "visitor": {**VISITOR, "name": MARKER}})
    ids["code_id"], ids["code"] = _first_id(code, "access_code_id"), _find(code, "code")
    log = w.ok("POST", "/v1/access-logs", {"site_id": ids["site_id"], "visitor": {"name": f"{MARKER} V"}, "host": HOST})
    ids["log_id"] = _first_id(log, "access_log_id")
    hook = w.ok("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"], "description": MARKER})
    ids["webhook_id"] = _first_id(hook, "webhook_id")
    issued = w.ok("POST", "/v1/api-keys", {"name": f"{MARKER} cad", "scopes": ["incidents:read"]})
    ids["key_id"] = _first_id(issued, "key_id")
    w.ok("POST", f"/v1/webhooks/{ids['webhook_id']}/test")
    w.ok("POST", f"/v1/incidents/{ids['incident_id']}/notes", {"note": f"{MARKER} second note"})
    deliveries = w.ok("GET", f"/v1/webhooks/{ids['webhook_id']}/deliveries")
    ids["delivery_id"] = _first_id(deliveries, "delivery_id")
    place = w.ok(
        "POST",
        "/v1/safety/places",
        {"name": f"{MARKER} Clinic", "type": "hospital", "location": {"coordinates": [3.38, 6.52]}},
    )
    ids["place_id"] = _first_id(place, "place_id")
    w.ok(
        "POST",
        "/v1/recordings",
        {
            "position": "Position-01",
            "started_at": "2026-01-06T10:23:05Z",
            "ended_at": "2026-01-06T10:27:50Z",
            "recorder_ref": f"vlr://{MARKER}.wav",
        },
    )
    fragment = w.ok(
        "POST",
        "/v1/custom-schemas",
        {"kind": "tenant_fragment", "description": MARKER, "fields": [{"name": "x", "type": "text"}]},
    )
    ids["fragment_id"] = _first_id(fragment, "id")
    govworx = json_of(DATA / "govworx_seed_example.json") | {"sysId": "SHARED-SYS", "callerName": MARKER}
    ids["govworx_id"] = w.ok("PUT", "/api/v1/external/incident", govworx)["id"]
    eido = json_of(DATA / "eido_nena_example.json")
    ids["eido_id"] = w.ok("POST", "/v1/eido", eido)["incident_id"]
    w.ok("PUT", "/v2/general/servers", {"servers": [{"id": 1, "name": f"{MARKER} server"}]})
    v2 = "/v2/emergency/servers/1"
    call = {"origin": 0, "status": 1, "priority": 1, "title": f"{MARKER} call", "communityUserIds": ["player-1"]}
    # Call ids are numbered per community: acme's are past any globex makes in its create cases.
    for _ in range(6):
        ids["call_id"] = _find(w.ok("POST", f"{v2}/dispatch-calls", call), "callId")
        ids["call_911"] = _find(w.ok("POST", f"{v2}/calls/911", {"caller": MARKER, "location": MARKER}), "callId")
    devrev = w.ok("POST", "/incidents.create", {"title": f"{MARKER} outage"})["incident"]
    ids["devrev_id"] = devrev["id"]


def json_of(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _find(body: Any, name: str) -> Any:
    """The first value of member `name` anywhere in a JSON answer."""
    if isinstance(body, dict):
        if name in body:
            return body[name]
        values: list[Any] = list(body.values())
    elif isinstance(body, list):
        values = body
    else:
        values = []
    for value in values:
        found = _find(value, name)
        if found is not None:
            return found
    return None


def _first_id(body: Any, name: str) -> str:
    found = _find(body, name)
    assert isinstance(found, str | int), (name, body)
    return str(found)


# --- how to call each route ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """How to drive one route. `kind` is what case (f) means for it: `record` (names one of acme's records:
    404), `list` (reads the caller's own records: none of acme's), `create` (writes in the caller's tenant only).
    """

    kind: str
    body: Callable[[dict[str, Any]], Any] | None = None
    query: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    path: Callable[[dict[str, Any]], dict[str, str]] | None = None
    names: tuple[str, ...] = ()  # Sonoran v1's `{name}`: one case row per endpoint name
    # Why a successful call cannot be made in-process (then (a)-(e) run, and (f) and the own-key call do not).
    no_success: str = ""


V2 = "/v2/emergency/servers/{serverId}"
NEW_CALL = {"origin": 0, "status": 1, "priority": 1, "title": "Other call", "communityUserIds": ["p9"]}
RECORDING = {
    "position": "P-9",
    "started_at": "2026-01-06T10:23:05Z",
    "ended_at": "2026-01-06T10:24:00Z",
    "recorder_ref": "r",
}
CALLS: dict[tuple[str, str], Call] = {}
for prefix in ("/v1", "/v1/external"):
    CALLS |= {
        ("POST", f"{prefix}/incidents"): Call(
            "create", lambda i: {"category": "sos", "idempotency_key": "shared-idem"}
        ),
        ("POST", f"{prefix}/incidents/{{incident_id}}/notes"): Call("record", lambda i: {"note": "x"}),
        ("POST", f"{prefix}/incidents/{{incident_id}}/cancel"): Call("record", lambda i: {}),
        ("POST", f"{prefix}/incidents/{{incident_id}}/status"): Call("record", lambda i: {"status": "resolved"}),
        ("POST", f"{prefix}/sites"): Call("create", lambda i: {"name": "Other estate"}),
        ("PATCH", f"{prefix}/sites/{{site_id}}"): Call("record", lambda i: {"name": "renamed"}),
        ("POST", f"{prefix}/access-codes"): Call("record", lambda i: {"site_id": i["site_id"], "visitor": VISITOR}),
        ("POST", f"{prefix}/access-codes/validate"): Call(
            "record", lambda i: {"site_id": i["site_id"], "code": i["code"]}
        ),
        ("POST", f"{prefix}/access-codes/{{code_id:access_code_id}}/revoke"): Call("record", lambda i: {}),
        ("POST", f"{prefix}/access-logs"): Call("record", lambda i: {"site_id": i["site_id"], "code": i["code"]}),
        ("PATCH", f"{prefix}/access-logs/{{log_id}}/checkout"): Call("record", lambda i: {}),
        ("POST", f"{prefix}/webhooks"): Call("create", lambda i: {"url": "http://127.0.0.1:9/other"}),
        ("PATCH", f"{prefix}/webhooks/{{webhook_id}}"): Call("record", lambda i: {"description": "changed"}),
        ("DELETE", f"{prefix}/webhooks/{{webhook_id}}"): Call("record"),
        ("POST", f"{prefix}/api-keys"): Call("create", lambda i: {"name": "other cad", "scopes": ["incidents:read"]}),
        ("DELETE", f"{prefix}/api-keys/{{key_id}}"): Call("record"),
        ("POST", f"{prefix}/webhooks/{{webhook_id}}/rotate-secret"): Call("record"),
        ("POST", f"{prefix}/webhooks/{{webhook_id}}/test"): Call("record"),
        ("POST", f"{prefix}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/redeliver"): Call("record"),
        ("POST", f"{prefix}/safety/places"): Call(
            "create", lambda i: {"name": "Other", "type": "hospital", "location": {"coordinates": [3.38, 6.52]}}
        ),
        ("DELETE", f"{prefix}/safety/places/{{place_id}}"): Call("record"),
        ("POST", f"{prefix}/eido"): Call("create", lambda i: json_of(DATA / "eido_nena_example.json")),
        ("GET", f"{prefix}/safety/score"): Call("list", query=lambda i: {"lat": 6.5244, "lon": 3.3792}),
        ("GET", f"{prefix}/safety/safe-zones"): Call("list", query=lambda i: {"lat": 6.5244, "lon": 3.3792}),
        ("GET", f"{prefix}/safety/heatmap"): Call("list", query=lambda i: {"bbox": "3,6,4,7"}),
        ("GET", f"{prefix}/access-logs/stats"): Call("record", query=lambda i: {"site_id": i["site_id"]}),
        ("GET", f"{prefix}/analytics/compliance"): Call(
            "list", query=lambda i: {"standard": "nena-sta-020.1-2020-call-answering"}
        ),
        ("GET", f"{prefix}/safety/danger-analytics"): Call("list", query=lambda i: {"lat": 6.5244, "lon": 3.3792}),
        ("GET", f"{prefix}/safety/route"): Call("list", query=lambda i: {"waypoints": "6.5244,3.3792;6.53,3.38"}),
        ("GET", f"{prefix}/analytics/charts/{{name}}.png"): Call("list", path=lambda i: {"name": "answer-times"}),
        ("GET", f"{prefix}/events/stream"): Call(
            "list",
            no_success="an open event stream never ends, and the in-process client reads a body to its end; "
            "tests/live/test_stream.py::test_another_tenants_events_never_appear runs (f) over a real server",
        ),
    }
CALLS |= {
    ("POST", "/v1/recordings"): Call("create", lambda i: RECORDING),
    ("POST", "/v1/units"): Call("create", lambda i: {"call_sign": "U1"}),
    ("PATCH", "/v1/units/{unit_id}"): Call("record", lambda i: {"name": "renamed"}),
    ("POST", "/v1/units/{unit_id}/status"): Call("record", lambda i: {"status": "available"}),
    ("POST", "/v1/units/{unit_id}/location"): Call("record", lambda i: {"latitude": 6.5, "longitude": 3.3}),
    ("POST", "/v1/incidents/{incident_id}/assignments"): Call("record", lambda i: {"call_sign": "OTHER-1"}),
    ("PATCH", "/v1/incidents/{incident_id}/assignments/{assignment_id}"): Call(
        "record", lambda i: {"status": "enroute"}
    ),
    ("POST", "/v1/custom-schemas"): Call(
        "create", lambda i: {"kind": "tenant_fragment", "fields": [{"name": "y", "type": "text"}]}
    ),
    ("PUT", "/v1/custom-schemas/{fragment_id}"): Call("record", lambda i: {"kind": "tenant_fragment", "fields": []}),
    ("DELETE", "/v1/custom-schemas/{fragment_id}"): Call("record"),
    ("PUT", "/v1/devrev/settings"): Call("create", lambda i: {}),
    ("PUT", "/api/v1/external/incident"): Call(
        "create", lambda i: json_of(DATA / "govworx_seed_example.json") | {"sysId": "SHARED-SYS"}
    ),
    ("GET", "/api/v1/external/user/single"): Call("list", query=lambda i: {"personnelId": "CT-456"}),
    # Sonoran v1: the community id names the tenant, the key is in the body; another tenant's key against
    # acme's community is the (f) case of every endpoint.
    ("POST", "/general/{name}"): Call("record", names=tuple(GENERAL_TYPES)),
    ("POST", "/emergency/{name}"): Call("record", names=tuple(EMERGENCY_TYPES)),
    ("POST", f"{V2}/dispatch-calls"): Call("create", lambda i: NEW_CALL),
    ("PATCH", f"{V2}/dispatch-calls/{{callId:int}}"): Call("record", lambda i: {"title": "changed"}),
    ("POST", f"{V2}/dispatch-calls/close"): Call("record", lambda i: {"callIds": [i["call_id"]]}),
    ("POST", f"{V2}/dispatch-calls/{{callId}}/attachments"): Call("record", lambda i: {"communityUserIds": ["p9"]}),
    # Units are named by the community's own user ids: another community's call reaches only its own units.
    ("DELETE", f"{V2}/dispatch-calls/attachments"): Call("create", lambda i: {"communityUserIds": ["player-1"]}),
    ("POST", f"{V2}/dispatch-calls/{{callId}}/notes"): Call("record", lambda i: {"note": "x"}),
    ("PATCH", f"{V2}/dispatch-calls/{{callId}}/postal"): Call("record", lambda i: {"postal": "101"}),
    ("PATCH", f"{V2}/dispatch-calls/{{callId}}/primary"): Call("record", lambda i: {"identId": 1}),
    ("POST", f"{V2}/calls/911"): Call("create", lambda i: {"caller": "other", "location": "there"}),
    ("DELETE", f"{V2}/calls/911/{{callId}}"): Call("record", path=lambda i: {"callId": str(i["call_911"])}),
    ("PATCH", f"{V2}/units/status"): Call("create", lambda i: {"communityUserIds": ["player-1"], "status": 2}),
    ("PATCH", f"{V2}/units/panic"): Call("create", lambda i: {"communityUserIds": ["player-1"], "isPanic": True}),
    ("PATCH", f"{V2}/unit-locations"): Call("create", lambda i: {"updates": [{"apiId": "player-1", "location": "x"}]}),
    ("PUT", "/v2/general/servers"): Call("create", lambda i: {"servers": [{"id": 1, "name": "Other server"}]}),
    ("POST", "/incidents.create"): Call("create", lambda i: {"title": "Other outage"}),
    ("GET", "/incidents.get"): Call("record", query=lambda i: {"id": i["devrev_id"]}),
    ("POST", "/incidents.get"): Call("record", lambda i: {"id": i["devrev_id"]}),
    ("POST", "/incidents.list"): Call("list", lambda i: {}),
    ("POST", "/incidents.update"): Call("record", lambda i: {"id": i["devrev_id"], "title": "changed"}),
    ("POST", "/incidents.delete"): Call("record", lambda i: {"id": i["devrev_id"]}),
    ("GET", "/incidents.group"): Call("list", query=lambda i: {"group_by": "stage"}),
    ("POST", "/incidents.group"): Call("list", lambda i: {"group_by": "stage"}),
}
# Path parameters that name one of acme's records (a route with one of these is `record` by default).
RECORD_PARAMS = {
    "incident_id": "incident_id",
    "unit_id": "unit_id",
    "assignment_id": "assignment_id",
    "site_id": "site_id",
    "code_id": "code_id",
    "log_id": "log_id",
    "webhook_id": "webhook_id",
    "key_id": "key_id",
    "delivery_id": "delivery_id",
    "place_id": "place_id",
    "fragment_id": "fragment_id",
    "callId": "call_id",
    "IncidentId": "incident_id",
}
OTHER_PARAMS = {"serverId": "1"}  # Sonoran v2 servers: each tenant has its own server 1
_PARAM = re.compile(r"{([A-Za-z_]+)(?::[a-z_]+)?}")


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # the route's path, as the app declares it
    door: str
    accepted: tuple[str, ...] | None  # scopes, None: unknown
    call: Call | None
    name: str | None = None  # Sonoran v1 endpoint name

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.name}]" if self.name else "")


def _accepted_scopes(route: Any) -> tuple[str, ...] | None:
    """The scopes a route's `require(scope, *alternatives)` dependency accepts, read from the dependency."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        call = dependency.call
        if call is not None and getattr(call, "__name__", "").startswith("require_"):
            closure = inspect.getclosurevars(call).nonlocals
            if "scope" not in closure:
                return None  # not the `require` this table knows: the route fails until its scope is stated
            return (closure["scope"], *closure.get("alternatives", ()))
        names = SCOPE_OF_ENDPOINT.get(getattr(call, "__module__", ""), {})
        if call is not None and getattr(call, "__name__", "") in names:
            return names[call.__name__]
        stack.extend(dependency.dependencies)
    return None


def _rows() -> list[Row]:
    app = create_app(Settings(database_url="sqlite:///unused-by-route-listing.db"))
    door_of: dict[Any, str] = {}
    for door in doors():
        for mount in door.mounts:
            door_of.update({route.endpoint: door.name for route in mount.router.routes if isinstance(route, APIRoute)})
    rows = []
    for context in iter_route_contexts(app.routes):
        for method in sorted(context.methods or ()):
            if (method, context.path) in PUBLIC:
                continue
            original = context.original_route
            accepted = _accepted_scopes(context) if isinstance(original, APIRoute) else None
            endpoint = context.endpoint
            accepted = accepted or SCOPE_OF_ROUTE.get(f"{endpoint.__module__}.{endpoint.__name__}")
            if (method, context.path) in ANY_KEY:
                accepted = ()
            if context.path.startswith(("/general/", "/emergency/")):
                accepted = None  # read from the body; decided per endpoint name below
            call = CALLS.get((method, context.path))
            door = door_of.get(context.endpoint, "native")
            if call is not None and call.names:
                rows += [Row(method, context.path, door, _v1_scopes(name), call, name) for name in call.names]
            else:
                rows.append(Row(method, context.path, door, accepted, call))
    return rows


def _v1_scopes(name: str) -> tuple[str, ...]:
    if name in GENERAL_TYPES:
        return ("dispatch:read", "dispatch:write")
    return ("dispatch:read",) if name in READS else ("dispatch:write",)


ROWS = _rows()


def test_the_table_covers_every_route() -> None:
    # Every non-public route of the app is a row; every entry of CALLS names a route the app still has.
    routes = {(row.method, row.path) for row in ROWS}
    assert not set(CALLS) - routes, f"CALLS names routes the app no longer has: {set(CALLS) - routes}"
    assert len(ROWS) >= 150, len(ROWS)
    print(f"\nisolation table: {len(ROWS)} routes x {len(CASES)} cases = {len(ROWS) * len(CASES)}")


# --- the database, once per backend ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "incidenthub.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        engine = create_engine(url)
        with engine.begin() as connection:
            tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    # No webhook worker: nothing may change the database between a case's two snapshots but the request.
    settings = Settings(
        database_url=url,
        key_touch_interval_seconds=0,
        key_cache_seconds=0,
        webhook_worker=False,
        webhook_allowed_networks="127.0.0.0/8",
    )
    database = Database(url)
    with TestClient(create_app(settings)) as client:
        world = World(client, database)
        _populate(world)
        yield world
    database.dispose()


# --- what each case must answer --------------------------------------------------------------------------------


def _expect_error(row: Row, response: httpx.Response, status: int, v1_text: str) -> None:
    where = f"{row.id}: {response.status_code} {response.text[:300]}"
    content_type = response.headers.get("content-type", "")
    if row.door == "sonoran-v1":
        assert response.status_code == 400 and content_type.startswith("text/plain"), where
        assert response.text == v1_text, where
        return
    assert response.status_code == status, where
    body = response.json()
    if row.door == "sonoran-v2":
        assert content_type == "application/problem+json", where
        assert body["status"] == status and body["traceId"] and body["instance"] == response.url.path, where
    elif row.door == "devrev":
        assert content_type.startswith("application/json"), where
        assert body["type"] == {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[status], where
        assert body["message"] and body["detail"], where
    else:  # native, GovWorx, EIDO, DevRev settings: problem+json with Sety's members
        assert content_type == "application/problem+json", where
        assert body["code"] == status and body["message"] and body["status"] == status, where


def _request(world: World, row: Row, key: str | None, community: str = "COMM-ACME") -> httpx.Response:
    ids, call = world.ids, row.call or Call("list")
    if row.name is not None:  # Sonoran v1: key and community in the body
        return world.client.post(row.path.replace("{name}", row.name), json=_v1(row.name, key, community))
    values = {name: str(ids[key_]) for name, key_ in RECORD_PARAMS.items()} | OTHER_PARAMS
    if call.path is not None:
        values |= call.path(ids)
    path = _PARAM.sub(lambda m: values[m.group(1)], row.path)
    headers = {} if key is None else bearer(key)
    body = call.body(ids) if call.body is not None else None
    query = call.query(ids) if call.query is not None else None
    return world.client.request(row.method, path, json=body, params=query, headers=headers)


# Counters every request moves, refused or not (rate limits, failed authentications): not records.
def _leaks(world: World, response: httpx.Response, sent: str) -> list[str]:
    """Acme's data in an answer: its marker, or one of its ids the request did not itself send."""
    body = response.text
    for echoed in set(re.findall(MARKER + r"[\w-]*", sent)):  # what the caller sent itself may come back
        body = body.replace(echoed, "")
    found = [MARKER] if MARKER in body else []
    return found + [str(v) for v in world.ids.values() if len(str(v)) > 6 and str(v) in body and str(v) not in sent]


def _sent(response: httpx.Response) -> str:
    return unquote_plus(str(response.request.url)) + response.request.content.decode(errors="replace")


def _check_case(world: World, row: Row, case: str, before: Snapshot | None) -> None:
    """One caller against one route; `before` is the database before it (None for a read)."""
    call = row.call or Call("list")
    key = {
        "no_key": None,
        "malformed": "ih_not-a-real-key_0000000000",
        "revoked": world.revoked,
        "expired": world.expired,
        "no_scope": world.key_without(row.accepted or ()),
        "other_tenant": world.globex,
    }[case]
    response = _request(world, row, key)
    status = {"no_key": 401, "malformed": 401, "revoked": 401, "expired": 401, "no_scope": 403}.get(case, 404)
    v1_text = ENDPOINT_NOT_ENABLED if case == "no_scope" else INVALID_API_KEY
    if case != "other_tenant" or call.kind == "record":
        _expect_error(row, response, status, v1_text)
    else:
        assert response.status_code < 300, f"{row.id} as globex: {response.status_code} {response.text[:300]}"
    assert not _leaks(world, response, _sent(response)), (
        f"{row.id} {case} leaks {_leaks(world, response, _sent(response))}"
    )
    if before is not None:
        after = snapshot(world.database)
        if case == "other_tenant" and call.kind == "create":
            _only_own_tenant_grew(world, row, before, after)
        else:
            changed = {t: (before[t] ^ after[t]) for t in before if before[t] != after[t]}
            assert not changed, f"{row.id} {case} changed {changed}"


def _only_own_tenant_grew(world: World, row: Row, before: Snapshot, after: Snapshot) -> None:
    acme_ids = [str(v) for v in world.ids.values() if len(str(v)) > 6]
    for table in before:
        gone, added = before[table] - after[table], after[table] - before[table]
        if tenant_column(table) is None:
            assert not gone and not added, f"{row.id} as globex changed {table}: {gone} {added}"
            continue
        assert not [r for r in gone if r[0] == world.acme_tenant], f"{row.id} as globex changed acme's {table}: {gone}"
        assert all(r[0] == world.globex_tenant for r in added), f"{row.id} wrote {table} outside globex: {added}"
        named = [r for r in added if any(acme_id in r[1] for acme_id in acme_ids)]
        assert not named, f"{row.id}: globex's new {table} row names acme's records: {named}"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_every_route_refuses_strangers_and_other_tenants(world: World, row: Row) -> None:
    if row.accepted is None:
        pytest.fail(f"{row.id}: no scope found for this route; add its endpoint to SCOPE_OF_ENDPOINT")
    unknown = set(_PARAM.findall(row.path)) - set(RECORD_PARAMS) - set(OTHER_PARAMS) - {"name"}
    if unknown or (row.method != "GET" and row.call is None) or ("{name}" in row.path and row.call is None):
        pytest.fail(f"{row.id}: the matrix cannot drive this route; add it to CALLS (path ids, body, kind)")
    call = row.call or Call("record" if set(_PARAM.findall(row.path)) & set(RECORD_PARAMS) else "list")
    row = Row(row.method, row.path, row.door, row.accepted, call, row.name)
    if row.method == "GET" and row.name is None and not call.no_success:
        # The same call with acme's own key works: the refusals below are about the caller, not the call.
        own = _request(world, row, world.acme)
        assert own.status_code == 200, f"{row.id} as acme: {own.status_code} {own.text[:300]}"
    failures = []
    world.key_without(row.accepted)  # made before the snapshot, which it would otherwise change
    # A refused request changes nothing, so one snapshot serves every case (the other tenant's create comes last).
    before = snapshot(world.database) if row.method != "GET" else None
    for case in CASES:
        if case == "other_tenant" and call.no_success:
            continue
        if case == "no_scope" and row.accepted == ():
            continue  # any valid key may call it
        try:
            _check_case(world, row, case, before)
        except AssertionError as error:
            failures.append(f"({case}) {error}")
    assert not failures, "\n".join(failures)
