"""GET /v1/incidents and /v1/incidents/{id}: filters, pages, ordering, links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from incidenthub.db import Database
from incidenthub.models import Incident, IncidentLink
from tests.factories import Api


def _ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [item["incident_id"] for item in response.json()["data"]]


def test_list_is_newest_first_with_page_metadata(api: Api) -> None:
    created = [api.create_id({"category": "sos", "title": f"n{i}"}) for i in range(5)]

    response = api.client.get("/v1/incidents?limit=2", headers=api.acme)

    body = response.json()
    assert body["page"] == 1 and body["limit"] == 2 and body["total"] == 5 and body["has_more"] is True
    assert _ids(response) == created[::-1][:2]
    page3 = api.client.get("/v1/incidents?limit=2&page=3", headers=api.acme).json()
    assert [i["incident_id"] for i in page3["data"]] == created[:1]
    assert page3["has_more"] is False
    beyond = api.client.get("/v1/incidents?limit=2&page=9", headers=api.acme).json()
    assert beyond["data"] == [] and beyond["total"] == 5


def test_list_filters(api: Api, database: Database) -> None:
    sos = api.create_id({"category": "sos", "severity": "critical"})
    medical = api.create_id({"category": "medical", "severity": "low", "idempotency_key": "trip-9"})
    fire = api.create_id({"category": "fire", "severity": "low"})
    api.client.post(f"/v1/incidents/{fire}/cancel", json={}, headers=api.acme)

    def q(query: str) -> list[str]:
        return _ids(api.client.get(f"/v1/incidents?{query}", headers=api.acme))

    assert q("category=sos") == [sos]
    assert q("severity=low") == [fire, medical]
    assert q("status=cancelled") == [fire]
    assert q("status=created") == [medical, sos]
    assert q("source=native&external_id=trip-9") == [medical]
    assert q("source=govworx") == []

    # Dates filter on creation time; an offset-less value is UTC.
    old = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    with database.transaction() as session:
        session.execute(update(Incident).where(Incident.id == sos).values(created_at=old))
    assert q("to_date=2026-01-06T00:00:00Z") == [sos]
    assert q("from_date=2026-01-05T12:00:00&to_date=2026-01-05T12:00:00") == [sos]
    assert q("from_date=2026-01-05T13:00:00%2B01:00&to_date=2026-01-05T12:00:00Z") == [sos]
    after = (old + timedelta(days=1)).isoformat()
    assert set(q(f"from_date={after.replace('+', '%2B')}")) == {medical, fire}


def test_get_unknown_incident_is_404(api: Api) -> None:
    response = api.get("inc_0000000000000000")
    assert response.status_code == 404
    assert response.json()["message"] == "Incident inc_0000000000000000 not found"


def test_related_incidents_show_in_both_directions(api: Api, database: Database) -> None:
    a = api.create_id({"category": "sos", "idempotency_key": "A"})
    b = api.create_id({"category": "sos", "idempotency_key": "B"})
    with database.transaction() as session:
        tenant_id = session.get(Incident, a).tenant_id  # type: ignore[union-attr]
        session.add(IncidentLink(tenant_id=tenant_id, incident_id=a, related_source="native", related_external_id="B"))
        # A link to an incident that has not arrived yet.
        session.add(IncidentLink(tenant_id=tenant_id, incident_id=a, related_source="native", related_external_id="C"))

    assert api.incident(a)["related_incidents"] == [
        {"kind": "related", "source": "native", "external_id": "B", "incident_id": b},
        {"kind": "related", "source": "native", "external_id": "C", "incident_id": None},
    ]
    assert api.incident(b)["related_incidents"] == [
        {"kind": "related", "source": "native", "external_id": "A", "incident_id": a}
    ]
    c = api.create_id({"category": "sos", "idempotency_key": "C"})
    assert api.incident(a)["related_incidents"][1]["incident_id"] == c
    assert api.incident(c)["related_incidents"][0]["incident_id"] == a
    listed = api.client.get("/v1/incidents", headers=api.acme).json()["data"]
    assert {i["incident_id"]: len(i["related_incidents"]) for i in listed} == {a: 2, b: 1, c: 1}
