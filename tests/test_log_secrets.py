"""No secret, phone number, name or body text reaches the log, at any level (issue 15, item 8).

Every door's golden payload is sent with marker values in place of the caller's and subject's phone numbers
and names, the descriptions and notes, and the API key; some of them fail validation, one ends in a 500 whose
traceback carries a failed SQL statement with a marker as its parameter. Everything logged is then searched
for the markers: the whole output of `incidenthub serve` at `trace` (uvicorn's, SQLAlchemy's and ours), and
in-process every record of every logger down to level 1.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import text

from incidenthub.app import create_app
from incidenthub.auth import service as auth_service
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.runtime import runtime_of
from tests.factories import bearer, make_key
from tests.serving import serve, user_env

DATA = Path(__file__).parent / "data"
PHONE = "+15550199424"
CALLER = "Quillon Marrowfax"
SUBJECT = "Zephyrine Oddsworth"
TEXT = "mkdesc-cabbage-kettle-9921"
NOTE = "mknote-walrus-lantern-3307"
COMMUNITY = "mk-community-4410"
WRONG_KEY = "ih_mkwrongkey_0000000000000000000000000000"
MARKERS = (PHONE, PHONE.removeprefix("+"), CALLER, SUBJECT, TEXT, NOTE, COMMUNITY, WRONG_KEY)


def _govworx(sys_id: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / "govworx_seed_example.json").read_text())
    body |= {"sysId": sys_id, "callerNumber": PHONE, "callerName": CALLER, "additionalContext": TEXT}
    body["notes"] = [{**note, "note": NOTE, "noteBy": CALLER} for note in body["notes"]]
    body["responders"] = [{**r, "personnelFirstName": SUBJECT, "personnelLastName": CALLER} for r in body["responders"]]
    return body


def _sonoran_v1(key: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / "sonoran" / "new_dispatch.json").read_text())
    body |= {"id": COMMUNITY, "key": key}
    body["data"][0] |= {
        "description": TEXT,
        "title": CALLER,
        "address": NOTE,
        "notes": [{"type": "text", "content": NOTE}],
    }
    return body


def _eido() -> str:
    raw = (DATA / "eido_nena_example.json").read_text()
    return (
        raw.replace("Morgan Lee", SUBJECT)
        .replace("tel:+17175550142", f"tel:{PHONE}")
        .replace("Vehicle rollover with entrapment &amp; fuel leak.", NOTE)
    )


def send_every_door(http: httpx.Client, key: str) -> None:
    """The doors' payloads with markers, valid and not: each answered as the door answers it."""
    auth = bearer(key)
    json_type = {"Content-Type": "application/json"}
    answers: list[tuple[str, int, int]] = []

    def expect(label: str, response: httpx.Response, low: int, high: int) -> None:
        answers.append((label, response.status_code, low))
        assert low <= response.status_code <= high, f"{label}: {response.status_code} {response.text[:300]}"

    # GovWorx: the golden upload, both header spellings; a bad one naming a marker-carrying field.
    expect("govworx", http.put("/api/v1/external/incident", json=_govworx("MK-1"), headers=auth), 200, 201)
    alt = {"Authentication": f"Bearer {key}"}
    expect("govworx again", http.put("/api/v1/external/incident", json=_govworx("MK-1"), headers=alt), 200, 201)
    bad = _govworx("MK-2") | {"callReceivedTime": TEXT, "latitude": CALLER}
    expect("govworx invalid", http.put("/api/v1/external/incident", json=bad, headers=auth), 422, 422)
    broken = json.dumps(_govworx("MK-3"))[:-20]
    expect(
        "govworx not json",
        http.put("/api/v1/external/incident", content=broken, headers={**auth, **json_type}),
        400,
        422,
    )
    # Native: an SOS with the subject's name and phone; a note; a bad severity that echoes its value.
    sos = {
        "category": "sos",
        "severity": "critical",
        "description": TEXT,
        "subject": {"name": SUBJECT, "phone": PHONE, "reference": NOTE},
        "location": {"coordinates": [3.3792, 6.5244], "address": NOTE},
    }
    created = http.post("/v1/incidents", json=sos, headers=auth)
    expect("native", created, 201, 201)
    incident_id = created.json()["incident"]["incident_id"]
    note = {"note": NOTE, "author": CALLER}
    expect("native note", http.post(f"/v1/incidents/{incident_id}/notes", json=note, headers=auth), 200, 201)
    expect("native invalid", http.post("/v1/incidents", json={**sos, "severity": TEXT}, headers=auth), 422, 422)
    expect("native wrong key", http.post("/v1/incidents", json=sos, headers=bearer(WRONG_KEY)), 401, 401)
    expect("native key in url", http.get(f"/v1/incidents?external_id={PHONE}", headers=auth), 200, 200)
    # Sonoran v1 (the key and community in the body) and v2.
    expect("sonoran v1", http.post("/emergency/new_dispatch", json=_sonoran_v1(key)), 200, 200)
    wrong = _sonoran_v1(WRONG_KEY)
    expect("sonoran v1 wrong key", http.post("/emergency/new_dispatch", json=wrong), 400, 401)
    invalid = _sonoran_v1(key)
    invalid["data"][0]["priority"] = TEXT
    expect("sonoran v1 invalid", http.post("/emergency/new_dispatch", json=invalid), 400, 400)
    v2 = {"origin": 0, "status": 0, "priority": 2, "title": CALLER, "description": TEXT, "address": NOTE}
    v2["communityUserIds"] = []
    expect("sonoran v2", http.post("/v2/emergency/servers/1/dispatch-calls", json=v2, headers=auth), 201, 201)
    v2_bad = {**v2, "priority": TEXT}
    expect(
        "sonoran v2 invalid", http.post("/v2/emergency/servers/1/dispatch-calls", json=v2_bad, headers=auth), 400, 400
    )
    # DevRev: the token bare, as its TypeScript SDK sends it.
    devrev = {"title": CALLER, "body": TEXT, "severity": 1, "tags": [{"tag_id": NOTE}]}
    expect("devrev", http.post("/incidents.create", json=devrev, headers={"Authorization": key}), 201, 201)
    devrev_bad = {"title": CALLER, "body": TEXT, "severity": TEXT}
    expect("devrev invalid", http.post("/incidents.create", json=devrev_bad, headers=auth), 400, 400)
    # NENA EIDO: the golden document, and the same cut short.
    eido = _eido()
    expect("eido", http.post("/v1/eido", content=eido, headers={**auth, **json_type}), 200, 201)
    expect("eido broken", http.post("/v1/eido", content=eido[:-40], headers={**auth, **json_type}), 400, 422)
    # Reads that return the markers: the answers carry them, the log must not.
    expect("read", http.get(f"/v1/incidents/{incident_id}", headers=auth), 200, 200)
    expect("devrev list", http.post("/incidents.list", json={"title": [CALLER]}, headers=auth), 200, 200)


def _community_tenant(database: Database) -> str:
    with database.transaction() as session:
        auth_service.create_tenant(session, "Marked", "marked", "UTC", COMMUNITY)
    return make_key(database, "marked", ["*"])


def _assert_no_marker(log: str, key: str) -> None:
    assert "request method=" in log  # the log was captured at all
    for marker in (*MARKERS, key, key.rsplit("_", 2)[1], key.rsplit("_", 1)[-1]):
        assert marker not in log, f"{marker!r} is in the log:\n{_around(log, marker)}"


def _around(log: str, marker: str) -> str:
    at = log.index(marker)
    return log[max(0, at - 400) : at + 200]


def test_serve_at_trace_logs_no_secret_phone_name_or_body(
    database_url: str, database: Database, tmp_path: Path
) -> None:
    key = _community_tenant(database)
    env = user_env(database_url) | {"INCIDENTHUB_LOG_LEVEL": "trace"}
    with serve(env, tmp_path) as served:
        with httpx.Client(base_url=served.base_url, timeout=30) as http:
            send_every_door(http, key)
        served.wait_for("path=/incidents.list status=200")
    log = served.output
    _assert_no_marker(log, key)


@pytest.fixture
def every_record() -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger, down to level 1 (below DEBUG: uvicorn's TRACE is 5), SQLAlchemy's statement
    log included (SQLAlchemy sets its own loggers to WARNING unless told otherwise)."""
    records: list[logging.LogRecord] = []
    quiet = {name: logging.getLogger(name).level for name in ("sqlalchemy", "uvicorn", "starlette", "fastapi")}

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    root = logging.getLogger()
    handler, level = Keep(level=1), root.level
    root.addHandler(handler)
    root.setLevel(1)
    for name in quiet:
        logging.getLogger(name).setLevel(1)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, was in quiet.items():
            logging.getLogger(name).setLevel(was)


def test_every_logger_at_every_level_and_a_500_log_no_secret(
    settings: Settings, database: Database, every_record: list[logging.LogRecord]
) -> None:
    key = _community_tenant(database)
    app: FastAPI = create_app(settings)

    def broken(request: Request) -> None:
        # A fault of ours while handling a caller's data: the traceback names the failed statement.
        with runtime_of(request).database.read_sessions() as session:
            session.execute(text("SELECT phone FROM no_such_table WHERE phone = :phone"), {"phone": PHONE})

    app.add_api_route("/v1/broken-for-test", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        send_every_door(client, key)
        failed = client.get("/v1/broken-for-test", headers=bearer(key))
        assert failed.status_code == 500
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    log = "\n".join(formatter.format(copy.copy(r)) for r in every_record if not r.name.startswith("httpx"))
    assert "no_such_table" in log  # the traceback was logged
    assert "INSERT INTO incidents" in log  # SQLAlchemy logged every statement
    _assert_no_marker(log, key)
