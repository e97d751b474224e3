"""Access statistics on hand-computed examples, in the site's timezone: a visit across midnight, both DST changes."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.access_factories import check_in, code, site, walk_in
from tests.factories import Api


def _visit(client: TestClient, headers: dict[str, str], site_id: str, into: str, out: str | None, **who: Any) -> None:
    entry = walk_in(client, headers, site_id, checked_in_at=into, **who)
    if out is not None:
        path = f"/v1/access-logs/{entry['access_log_id']}/checkout"
        assert client.patch(path, json={"checkout_at": out}, headers=headers).status_code == 200


def _stats(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/v1/access-logs/stats", params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _hours(stats: dict[str, Any]) -> dict[int, int]:
    return {h["hour"]: h["check_ins"] for h in stats["check_ins_per_hour"] if h["check_ins"]}


def test_spring_forward_and_a_visit_across_midnight(api: Api, client: TestClient) -> None:
    london = site(client, api.acme, name="London office", timezone="Europe/London", gates=[])
    site_id = london["site_id"]
    ann = {"name": "Ann", "phone": "+44 1111"}
    # 29 March 2026: at 01:00 UTC London goes from GMT (UTC+0) to BST (UTC+1).
    _visit(
        client,
        api.acme,
        site_id,
        "2026-03-29T00:30:00Z",
        "2026-03-29T02:30:00Z",  # 00:30 GMT -> 03:30 BST: 2 h
        visitor=ann,
        host={"name": "Mr Smith"},
    )
    _visit(
        client,
        api.acme,
        site_id,
        "2026-03-28T23:00:00Z",
        "2026-03-29T01:30:00Z",  # 23:00 on the 28th -> 2.5 h
        visitor={"name": "Ben"},
        host={"name": "Mr Smith"},
    )
    _visit(
        client,
        api.acme,
        site_id,
        "2026-03-29T09:15:00Z",
        "2026-03-29T10:15:00Z",  # 10:15 BST: 1 h
        visitor={"name": "ann", "phone": "+441111"},
        host={"name": "Mrs Jones"},
    )
    _visit(client, api.acme, site_id, "2026-03-29T09:45:00Z", None, visitor={"name": "Cat"}, host={})  # still inside

    both = _stats(client, api.acme, site_id=site_id, from_date="2026-03-28", to_date="2026-03-29")
    assert (both["timezone"], both["from_date"], both["to_date"]) == ("Europe/London", "2026-03-28", "2026-03-29")
    assert both["check_ins"] == 4
    assert both["check_ins_per_day"] == [{"date": "2026-03-28", "check_ins": 1}, {"date": "2026-03-29", "check_ins": 3}]
    assert _hours(both) == {23: 1, 0: 1, 10: 2} and both["peak_hour"] == 10
    assert both["unique_visitors"] == 3  # Ann twice (same phone), Ben, Cat
    assert both["completed_visits"] == 3
    assert both["average_visit_seconds"] == (7200 + 9000 + 3600) / 3
    assert both["p90_visit_seconds"] == 9000
    assert both["currently_inside"] == 1
    assert both["top_hosts"] == [{"host": "Mr Smith", "check_ins": 2}, {"host": "Mrs Jones", "check_ins": 1}]
    assert both["denied_total"] == 0 and set(both["denied_attempts"]) >= {"unknown", "used_up", "throttled"}

    # The visit across midnight belongs to the 28th, where it began.
    sunday = _stats(client, api.acme, site_id=site_id, from_date="2026-03-29", to_date="2026-03-29")
    assert sunday["check_ins"] == 3 and sunday["average_visit_seconds"] == (7200 + 3600) / 2
    assert _hours(sunday) == {0: 1, 10: 2}


def test_fall_back_day_has_twenty_five_hours(api: Api, client: TestClient) -> None:
    london = site(client, api.acme, name="London office", timezone="Europe/London", gates=[])
    site_id = london["site_id"]
    # 25 October 2026: at 01:00 UTC London goes back from BST to GMT; the local day lasts 25 hours,
    # from 2026-10-24T23:00Z to 2026-10-26T00:00Z.
    for into in (
        "2026-10-24T22:59:00Z",  # 23:59 BST on the 24th: not this day
        "2026-10-24T23:30:00Z",  # 00:30 BST
        "2026-10-25T00:15:00Z",  # 01:15 BST
        "2026-10-25T01:15:00Z",  # 01:15 GMT, the second 01:15
        "2026-10-25T23:30:00Z",  # 23:30 GMT
        "2026-10-26T00:00:00Z",  # midnight: the 26th
    ):
        _visit(client, api.acme, site_id, into, None, visitor={"name": into})
    day = _stats(client, api.acme, site_id=site_id, from_date="2026-10-25", to_date="2026-10-25")
    assert day["check_ins"] == 4 and day["check_ins_per_day"] == [{"date": "2026-10-25", "check_ins": 4}]
    assert _hours(day) == {0: 1, 1: 2, 23: 1} and day["peak_hour"] == 1
    assert day["completed_visits"] == 0 and day["average_visit_seconds"] is None and day["p90_visit_seconds"] is None


def test_denied_attempts_by_reason_and_the_default_range(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    made = code(client, api.acme, where["site_id"])
    assert check_in(client, api.acme, where["site_id"], code=made["code"]).status_code == 201
    assert check_in(client, api.acme, where["site_id"], code=made["code"]).status_code == 409
    assert check_in(client, api.acme, where["site_id"], code="NOPE2345").status_code == 409
    stats = _stats(client, api.acme, site_id=where["site_id"])  # default: the last 7 local days
    assert len(stats["check_ins_per_day"]) == 7
    assert stats["check_ins"] == 1 and stats["currently_inside"] == 1 and stats["unique_visitors"] == 1
    assert stats["denied_attempts"]["used_up"] == 1 and stats["denied_attempts"]["unknown"] == 1
    assert stats["denied_total"] == 2
    assert stats["top_hosts"] == [{"host": "Ada Eze (Flat 4B)", "check_ins": 1}]


def test_stats_refuse_bad_ranges_and_other_tenants(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    for params, status, field in [
        ({"from_date": "2026-03-02", "to_date": "2026-03-01"}, 422, "from_date"),
        ({"from_date": "2024-01-01", "to_date": "2026-01-01"}, 422, "to_date"),
        ({"from_date": "yesterday"}, 422, "from_date"),
        ({"from_date": "0001-01-01"}, 422, "from_date"),
    ]:
        response = client.get("/v1/access-logs/stats", params={"site_id": where["site_id"], **params}, headers=api.acme)
        assert response.status_code == status, (params, response.text)
        assert field in [e["field"] for e in response.json()["errors"]]
    assert client.get("/v1/access-logs/stats", headers=api.acme).status_code == 422
    assert client.get("/v1/access-logs/stats", params={"site_id": "site_nope"}, headers=api.acme).status_code == 404
    other = client.get("/v1/access-logs/stats", params={"site_id": where["site_id"]}, headers=api.globex)
    assert other.status_code == 404


def test_a_day_is_a_date_not_a_number(api: Api, client: TestClient) -> None:
    where = site(client, api.acme)
    response = client.get(
        "/v1/access-logs/stats", params={"site_id": where["site_id"], "to_date": "-1.5e-31"}, headers=api.acme
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "to_date"
