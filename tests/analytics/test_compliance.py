"""GET /v1/analytics/compliance over HTTP: each target's pass or fail exactly at its boundary, the worst groups,
and the legs that missed, from GovWorx uploads (SQLite and, when configured, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.analytics.figures import DAY, call, get, upload_all
from tests.govworx.helpers import GovWorx

NENA = "nena-sta-020.1-2020-call-answering"
PERIOD = {"from_date": "2026-02-01", "to_date": "2026-02-28"}


def compliance(gw: GovWorx, standard: str, **params: Any) -> dict[str, Any]:
    response = get(gw, "/v1/analytics/compliance", standard=standard, **PERIOD, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answered(gw: GovWorx, seconds: list[float], taker: str = "CT-1", prefix: str = "C") -> None:
    upload_all(
        gw,
        [
            call(f"{prefix}{i}", DAY + timedelta(minutes=i), s, callTakerId=taker, callTakerName=f"Taker {taker}")
            for i, s in enumerate(seconds)
        ],
    )


@pytest.mark.parametrize(
    ("seconds", "first", "second", "passed"),
    [
        # 9 of 10 within 15 s is exactly 90 %: passes; all within 20 s: 100 % >= 95 %.
        ([15] * 9 + [20], (9, 90.0, True), (10, 100.0, True), True),
        # 8 of 10 within 15 s: 80 % fails; 20.001 s is not within 20 s: 90 % < 95 % fails too.
        ([15] * 8 + [16, 20.001], (8, 80.0, False), (9, 90.0, False), False),
        # 19 of 20 within 20 s is exactly 95 %: passes.
        ([15] * 18 + [20, 21], (18, 90.0, True), (19, 95.0, True), True),
    ],
)
def test_nena_call_answering_at_its_boundaries(
    gw: GovWorx, seconds: list[float], first: tuple[int, float, bool], second: tuple[int, float, bool], passed: bool
) -> None:
    answered(gw, seconds)
    body = compliance(gw, NENA)
    assert body["standard"]["id"] == NENA and body["standard"]["edition"] == "2020"
    assert body["judged"] == len(seconds)
    assert [(t["within"], t["percent_within"], t["passed"]) for t in body["targets"]] == [first, second]
    assert body["passed"] is passed


def test_nfpa_1225_answering_10_s_boundary(gw: GovWorx) -> None:
    answered(gw, [10] * 9 + [10.001])
    body = compliance(gw, "nfpa-1225-2022-call-answering")
    assert (body["targets"][0]["within"], body["passed"]) == (9, True)
    assert body["missed"]["data"][0]["seconds"] == 10.001


def test_the_legs_that_missed_longest_first_paginated_with_their_stored_times(gw: GovWorx) -> None:
    answered(gw, [4, 30, 16, 25, 8], taker="CT-1")
    answered(gw, [5, 6], taker="CT-2", prefix="D")
    body = compliance(gw, NENA, limit=2)
    missed = body["missed"]
    assert (missed["within_seconds"], missed["total"], missed["page"], missed["limit"]) == (15, 3, 1, 2)
    first, second = missed["data"]
    assert (first["seconds"], second["seconds"]) == (30, 25)
    assert first["missed"] == [15, 20] and second["missed"] == [15, 20]
    assert first["number"] == "26-C1"
    assert first["start"] == {"field": "incident.call_received_at", "at": "2026-02-10T15:01:00.000Z"}
    assert first["end"] == {"field": "incident.call_picked_up_at", "at": "2026-02-10T15:01:30.000Z"}
    incident = gw.client.get(f"/v1/incidents/{first['incident_id']}", headers=gw.headers).json()
    assert incident["external_id"] == "C1"
    page_two = compliance(gw, NENA, limit=2, page=2)["missed"]
    assert [(m["seconds"], m["missed"]) for m in page_two["data"]] == [(16, [15])]
    assert page_two["total"] == 3
    assert compliance(gw, NENA, limit=2, page=9)["missed"] == {
        "within_seconds": 15,
        "data": [],
        "total": 3,
        "page": 9,
        "limit": 2,
    }
    # The worst call takers (by default for call answering): CT-1 (2 of 5 within 15 s) before CT-2 (2 of 2).
    worst = body["worst_groups"]
    assert worst["group_by"] == "call_taker"
    assert [(g["group"], g["label"], g["targets"][0]["percent_within"], g["passed"]) for g in worst["groups"]] == [
        ("CT-1", "Taker CT-1", 40.0, False),
        ("CT-2", "Taker CT-2", 100.0, True),
    ]
    assert (body["p50"], body["p90"], body["count"]) == (8, 30, 7)


def test_first_arriving_engine_travel_judges_only_the_first_unit(gw: GovWorx) -> None:
    fire = {"incidentType": "Structure Fire", "agencyType": "Fire"}
    upload_all(
        gw,
        [
            call(
                "F1",
                units=[
                    {"unit": "E1", "dispatched": 60, "enroute": 120, "arrived": 350},  # travel 230: first
                    {"unit": "E2", "dispatched": 60, "enroute": 100, "arrived": 500},  # travel 400
                ],
                **fire,
            ),
            call("F2", units=[{"unit": "E1", "dispatched": 60, "enroute": 120, "arrived": 370}], **fire),  # 250
        ],
    )
    incident = gw.client.get(
        "/v1/incidents", params={"source": "govworx", "external_id": "F1"}, headers=gw.headers
    ).json()["data"][0]
    assert incident["category"] == "fire"
    first = compliance(gw, "nfpa-1710-2020-travel-first-engine")
    assert (first["judged"], first["targets"][0]["within"], first["passed"]) == (2, 1, False)
    assert first["worst_groups"]["group_by"] == "unit"
    assert [m["call_sign"] for m in first["missed"]["data"]] == ["E1"]
    assert first["missed"]["data"][0]["start"]["field"].endswith(".enroute_at")
    alarm = compliance(gw, "nfpa-1710-2020-travel-full-alarm")
    assert (alarm["judged"], alarm["targets"][0]["within"], alarm["passed"]) == (3, 3, True)
    by_agency = compliance(gw, "nfpa-1710-2020-travel-full-alarm", group_by="agency")
    assert by_agency["worst_groups"]["group_by"] == "agency"


def test_nothing_judged_neither_passes_nor_fails(gw: GovWorx) -> None:
    body = compliance(gw, NENA)
    assert (body["judged"], body["passed"], body["p50"]) == (0, None, None)
    assert [t["passed"] for t in body["targets"]] == [None, None]
    assert body["missed"]["data"] == [] and body["worst_groups"]["groups"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"standard": "nena-9999"}, "standard"),
        ({"standard": NENA, "group_by": "shoe_size"}, "group_by"),
        ({"standard": NENA, "from_date": "2026-02-10", "to_date": "2026-02-01"}, "from_date"),
        ({"standard": NENA, "limit": "0"}, "limit"),
        ({}, "standard"),
        ({"standard": NENA, "group_by": "unit"}, "group_by"),
    ],
)
def test_bad_parameters_answer_400_naming_them(gw: GovWorx, params: dict[str, str], field: str) -> None:
    response = get(gw, "/v1/analytics/compliance", **params)
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == field
