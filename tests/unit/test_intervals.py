"""The legs of an incident and of its units, on hand-computed examples (no database, no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from incidenthub.analytics.intervals import ASSIGNMENT_LEGS, INCIDENT_LEGS, AssignmentTimes, IncidentTimes, compute

CHICAGO = ZoneInfo("America/Chicago")


def at(clock: str) -> datetime:
    """10:00:12 on 2026-03-10, UTC."""
    hour, minute, second = (int(part) for part in clock.split(":"))
    return datetime(2026, 3, 10, hour, minute, second, tzinfo=UTC)


CALL = IncidentTimes(
    call_received_at=at("10:00:00"),
    call_picked_up_at=at("10:00:12"),
    call_hung_up_at=at("10:03:30"),
    dispatch_queued_at=at("10:00:40"),
    dispatched_at=at("10:01:05"),
)
ENGINE = AssignmentTimes(
    "asg_engine",
    dispatched_at=at("10:01:05"),
    enroute_at=at("10:01:50"),
    arrived_at=at("10:06:10"),
    cleared_at=at("10:40:00"),
)
MEDIC = AssignmentTimes(
    "asg_medic", dispatched_at=at("10:01:20"), enroute_at=at("10:02:00"), arrived_at=at("10:05:30"), cleared_at=None
)


def test_every_leg_of_an_incident_and_its_units() -> None:
    found = compute(CALL, [ENGINE, MEDIC])
    assert {name: found.legs[name].seconds for name in INCIDENT_LEGS} == {
        "call_answer": 12,  # 10:00:00 -> 10:00:12
        "call_processing": 53,  # 10:00:12 -> 10:01:05
        "queue": 25,  # 10:00:40 -> 10:01:05
        "total": 330,  # 10:00:00 -> 10:05:30, the medic's arrival (the first)
        "call_duration": 198,  # 10:00:12 -> 10:03:30
    }
    engine, medic = found.assignments
    assert {name: engine.legs[name].seconds for name in ASSIGNMENT_LEGS} == {
        "turnout": 45,
        "travel": 260,
        "response": 305,
        "on_scene": 2030,  # 10:06:10 -> 10:40:00
    }
    assert {name: medic.legs[name].seconds for name in ASSIGNMENT_LEGS} == {
        "turnout": 40,
        "travel": 210,
        "response": 250,
        "on_scene": None,  # not cleared yet
    }
    assert (engine.first_arriving, medic.first_arriving) == (False, True)
    assert found.issues == []


def test_each_leg_names_the_two_stored_times_it_came_from() -> None:
    found = compute(CALL, [ENGINE, MEDIC])
    answer = found.legs["call_answer"]
    assert (answer.start.field, answer.start.at) == ("incident.call_received_at", at("10:00:00"))
    assert (answer.end.field, answer.end.at) == ("incident.call_picked_up_at", at("10:00:12"))
    assert found.legs["call_processing"].end.field == "incident.dispatched_at"
    total = found.legs["total"]
    assert (total.end.field, total.end.at) == ("assignments[asg_medic].arrived_at", at("10:05:30"))
    turnout = found.assignments[0].legs["turnout"]
    assert (turnout.start.field, turnout.end.field) == (
        "assignments[asg_engine].dispatched_at",
        "assignments[asg_engine].enroute_at",
    )


def test_first_dispatch_is_the_earliest_stored_one_the_incidents_or_a_units() -> None:
    call = IncidentTimes(call_picked_up_at=at("10:00:12"), dispatch_queued_at=at("10:00:40"))
    found = compute(call, [MEDIC, ENGINE])
    processing = found.legs["call_processing"]
    assert processing.seconds == 53
    assert processing.end.field == "assignments[asg_engine].dispatched_at"
    assert found.legs["queue"].seconds == 25


def test_missing_times_give_null_legs_never_zero() -> None:
    found = compute(IncidentTimes(), [AssignmentTimes("asg_bare")])
    assert all(found.legs[name].seconds is None and found.legs[name].missing for name in INCIDENT_LEGS)
    assert all(found.assignments[0].legs[name].seconds is None for name in ASSIGNMENT_LEGS)
    assert found.assignments[0].first_arriving is False
    assert found.issues == []  # missing is not a data-quality issue


def test_equal_times_are_a_measured_zero_not_a_missing_leg() -> None:
    found = compute(IncidentTimes(call_received_at=at("10:00:00"), call_picked_up_at=at("10:00:00")))
    assert found.legs["call_answer"].seconds == 0
    assert not found.legs["call_answer"].missing


def test_a_negative_leg_is_null_and_a_data_quality_issue_naming_it() -> None:
    call = IncidentTimes(call_received_at=at("10:00:05"), call_picked_up_at=at("10:00:00"))
    skewed = AssignmentTimes("asg_skew", dispatched_at=at("10:02:00"), enroute_at=at("10:01:00"))
    found = compute(call, [skewed])
    assert found.legs["call_answer"].seconds is None
    assert found.legs["call_answer"].negative_by == 5
    assert found.assignments[0].legs["turnout"].seconds is None
    assert [(i.leg, i.assignment_id, i.negative_by_seconds) for i in found.issues] == [
        ("call_answer", None, 5),
        ("turnout", "asg_skew", 60),
    ]
    assert found.issues[0].message == (
        "call_answer: incident.call_picked_up_at is 5 s before incident.call_received_at (clock skew?); "
        "the leg is left out"
    )
    assert "assignment asg_skew" in found.issues[1].message and "60 s (1 min)" in found.issues[1].message


def test_a_call_across_the_november_fall_back_in_chicago() -> None:
    # 2026-11-01: at 02:00 CDT the clocks go back to 01:00 CST. 01:59:50 CDT and 01:00:05 CST are 15 s apart,
    # though the wall clock went back 59 min 45 s; a call from 01:30 CDT to 01:30 CST lasted an hour.
    received = datetime(2026, 11, 1, 1, 59, 50, tzinfo=CHICAGO)  # fold=0: the first 01:59:50, CDT
    picked_up = datetime(2026, 11, 1, 1, 0, 5, fold=1, tzinfo=CHICAGO)  # the second 01:00:05, CST
    hung_up = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=CHICAGO)
    assert received.utcoffset() != picked_up.utcoffset()
    call = IncidentTimes(call_received_at=received, call_picked_up_at=picked_up, call_hung_up_at=hung_up)
    found = compute(call)
    assert found.legs["call_answer"].seconds == 15
    assert found.legs["call_duration"].seconds == 29 * 60 + 55
    assert found.issues == []
    long_call = IncidentTimes(
        call_picked_up_at=datetime(2026, 11, 1, 1, 30, tzinfo=CHICAGO),
        call_hung_up_at=datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=CHICAGO),
    )
    assert compute(long_call).legs["call_duration"].seconds == 3600


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        compute(IncidentTimes(call_received_at=datetime(2026, 1, 1), call_picked_up_at=at("10:00:00")))


def test_legs_are_to_the_millisecond_the_times_are_shown_at() -> None:
    start = datetime(2026, 1, 1, 12, 0, 0, 999_999, tzinfo=UTC)  # shown as 12:00:00.999
    end = datetime(2026, 1, 1, 12, 0, 1, 1_000, tzinfo=UTC)  # shown as 12:00:01.001
    found = compute(IncidentTimes(call_received_at=start, call_picked_up_at=end))
    assert found.legs["call_answer"].seconds == 0.002
