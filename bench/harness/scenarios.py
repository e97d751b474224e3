"""What each door is sent: a JSON template per scenario, with markers the load generator fills in.

`__ID__` becomes an id unique to the request (the run's prefix, wrk's thread, a counter), or in a
`cycle` scenario one of `cycle` ids that were stored beforehand; `__MOD__` becomes the counter modulo 50
(unit and personnel names, so registries are reused as in a real shift). Python fills the same markers for
in-process runs and priming, so the bytes sent are the same everywhere.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from bench.harness.procs import SONORAN_COMMUNITY
from bench.harness.system import ROOT

GOVWORX_SEED: dict[str, Any] = json.loads((ROOT / "tests" / "data" / "govworx_seed_example.json").read_text())


@dataclass(frozen=True)
class Scenario:
    """One door under load: method, path, body template and the status every answer must have."""

    name: str
    title: str
    method: str
    path: str
    template: str  # JSON with __ID__ / __MOD__ markers; may contain {key} for doors taking the key in the body
    status: int
    source: str  # incidents.source of the rows it writes
    creates: bool  # each 2xx answer is one new incident (False: repeats, which must change nothing)
    cycle: int = 0  # >0: ids cycle over this many pre-stored records
    key_in_body: bool = False

    def body_text(self, key: str) -> str:
        return self.template.replace("{key}", key) if self.key_in_body else self.template

    def body(self, key: str, uid: str, counter: int) -> dict[str, Any]:
        """The body the load generator would send for this id and counter."""
        text = self.body_text(key).replace("__ID__", uid).replace("__MOD__", str(counter % 50))
        parsed: dict[str, Any] = json.loads(text)
        return parsed


def govworx_body() -> dict[str, Any]:
    """The vendor's example with its sysId and number per request, one note and one responder."""
    body: dict[str, Any] = copy.deepcopy(GOVWORX_SEED)
    body.update(sysId="__ID__", number="26-__ID__", disposition="Transport to Hospital")
    body.pop("relatedSysId", None)
    body["notes"] = [
        {
            "noteId": "N-__ID__",
            "note": "Caller reports chest pain",
            "noteBy": "CT-456",
            "noteAt": "2026-01-06T10:24:00Z",
        }
    ]
    body["responders"] = [
        {
            "personnelId": "P__MOD__",
            "personnelFirstName": "Pat",
            "personnelLastName": "Medic",
            "unitName": "Medic __MOD__",
            "dispatchedBy": "CT-456",
            "dispatchedAt": "2026-01-06T10:31:00Z",
            "enrouteAt": "2026-01-06T10:33:00Z",
            "arrivedAt": "2026-01-06T10:39:00Z",
            "clearedAt": "2026-01-06T11:40:00Z",
        }
    ]
    return body


NATIVE_BODY = {
    "category": "sos",
    "severity": "high",
    "idempotency_key": "nat-__ID__",
    "subject": {"name": "Bench Caller __MOD__", "phone": "+2348012345678"},
    "location": {"coordinates": [3.3792, 6.5244], "address": "14 Bourdillon Road, Ikoyi, Lagos"},
}

SONORAN_BODY = {
    "id": SONORAN_COMMUNITY,
    "key": "{key}",
    "type": "NEW_DISPATCH",
    "product": 0,
    "data": [
        {
            "serverId": 1,
            "origin": 0,
            "status": 0,
            "priority": 1,
            "block": "123",
            "address": "4234 E. Example Ave",
            "postal": "456",
            "title": "Traffic Stop",
            "code": "10-39 - Traffic Stop",
            "trackPrimary": True,
            "description": "Traffic Stop - Blue Sedan - __ID__",
            "notes": [],
            "metaData": {"someKey": "someValue"},
            "units": ["STEAM:__MOD__"],
        }
    ],
}

DEVREV_BODY = {
    "title": "Checkout API returns 500 (__ID__)",
    "body": "Spike of 5xx on /checkout since 09:12 UTC.",
    "owned_by": ["DEVU-1"],
    "severity": 1,
    "applies_to_parts": ["PROD-1"],
    "stage": {"stage": "acknowledged"},
    "impact": {"count": 42},
}


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"))


GOVWORX_PATH = "/api/v1/external/incident"

SCENARIOS = (
    Scenario("govworx_new", "GovWorx PUT, new sysId", "PUT", GOVWORX_PATH, _json(govworx_body()), 200, "govworx", True),
    Scenario(
        "govworx_repeat",
        "GovWorx PUT, unchanged repeat",
        "PUT",
        GOVWORX_PATH,
        _json(govworx_body()),
        200,
        "govworx",
        False,
        cycle=200,
    ),
    Scenario("native", "native POST /v1/incidents", "POST", "/v1/incidents", _json(NATIVE_BODY), 201, "native", True),
    Scenario(
        "sonoran",
        "Sonoran v1 new_dispatch",
        "POST",
        "/emergency/new_dispatch",
        _json(SONORAN_BODY),
        200,
        "sonoran",
        True,
        key_in_body=True,
    ),
    Scenario("devrev", "DevRev incidents.create", "POST", "/incidents.create", _json(DEVREV_BODY), 201, "devrev", True),
)

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def import_record(index: int) -> str:
    """One generated GovWorx record for `incidenthub import` (JSON line, without the newline)."""
    return IMPORT_TEMPLATE.replace("__ID__", f"imp-{index}").replace("__MOD__", str(index % 50))


IMPORT_TEMPLATE = _json(govworx_body())
