"""GET /v1/analytics/intervals over HTTP: figures per leg and group, computed by the database from GovWorx
uploads, checked against hand-computed values (on SQLite and, when configured, PostgreSQL: the same values)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from incidenthub.models import Tenant
from tests.analytics.figures import DAY, call, figures, get, leg_of, standard_of, upload_all
from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx

NENA = "nena-sta-020.1-2020-call-answering"
ANSWERS = [3, 5, 8, 10, 12, 15, 15, 18, 25, 40]
PERIOD = {"from_date": "2026-02-01", "to_date": "2026-02-28"}


def ten_calls(gw: GovWorx, headers: dict[str, str] | None = None) -> None:
    bodies = [call(f"A{i}", DAY + timedelta(minutes=i), answer) for i, answer in enumerate(ANSWERS)]
    unknown = call("A-NO-RECEIVED", DAY, 10)
    del unknown["callReceivedTime"]  # picked up, but when the call came in is not known: a missing leg
    bodies.append(unknown)
    skewed = call("A-SKEW", DAY, 10)
    skewed["callPickupTime"] = "2026-02-10T14:59:55Z"  # picked up 5 s before it was received: clock skew
    bodies.append(skewed)
    upload_all(gw, bodies, headers)


def test_call_answer_figures_over_a_month(gw: GovWorx) -> None:
    ten_calls(gw)
    body = figures(gw, **PERIOD)
    assert body["group_by"] is None
    assert body["period"] == {
        "from": "2026-02-01T00:00:00.000-06:00",
        "to": "2026-03-01T00:00:00.000-06:00",
        "timezone": "America/Chicago",
    }
    answer = leg_of(body, "all", "call_answer")
    # sorted: 3 5 8 10 12 15 15 18 25 40; p50 = rank 5 = 12, p90 = rank 9 = 25, mean 151 / 10
    assert (answer["count"], answer["p50"], answer["p90"], answer["mean"]) == (10, 12, 25, 15.1)
    # The call without a received time is missing (not a zero); the skewed one an issue (not a negative).
    assert (answer["missing"], answer["data_quality_issues"]) == (1, 1)
    nena = standard_of(answer, NENA)
    assert (nena["source"], nena["edition"]) == (
        "NENA-STA-020.1-2020 (NENA Standard for 9-1-1 Call Processing)",
        "2020",
    )
    assert [(t["within_seconds"], t["within"], t["percent_within"], t["passed"]) for t in nena["targets"]] == [
        (15, 7, 70.0, False),
        (20, 8, 80.0, False),
    ]
    nfpa = standard_of(answer, "nfpa-1225-2022-call-answering")
    assert (nfpa["targets"][0]["within"], nfpa["targets"][0]["percent_within"], nfpa["passed"]) == (4, 40.0, False)
    # Call duration: a minute after pickup, but 75 s for the skewed call (picked up 15 s earlier than made).
    duration = leg_of(body, "all", "call_duration")
    assert (duration["count"], duration["p50"], duration["p90"], duration["missing"]) == (12, 60, 60, 0)
    assert duration["mean"] == round((11 * 60 + 75) / 12, 3)


def test_incidents_outside_the_period_are_not_counted(gw: GovWorx) -> None:
    ten_calls(gw)
    body = figures(gw, from_date="2026-02-11", to_date="2026-02-28")
    assert body["groups"] == []
    # DAY is 09:00 in Chicago on 2026-02-10: a period of that local day holds them.
    assert leg_of(figures(gw, from_date="2026-02-10", to_date="2026-02-10"), "all", "call_answer")["count"] == 10


def units_calls(gw: GovWorx) -> None:
    upload_all(
        gw,
        [
            call(
                "U1",
                answer=5,
                units=[
                    {"unit": "M1", "dispatched": 40, "enroute": 100, "arrived": 400, "cleared": 1600},
                    {"unit": "E2", "dispatched": 30, "enroute": 110, "arrived": 380},
                ],
                callTakerId="CT-1",
                callTakerName="Ann Able",
                agency="CITY-EMS",
            ),
            call(
                "U2",
                received=DAY + timedelta(hours=1),
                answer=20,
                units=[{"unit": "M1", "dispatched": 80, "enroute": 150, "arrived": None}],
                callTakerId="CT-2",
                callTakerName="Bo Baker",
                agency="COUNTY-EMS",
            ),
            call("U3", received=DAY + timedelta(hours=2), answer=9, callTakerId="CT-2", callTakerName="Bo Baker"),
        ],
    )


def test_unit_legs_and_first_unit_times(gw: GovWorx) -> None:
    units_calls(gw)
    body = figures(gw, **PERIOD)
    # Call processing: pickup -> first unit dispatched (MIN over the units): U1 30 - 5 = 25, U2 80 - 20 = 60;
    # U3 had no unit: missing.
    processing = leg_of(body, "all", "call_processing")
    assert (processing["count"], processing["p50"], processing["p90"], processing["missing"]) == (2, 25, 60, 1)
    assert standard_of(processing, "nfpa-1225-2022-call-processing")["targets"][0]["within"] == 2
    # Total: received -> first arrival: U1 380 (E2); U2 no arrival, U3 no unit.
    total = leg_of(body, "all", "total")
    assert (total["count"], total["p50"], total["missing"]) == (1, 380, 2)
    # Turnout per unit: M1 60, E2 80, M1 (U2) 70 -> p50 70, p90 80, mean 70.
    turnout = leg_of(body, "all", "turnout")
    assert (turnout["count"], turnout["p50"], turnout["p90"], turnout["mean"]) == (3, 70, 80, 70)
    # Travel: M1 300, E2 270; U2's M1 never arrived (missing).
    travel = leg_of(body, "all", "travel")
    assert (travel["count"], travel["p50"], travel["p90"], travel["missing"]) == (2, 270, 300, 1)
    on_scene = leg_of(body, "all", "on_scene")
    assert (on_scene["count"], on_scene["p50"], on_scene["missing"]) == (1, 1200, 2)


def test_grouping_by_call_taker_agency_and_unit(gw: GovWorx) -> None:
    units_calls(gw)
    takers = figures(gw, group_by="call_taker", **PERIOD)
    assert [(g["group"], g["label"]) for g in takers["groups"]] == [("CT-1", "Ann Able"), ("CT-2", "Bo Baker")]
    answer = leg_of(takers, "CT-2", "call_answer")
    assert (answer["count"], answer["p50"], answer["p90"], answer["mean"]) == (2, 9, 20, 14.5)
    agencies = figures(gw, group_by="agency", **PERIOD)
    assert [g["group"] for g in agencies["groups"]] == ["CITY-EMS", "COUNTY-EMS"]
    assert leg_of(agencies, "CITY-EMS", "call_answer")["count"] == 2  # U1 and U3
    units = figures(gw, group_by="unit", **PERIOD)
    assert [g["group"] for g in units["groups"]] == ["E2", "M1"]
    m1 = leg_of(units, "M1", "turnout")
    assert (m1["count"], m1["p50"], m1["p90"]) == (2, 60, 70)
    # Grouped by unit, only the unit legs are given.
    assert {leg["leg"] for g in units["groups"] for leg in g["legs"]} == {"turnout", "travel", "response", "on_scene"}
    # NFPA 1710 EMS turnout judges medical incidents' units: M1's 60 and 70 against 60 s.
    ems = standard_of(m1, "nfpa-1710-2020-turnout-ems")
    assert (ems["judged"], ems["targets"][0]["within"], ems["passed"]) == (2, 1, False)


def set_timezone(gw: GovWorx, zone: str) -> None:
    with gw.database.transaction() as session:
        session.execute(select(Tenant).where(Tenant.slug == "metro")).scalar_one().timezone = zone


def test_hour_and_weekday_across_the_march_dst_change(gw: GovWorx) -> None:
    set_timezone(gw, "America/New_York")
    # 2026-03-08 02:00 EST became 03:00 EDT (07:00 UTC).
    moments = {
        "D1": (datetime(2026, 3, 7, 6, 30, tzinfo=UTC), 4),  # Sat 01:30 EST
        "D2": (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), 6),  # Sun 01:30 EST
        "D3": (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), 8),  # Sun 03:30 EDT
        "D4": (datetime(2026, 3, 9, 6, 30, tzinfo=UTC), 10),  # Mon 02:30 EDT
        "D5": (datetime(2026, 3, 9, 4, 59, 59, tzinfo=UTC), 12),  # Mon 00:59:59 EDT (Sunday 23:59:59 EST+1 h)
    }
    upload_all(gw, [call(key, at, answer) for key, (at, answer) in moments.items()])
    period = {"from_date": "2026-03-01", "to_date": "2026-03-31"}
    hours = figures(gw, group_by="hour", **period)
    assert hours["period"]["from"] == "2026-03-01T00:00:00.000-05:00"
    assert hours["period"]["to"] == "2026-04-01T00:00:00.000-04:00"
    assert [(g["group"], leg_of(hours, g["group"], "call_answer")["count"]) for g in hours["groups"]] == [
        ("00", 1),
        ("01", 2),
        ("02", 1),
        ("03", 1),
    ]
    assert leg_of(hours, "01", "call_answer")["p90"] == 6
    days = figures(gw, group_by="weekday", **period)
    assert [g["group"] for g in days["groups"]] == ["Monday", "Saturday", "Sunday"]
    assert leg_of(days, "Monday", "call_answer")["count"] == 2
    assert leg_of(days, "Sunday", "call_answer")["p50"] == 6


def test_another_tenants_incidents_are_never_counted(gw: GovWorx) -> None:
    ten_calls(gw)
    upload_all(gw, [call(f"O{i}", DAY, 99) for i in range(3)], headers=gw.other)
    assert leg_of(figures(gw, **PERIOD), "all", "call_answer")["count"] == 10
    theirs = get(gw, "/v1/analytics/intervals", headers=gw.other, **PERIOD).json()
    assert leg_of(theirs, "all", "call_answer")["p50"] == 99
    assert leg_of(theirs, "all", "call_answer")["count"] == 3


@pytest.mark.parametrize(("scopes", "status"), [(["analytics:read"], 200), (["incidents:read"], 403)])
def test_analytics_read_is_needed(gw: GovWorx, scopes: list[str], status: int) -> None:
    headers = bearer(make_key(gw.database, "metro", scopes))
    for path in ("/v1/analytics/intervals", "/v1/external/analytics/intervals"):
        assert get(gw, path, headers=headers).status_code == status
    assert get(gw, "/v1/analytics/intervals", headers={}).status_code == 401
    compliance = get(gw, "/v1/analytics/compliance", headers=headers, standard="nfpa-1225-2022-call-answering")
    assert compliance.status_code == status


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "colour"}, "group_by"),
        ({"from_date": "2026-13-01"}, "from_date"),
        ({"from_date": "yesterday"}, "from_date"),
        ({"to_date": "2026-02-30"}, "to_date"),
        ({"from_date": "2026-03-01", "to_date": "2026-02-01"}, "from_date"),
        ({"from_date": "1960-01-01", "to_date": "1960-02-01"}, "from_date"),
    ],
)
def test_bad_parameters_answer_400_naming_them(gw: GovWorx, params: dict[str, str], field: str) -> None:
    response = get(gw, "/v1/analytics/intervals", **params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field
