"""The official Python SDK (PyPI `sonoran-py`, unchanged but for base URL and key) against a real server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

import sonoran as sonoran_sdk  # `sonoran-py`, a dev dependency: missing, this test fails rather than skips
from incidenthub.app import create_app
from incidenthub.config import Settings
from tests.sonoran.helpers import Sonoran


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    """incidenthub served by uvicorn on 127.0.0.1 in a thread, for as long as the test runs."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def test_sdk_creates_updates_lists_closes_calls_and_sets_unit_status(sonoran: Sonoran, base_url: str) -> None:
    instance = sonoran_sdk.Instance(
        communityId="COMM-A",
        apiKey=sonoran.key_a,
        product=sonoran_sdk.productEnums.CAD,
        serverId=1,
        cadApiUrl=base_url,
        timeout=20,
    )
    cad = instance.cad

    created = cad.createDispatchCallV2(
        {
            "origin": 0,
            "status": 1,
            "priority": 1,
            "block": "100",
            "address": "Mission Row",
            "postal": "9001",
            "title": "Armed Robbery",
            "code": "211",
            "description": "Clerk reports a firearm.",
            "notes": [],
            "apiIds": ["player-1234"],  # the SDK turns its alias into communityUserIds
            "metaData": {"source": "integration"},
        }
    )
    assert created.success, created.reason
    call_id = created.data["callId"]
    assert created.data["title"] == "Armed Robbery" and len(created.data["idents"]) == 1

    updated = cad.updateDispatchCallV2(call_id, {"postal": "9002", "trackPrimary": True, "metaData": {"x": "1"}})
    assert updated.success, updated.reason
    assert updated.data["postal"] == "9002" and updated.data["metaData"] == {"x": "1"}

    cleared = cad.updateDispatchCallV2(call_id, {"primary": -1, "description": "Suspect left on foot."})
    assert cleared.success, cleared.reason
    assert cleared.data["primary"] is None and cleared.data["description"] == "Suspect left on foot."
    ident = created.data["idents"][0]
    primary = cad.updateDispatchCallV2(call_id, {"primary": ident})
    assert primary.success and primary.data["primary"] == ident

    busy = cad.setUnitStatusV2({"apiId": "player-1234", "status": "BUSY"})  # the name, as Sonoran's types allow
    assert busy.success and busy.data == {"updated": 1, "status": "BUSY"}
    status = cad.setUnitStatusV2({"apiId": "player-1234", "status": 3})
    assert status.success and status.data == {"updated": 1, "status": "ENROUTE"}

    note = cad.addDispatchNoteV2(call_id, {"note": "Suspect fleeing", "noteType": "text", "label": "SDK"})
    assert note.success and note.data == {"callId": call_id, "note": "Suspect fleeing"}

    listed = cad.getCallsV2({"closedLimit": 10, "closedOffset": 0, "type": 100})
    assert listed.success
    assert [c["callId"] for c in listed.data["ActiveCalls"]] == [call_id]

    units = cad.getUnitsV2({"includeOffline": True})
    assert units.success and units.data[0]["status"] == 3

    closed = cad.closeDispatchCallsV2([call_id])
    assert closed.success and closed.data == {"callIds": [call_id]}
    after = cad.getCallsV2({"closedLimit": 10, "closedOffset": 0, "type": 100})
    assert after.data["ActiveCalls"] == [] and after.data["ClosedCallCount"] == 1

    incident = sonoran.incident(call_id)
    assert incident["status"] == "resolved"
    assert incident["responders"][0]["enroute_at"] and incident["responders"][0]["cleared_at"]

    refused = sonoran_sdk.Instance(
        communityId="COMM-A", apiKey="ih_wrong", product=sonoran_sdk.productEnums.CAD, cadApiUrl=base_url
    ).cad.getCallsV2()
    assert refused.success is False and refused.reason["status"] == 401
