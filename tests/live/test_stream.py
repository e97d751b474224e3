"""GET /v1/events/stream against `incidenthub serve` (a real process; SSE needs a real server to stream)."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from tests.factories import bearer, make_key, make_tenant
from tests.live.sse import Stream
from tests.serving import Served, serve, user_env

HEARTBEAT = 0.3


@dataclass
class Live:
    server: Served
    database: Database
    acme: dict[str, str]
    globex: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.base_url

    def stream(self, query: str = "", headers: dict[str, str] | None = None, **extra: str) -> Stream:
        return Stream(f"{self.url}/v1/events/stream{query}", {**(headers or self.acme), **extra})

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = httpx.post(f"{self.url}{path}", json=body, headers=headers or self.acme, timeout=30)
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    def create(self, headers: dict[str, str] | None = None, **body: Any) -> str:
        made = self.post("/v1/incidents", {"category": "sos", **body}, headers)
        incident_id: str = made["incident"]["incident_id"]
        return incident_id

    def page(self, query: str = "", headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/v1/events{query}", headers=headers or self.acme, timeout=30)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def live(database_url: str, tmp_path: Path) -> Iterator[Live]:
    database = Database(database_url)
    make_tenant(database, "acme")
    make_tenant(database, "globex")
    acme = bearer(make_key(database, "acme", ["*"]))
    globex = bearer(make_key(database, "globex", ["*"]))
    env = {
        **user_env(database_url),
        "INCIDENTHUB_STREAM_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "INCIDENTHUB_KEY_CACHE_SECONDS": "0",
        "INCIDENTHUB_STREAM_POLL_SECONDS": "0.05",
    }
    try:
        with serve(env, tmp_path) as server:
            yield Live(server, database, acme, globex)
    finally:
        database.dispose()


def test_events_arrive_as_writes_commit_and_the_stream_starts_now(live: Live) -> None:
    before = live.create()  # committed before the stream opened: not sent (the stream starts now)
    with live.stream() as stream:
        assert stream.status == 200
        incident_id = live.create(title="Panic")
        live.post(f"/v1/incidents/{incident_id}/notes", {"note": "Caller safe"})
        live.post(f"/v1/incidents/{incident_id}/status", {"status": "dispatching"})
        events = stream.wait_for(3)
    assert [e.event for e in events] == ["incident.created", "incident.note_added", "incident.status_changed"]
    assert [e.id for e in events] == ["2", "3", "4"]
    assert all(e.body["incident_id"] == incident_id != before for e in events)
    # `data:` is the envelope, exactly as the polling endpoint shows it.
    assert [e.body for e in events] == live.page("?after=1")["data"]
    assert events[0].body["data"]["object"]["title"] == "Panic"
    assert events[2].body["data"]["from"] == "created" and events[2].body["data"]["to"] == "dispatching"


def test_filters_by_type_wildcard_and_incident(live: Live) -> None:
    unit_id = live.post("/v1/units", {"call_sign": "M10"})["unit_id"]
    first = live.create()
    filters = {
        "?type=assignment.*": lambda e: e["type"].startswith("assignment."),
        "?type=incident.status_changed&type=incident.resolved": lambda e: (
            e["type"] in ("incident.status_changed", "incident.resolved")
        ),
        "?type=incident.*": lambda e: e["type"].startswith("incident."),
        f"?incident_id={first}": lambda e: e["incident_id"] == first,
        f"?incident_id={first}&type=incident.resolved": lambda e: (
            e["incident_id"] == first and e["type"] == "incident.resolved"
        ),
    }
    streams = {query: live.stream(query).open() for query in filters}
    try:
        second = live.create()
        live.post(f"/v1/incidents/{second}/assignments", {"unit_id": unit_id})
        live.post(f"/v1/incidents/{first}/status", {"status": "resolved"})
        everything = live.page("?after=1")["data"]
        for query, wanted in filters.items():
            expected = [e for e in everything if wanted(e)]
            streams[query].wait_for(len(expected))
        time.sleep(HEARTBEAT * 3)  # anything more would show now
    finally:
        for stream in streams.values():
            stream.close()
    got = {query: [e.body for e in stream.events] for query, stream in streams.items()}
    for query, wanted in filters.items():
        assert got[query] == [e for e in everything if wanted(e)], query
    assert got["?type=assignment.*"][0]["type"] == "assignment.created"
    assert got["?type=assignment.*"][0]["incident_id"] == second
    assert [e["type"] for e in got[f"?incident_id={first}"]] == ["incident.status_changed", "incident.resolved"]
    assert "incident.created" in {e["type"] for e in got["?type=incident.*"]}
    assert {e["incident_id"] for e in got["?type=incident.status_changed&type=incident.resolved"]} == {first, second}


def test_last_event_id_resumes_with_exactly_the_missed_events(live: Live) -> None:
    with live.stream() as stream:
        incident_id = live.create()
        live.post(f"/v1/incidents/{incident_id}/notes", {"note": "one"})
        received = stream.wait_for(2)
    last_id = received[-1].id
    assert last_id is not None
    # Written while no one listens.
    for note in ("two", "three", "four"):
        live.post(f"/v1/incidents/{incident_id}/notes", {"note": note})
    with live.stream(**{"Last-Event-ID": last_id}) as resumed:
        missed = resumed.wait_for(3)
        live.post(f"/v1/incidents/{incident_id}/notes", {"note": "five"})
        after_resume = resumed.wait_for(4)
        time.sleep(HEARTBEAT * 3)  # anything more would show now
        assert len(resumed.events) == 4
    assert [e.body["data"]["object"]["notes"][-1]["note"] for e in missed] == ["two", "three", "four"]
    seqs = [int(e.id or 0) for e in received + after_resume]
    assert seqs == list(range(seqs[0], seqs[0] + 6))  # no gap, no duplicate
    # `after` does the same for a client that cannot set headers; the header wins when both are sent.
    with live.stream(f"?after={last_id}") as by_query, live.stream("?after=1", **{"Last-Event-ID": last_id}) as both:
        assert [e.body for e in by_query.wait_for(4)] == [e.body for e in after_resume]
        assert [e.id for e in both.wait_for(4)] == [e.id for e in after_resume]


def test_heartbeats_arrive_while_nothing_happens(live: Live) -> None:
    with live.stream() as stream:
        time.sleep(HEARTBEAT * 4)
        assert len([c for c in stream.comments if c.startswith("ping")]) >= 2, stream.comments
        assert stream.events == []


def test_another_tenants_events_never_appear(live: Live) -> None:
    with live.stream() as acme, live.stream(headers=live.globex) as globex:
        for _ in range(3):
            live.create()
        own = live.create(headers=live.globex)
        acme.wait_for(3)
        seen = globex.wait_for(1)
        time.sleep(HEARTBEAT * 3)
    assert [e.body["incident_id"] for e in globex.events] == [own]
    assert seen[0].id == "1"  # the tenant's own numbering
    assert own not in {e.body["incident_id"] for e in acme.events} and len(acme.events) == 3
    # Resuming from the start shows only the tenant's own events too.
    assert [e["incident_id"] for e in live.page("?after=0", headers=live.globex)["data"]] == [own]


def test_a_disconnected_client_is_cleaned_up(live: Live) -> None:
    with live.stream(), live.stream():
        live.server.wait_for("streams open in this process: 2")
    live.server.wait_for("event stream closed; streams open in this process: 0")


def test_a_revoked_key_ends_its_stream(live: Live) -> None:
    with live.database.transaction() as session:
        issued = auth_service.create_key(session, "acme", ["incidents:read"])
    stream = live.stream(headers=bearer(issued.secret)).open()
    try:
        live.create()
        stream.wait_for(1)
        with live.database.transaction() as session:
            auth_service.revoke_key(session, issued.key.id)
        deadline = time.monotonic() + 10
        with httpx.Client(base_url=live.url, headers=live.acme, timeout=30) as writer:
            while not stream.ended:  # a busy stream too: events keep coming faster than the heartbeat
                assert time.monotonic() < deadline, "the stream of a revoked key stayed open"
                assert writer.post("/v1/incidents", json={"category": "sos"}).status_code == 201
    finally:
        stream.close()
    again = httpx.get(f"{live.url}/v1/events/stream", headers=bearer(issued.secret), timeout=10)
    assert again.status_code == 401


def test_the_server_stops_promptly_with_a_stream_open(live: Live) -> None:
    stream = live.stream().open()
    live.server.wait_for("streams open in this process: 1")
    started = time.monotonic()
    live.server.process.terminate()
    live.server.process.wait(timeout=15)
    assert time.monotonic() - started < 10, live.server.output
    deadline = time.monotonic() + 10
    while not (stream.ended or stream.error):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    stream.close()
    # The stream ended as a finished answer (not a cut connection), and the server shut down in order.
    assert stream.ended and stream.error is None, stream.error
    assert "ASGI callable returned without completing response" not in live.server.output
    assert "Application shutdown complete" in live.server.output
    assert live.server.process.returncode in (0, -signal.SIGTERM), live.server.output
