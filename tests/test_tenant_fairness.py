"""One tenant's large writes do not hold back another tenant's: writes are answered in the order they
arrive, a bounded batch at a time, so a small create waits for at most the large upload already in
progress, never for that tenant's whole stream. Shown by the order of commits, not by timing."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.models import Incident
from tests.devrev.live import serve
from tests.factories import bearer, make_key, make_tenant

SEED = json.loads((Path(__file__).parent / "data" / "govworx_seed_example.json").read_text())


def _largest(sys_id: str) -> dict[str, Any]:
    """A GovWorx upload with every array at its limit (500 responders, 2,000 notes)."""
    body = copy.deepcopy(SEED)
    body.update(sysId=sys_id, relatedSysId=None)
    body["responders"] = [
        {"personnelId": f"{sys_id}-P{i}", "unitName": f"{sys_id}-U{i}", "dispatchedAt": "2026-01-06T10:30:00Z"}
        for i in range(500)
    ]
    body["notes"] = [{"noteId": f"n{i}", "note": f"note {i}", "noteAt": "2026-01-06T10:31:00Z"} for i in range(2000)]
    return body


def test_another_tenants_create_is_not_held_behind_a_stream_of_large_uploads(
    settings: Settings, database: Database
) -> None:
    make_tenant(database, "big")
    make_tenant(database, "small")
    big = bearer(make_key(database, "big", ["*"]))
    small = bearer(make_key(database, "small", ["*"]))
    started = threading.Event()
    answers: list[int] = []

    with serve(settings) as base:

        def stream() -> None:
            with httpx.Client(base_url=base, timeout=120) as client:
                for i in range(6):
                    if i == 1:
                        started.set()  # the first large upload is committed, the second is on its way
                    answers.append(
                        client.put("/api/v1/external/incident", json=_largest(f"L{i}"), headers=big).status_code
                    )

        worker = threading.Thread(target=stream)
        worker.start()
        assert started.wait(120)
        with httpx.Client(base_url=base, timeout=120) as client:
            created = client.post("/v1/incidents", json={"category": "sos"}, headers=small)
        worker.join(300)
    assert created.status_code == 201, created.text
    assert answers == [200] * 6
    with database.read_sessions() as session:
        order = [
            row.external_id or "small"
            for row in session.scalars(select(Incident).order_by(Incident.created_at, Incident.id))
        ]
    # The small create was sent while L1 was on its way: it is committed with L1 or L2, at the latest (one
    # upload of slack for a slow machine), never behind the rest of the big tenant's stream.
    assert order.index("small") <= order.index("L3"), order
