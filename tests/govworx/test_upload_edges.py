"""Edges of the GovWorx upload found in review: odd values, duplicates, relinking, concurrency, names."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from incidenthub.app import create_app
from incidenthub.config import Settings
from tests.govworx.helpers import SEED, GovWorx


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"incidentDate": "0001-01-01T00:00:00+01:00"}, "incidentDate"),
        ({"closedAt": "9999-12-31T23:30:00-05:00"}, "closedAt"),
        ({"incidentDate": "2026-01-06"}, "incidentDate"),
        ({"callReceivedTime": "2026-13-01T00:00:00Z"}, "callReceivedTime"),
        ({"sysId": "S" * 257}, "sysId"),
        ({"callPosition": "P" * 129}, "callPosition"),
        ({"location": "L" * 501}, "location"),
        ({"notes": [{"noteId": "N" * 257, "note": "x"}]}, "notes.0.noteId"),
        ({"responders": [{"unitName": "U" * 129}]}, "responders.0.unitName"),
        ({"number": "26\u00001234"}, "number"),
        ({"latitude": "1_0"}, "latitude"),
        ({"cadExtra": {"score": float("nan")}}, "cadExtra.score"),
        ({"priority": float("inf")}, "priority"),
    ],
)
def test_odd_values_are_422_naming_the_field(gw: GovWorx, changes: dict, field: str) -> None:  # type: ignore[type-arg]
    import json

    response = gw.client.put(
        "/api/v1/external/incident",
        content=json.dumps(gw.seed(**changes)),
        headers={**gw.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert gw.count() == 0


def test_a_note_or_responder_listed_twice_counts_once(gw: GovWorx) -> None:
    notes = [{"noteId": "N1", "note": "first"}, {"noteId": "N1", "note": "second"}]
    medic = {"unitName": "Medic 5", "enrouteAt": "2026-01-06T10:32:00Z"}
    body = gw.seed(notes=notes, responders=[medic, {**medic, "enrouteAt": "2026-01-06T10:33:00Z"}])
    first = gw.upload(body)
    assert gw.upload(body) == {**first, "created": False}
    incident = gw.incident(first["id"])
    assert [n["note"] for n in incident["notes"]] == ["second"]
    assert [r["enroute_at"] for r in incident["responders"]] == ["2026-01-06T10:33:00.000Z"]
    assert incident["revision"] == 1


def test_cosmetic_differences_do_not_make_a_revision(gw: GovWorx) -> None:
    first = gw.upload(SEED)
    same = gw.upload(gw.seed(latitude="40.7128", longitude="-74.006", number=" 26-001234 ", location="123"))
    assert same["updated"] is False
    assert same["revision"] == 1
    changed_extra = gw.upload(gw.seed(cadVendor="Hexagon"))
    assert changed_extra["revision"] == 2
    assert gw.incident(first["id"])["timeline"][-1]["data"]["changed"] == {"raw_payload": None}


def test_related_sys_id_follows_the_latest_upload(gw: GovWorx) -> None:
    answer = gw.upload(gw.seed(relatedSysId="X1"))
    gw.upload(gw.seed(relatedSysId="X2"))
    assert [r["external_id"] for r in gw.incident(answer["id"])["related_incidents"]] == ["X2"]
    stored = gw.client.get(f"/api/v1/external/mcp/resources/incidents/{answer['id']}", headers=gw.headers).json()
    assert stored["relatedSysId"] == "X2"
    gw.upload(gw.seed(relatedSysId=None))
    assert gw.incident(answer["id"])["related_incidents"] == []
    changes = gw.incident(answer["id"])["timeline"][-1]["data"]["changed"]
    assert changes["related_incidents"] == {"added": [], "removed": ["X2"]}


def test_an_untimed_note_survives_a_changed_incident_date(gw: GovWorx) -> None:
    body = gw.seed(notes=[{"note": "Caller calm", "noteBy": "CT-456"}])
    answer = gw.upload(body)
    gw.upload({**body, "incidentDate": "2026-01-06T10:26:00Z"})
    assert [n["note"] for n in gw.incident(answer["id"])["notes"]] == ["Caller calm"]


def test_names_sent_later_are_kept(gw: GovWorx) -> None:
    answer = gw.upload(gw.seed(responders=[{"personnelId": "P-9", "unitName": "E1"}]))
    gw.upload(
        gw.seed(
            callTakerName="Jane Q. Doe",
            responders=[
                {"personnelId": "P-9", "personnelFirstName": "Ana", "personnelLastName": "Diaz", "unitName": "E1"}
            ],
        )
    )
    incident = gw.incident(answer["id"])
    assert incident["responders"][0]["personnel"]["name"] == "Ana Diaz"
    assert incident["call_taker"]["name"] == "Jane Q. Doe"


def test_thirty_concurrent_puts_from_three_app_instances(gw: GovWorx, settings: Settings) -> None:
    # Three instances: three writers, so the database (unique index, row lock) must keep order.
    with TestClient(create_app(settings)) as second, TestClient(create_app(settings)) as third:
        clients = [gw.client, second, third] * 10
        with ThreadPoolExecutor(max_workers=30) as pool:
            created = list(
                pool.map(lambda c: c.put("/api/v1/external/incident", json=SEED, headers=gw.headers), clients)
            )
        assert all(r.status_code == 200 for r in created)
        assert sum(r.json()["created"] for r in created) == 1
        assert gw.count() == 1

        update = gw.seed(notes=[*SEED["notes"], {"noteId": "N-new", "note": "added later"}], disposition="Refused")
        with ThreadPoolExecutor(max_workers=30) as pool:
            updated = list(
                pool.map(lambda c: c.put("/api/v1/external/incident", json=update, headers=gw.headers), clients)
            )
    assert all(r.status_code == 200 for r in updated)
    assert sum(r.json()["updated"] for r in updated) == 1
    incident = gw.incident(created[0].json()["id"])
    assert incident["revision"] == 2
    assert [n["source_note_id"] for n in incident["notes"]].count("N-new") == 1
    assert [e["event"] for e in incident["timeline"]] == ["created", "updated"]
