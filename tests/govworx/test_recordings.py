"""Call-audio matching: recordings attach to the incident at their position whose call they overlap."""

from __future__ import annotations

from typing import Any

from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx


def _record(gw: GovWorx, **fields: Any) -> dict[str, Any]:
    body = {
        "position": "Position-01",
        "started_at": "2026-01-06T10:23:05Z",
        "ended_at": "2026-01-06T10:27:50Z",
        "recorder_ref": "vlr://2026/01/06/10/call-8812.wav",
        "caller_number": "555-123-4567",
        **fields,
    }
    response = gw.client.post("/v1/recordings", json=body, headers=gw.headers)
    assert response.status_code == 201, response.text
    recording: dict[str, Any] = response.json()
    return recording


def _call(gw: GovWorx, sys_id: str, received: str, hangup: str | None, position: str = "Position-01") -> str:
    body = gw.seed(
        sysId=sys_id,
        callPosition=position,
        callReceivedTime=received,
        callPickupTime=None,
        callHangupTime=hangup,
        relatedSysId=None,
    )
    incident_id: str = gw.upload(body)["id"]
    return incident_id


def test_recording_after_its_incident_is_matched_at_once(gw: GovWorx) -> None:
    incident_id = _call(gw, "A", "2026-01-06T10:23:00Z", "2026-01-06T10:28:00Z")
    recording = _record(gw)
    assert recording["match_status"] == "matched"
    assert recording["incident_id"] == incident_id
    assert recording["overlap_seconds"] == 285.0
    listed = gw.client.get(f"/v1/incidents/{incident_id}/recordings", headers=gw.headers).json()["data"]
    assert [r["recording_id"] for r in listed] == [recording["recording_id"]]


def test_recording_before_its_incident_is_matched_when_the_incident_arrives(gw: GovWorx) -> None:
    recording = _record(gw)
    assert recording["match_status"] == "unmatched"
    unmatched = gw.client.get("/v1/recordings?unmatched=true", headers=gw.headers).json()
    assert [r["recording_id"] for r in unmatched["data"]] == [recording["recording_id"]]

    incident_id = _call(gw, "A", "2026-01-06T10:23:00Z", "2026-01-06T10:28:00Z")

    listed = gw.client.get(f"/v1/incidents/{incident_id}/recordings", headers=gw.headers).json()["data"]
    assert [r["recording_id"] for r in listed] == [recording["recording_id"]]
    assert listed[0]["match_status"] == "matched"
    assert gw.client.get("/v1/recordings?unmatched=true", headers=gw.headers).json()["data"] == []


def test_other_position_or_far_time_does_not_match(gw: GovWorx) -> None:
    _call(gw, "A", "2026-01-06T10:23:00Z", "2026-01-06T10:28:00Z")
    assert _record(gw, position="Position-02")["match_status"] == "unmatched"
    far = _record(gw, started_at="2026-01-06T12:00:00Z", ended_at="2026-01-06T12:03:00Z")
    assert far["match_status"] == "unmatched"


def test_tolerance_and_default_call_length(gw: GovWorx) -> None:
    # No hang-up time: the call is taken to last 120 s from pickup; the recording starts 50 s after that,
    # within the 60 s tolerance.
    incident_id = _call(gw, "A", "2026-01-06T10:23:00Z", None)
    recording = _record(gw, started_at="2026-01-06T10:25:50Z", ended_at="2026-01-06T10:27:00Z")
    assert recording["incident_id"] == incident_id
    assert recording["overlap_seconds"] == 10.0


def test_most_overlap_wins_and_close_calls_are_reported_ambiguous(gw: GovWorx) -> None:
    first = _call(gw, "A", "2026-01-06T10:00:00Z", "2026-01-06T10:05:00Z")
    _call(gw, "B", "2026-01-06T10:05:30Z", "2026-01-06T10:08:00Z")
    # Mostly inside A; B's widened window touches only its end.
    clear = _record(gw, started_at="2026-01-06T10:00:05Z", ended_at="2026-01-06T10:04:55Z")
    assert clear["incident_id"] == first
    assert clear["candidates"][0]["incident_id"] == first
    # Straddles both calls about equally: reported, not guessed.
    straddle = _record(gw, started_at="2026-01-06T10:04:00Z", ended_at="2026-01-06T10:06:30Z")
    assert straddle["match_status"] == "ambiguous"
    assert straddle["incident_id"] is None
    assert len(straddle["candidates"]) == 2
    unmatched = gw.client.get("/v1/recordings?unmatched=true", headers=gw.headers).json()["data"]
    assert [r["recording_id"] for r in unmatched] == [straddle["recording_id"]]


def test_bad_recordings_are_422(gw: GovWorx) -> None:
    for body, field in (
        (
            {
                "position": "P",
                "started_at": "2026-01-06T10:00:00Z",
                "ended_at": "2026-01-06T09:00:00Z",
                "recorder_ref": "r",
            },
            "ended_at",
        ),
        (
            {
                "position": "P",
                "started_at": "2026-01-06T10:00:00",
                "ended_at": "2026-01-06T10:01:00Z",
                "recorder_ref": "r",
            },
            "started_at",
        ),
        ({"started_at": "2026-01-06T10:00:00Z", "ended_at": "2026-01-06T10:01:00Z", "recorder_ref": "r"}, "position"),
    ):
        response = gw.client.post("/v1/recordings", json=body, headers=gw.headers)
        assert response.status_code == 422, body
        assert field in [e["field"] for e in response.json()["errors"]]
    assert gw.client.get("/v1/recordings", headers=gw.headers).json()["total"] == 0


def test_recordings_are_per_tenant_and_need_scopes(gw: GovWorx) -> None:
    incident_id = _call(gw, "A", "2026-01-06T10:23:00Z", "2026-01-06T10:28:00Z")
    _record(gw)
    assert gw.client.get(f"/v1/incidents/{incident_id}/recordings", headers=gw.other).status_code == 404
    assert gw.client.get("/v1/recordings", headers=gw.other).json()["total"] == 0
    reader = bearer(make_key(gw.database, "metro", ["incidents:read"]))
    response = gw.client.post(
        "/v1/recordings",
        json={
            "position": "P",
            "started_at": "2026-01-06T10:00:00Z",
            "ended_at": "2026-01-06T10:01:00Z",
            "recorder_ref": "r",
        },
        headers=reader,
    )
    assert response.status_code == 403
    assert gw.client.get("/v1/recordings", headers={}).status_code == 401


def test_a_match_is_revisited_when_the_incident_moves(gw: GovWorx) -> None:
    incident_id = _call(gw, "A", "2026-01-06T10:23:00Z", "2026-01-06T10:28:00Z")
    recording = _record(gw)
    assert recording["incident_id"] == incident_id
    _call(gw, "A", "2026-01-06T10:23:00Z", "2026-01-06T10:28:00Z", position="Position-07")
    assert gw.client.get(f"/v1/incidents/{incident_id}/recordings", headers=gw.headers).json()["data"] == []
    unmatched = gw.client.get("/v1/recordings?unmatched=true", headers=gw.headers).json()["data"]
    assert [r["recording_id"] for r in unmatched] == [recording["recording_id"]]


def test_recording_times_must_be_plausible(gw: GovWorx) -> None:
    response = gw.client.post(
        "/v1/recordings",
        json={
            "position": "P",
            "started_at": "0001-01-01T00:00:00Z",
            "ended_at": "0001-01-01T00:01:00Z",
            "recorder_ref": "r",
        },
        headers=gw.headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "started_at"
