"""Standards: the defaults and their sources, pass/fail exactly at each boundary, nearest-rank fractiles,
and a tenant's own standards (no database, no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from incidenthub.analytics.intervals import IncidentTimes, compute
from incidenthub.analytics.standards import (
    DEFAULTS,
    Standard,
    StandardsError,
    Target,
    from_settings,
    nearest_rank,
    summarize,
    summarize_legs,
)

BY_ID = {s.id: s for s in DEFAULTS}


def test_the_default_standards_their_legs_targets_and_clauses() -> None:
    table = {
        s.id: (s.source.split(" (")[0], s.edition, s.clause, s.leg, [(t.within_seconds, t.percent) for t in s.targets])
        for s in DEFAULTS
    }
    assert table == {
        "nena-sta-020.1-2020-call-answering": (
            "NENA-STA-020.1-2020",
            "2020",
            None,
            "call_answer",
            [(15, 90), (20, 95)],
        ),
        "nfpa-1225-2022-call-answering": ("NFPA 1225", "2022", None, "call_answer", [(10, 90)]),
        "nfpa-1225-2022-call-processing": ("NFPA 1225", "2022", None, "call_processing", [(60, 90)]),
        "nfpa-1221-2016-call-processing": ("NFPA 1221", "2016", "7.4.2", "call_processing", [(64, 90), (106, 95)]),
        "nfpa-1710-2020-turnout-ems": ("NFPA 1710", "2020", "4.1.2.1(2)", "turnout", [(60, 90)]),
        "nfpa-1710-2020-turnout-fire": ("NFPA 1710", "2020", "4.1.2.1(2)", "turnout", [(80, 90)]),
        "nfpa-1710-2020-travel-first-engine": ("NFPA 1710", "2020", "4.1.2.1(3)", "travel", [(240, 90)]),
        "nfpa-1710-2020-travel-full-alarm": ("NFPA 1710", "2020", "4.1.2.1(5)", "travel", [(480, 90)]),
    }
    # Every default says what its figures were checked against.
    assert all(s.checked for s in DEFAULTS)
    assert BY_ID["nfpa-1710-2020-travel-first-engine"].first_arriving_only
    assert not BY_ID["nfpa-1710-2020-travel-full-alarm"].first_arriving_only


def _at_the_boundary(standard: Standard, total: int = 1000) -> list[float]:
    """`total` legs meeting every target exactly: percent% at the target's seconds, the rest just over the last."""
    values: list[float] = []
    for target in sorted(standard.targets, key=lambda t: t.within_seconds):
        wanted = round(target.percent * total / 100)
        values += [target.within_seconds] * (wanted - len(values))
    slowest = max(t.within_seconds for t in standard.targets)
    return values + [slowest + 1] * (total - len(values))


@pytest.mark.parametrize("standard", DEFAULTS, ids=lambda s: s.id)
def test_each_default_passes_exactly_at_its_boundary_and_fails_one_leg_past_it(standard: Standard) -> None:
    values = _at_the_boundary(standard)
    summary = summarize(values, targets=standard.targets)
    assert summary.passed is True
    assert [r.percent_within for r in summary.targets] == [t.percent for t in standard.targets]
    for index, target in enumerate(standard.targets):
        # One leg of those within this target, and only this one, now just over it: 0.1 % short.
        slower = list(values)
        slower[slower.index(target.within_seconds)] = target.within_seconds + 0.001
        result = summarize(slower, targets=standard.targets)
        assert result.targets[index].passed is False
        assert result.targets[index].percent_within == pytest.approx(target.percent - 0.1)
        assert result.passed is False


def test_nena_call_answering_90_0_percent_within_15_s_passes_and_89_9_fails() -> None:
    nena = BY_ID["nena-sta-020.1-2020-call-answering"]
    passing = [15.0] * 900 + [20.0] * 50 + [21.0] * 50
    summary = summarize(passing, targets=nena.targets)
    assert [(r.within, r.percent_within, r.passed) for r in summary.targets] == [(900, 90.0, True), (950, 95.0, True)]
    assert summary.passed is True
    failing = [15.0] * 899 + [15.5] + [20.0] * 50 + [21.0] * 50
    summary = summarize(failing, targets=nena.targets)
    assert [(r.percent_within, r.passed) for r in summary.targets] == [(89.9, False), (95.0, True)]
    assert summary.passed is False


def test_nearest_rank_percentiles_on_small_lists() -> None:
    assert nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert nearest_rank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50) == 5
    assert nearest_rank([1, 2, 3, 4, 5], 90) == 5  # rank ceil(4.5) = 5
    assert nearest_rank([1, 2, 3, 4, 5], 50) == 3  # rank ceil(2.5) = 3
    assert nearest_rank([10, 20], 50) == 10
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([], 90) is None


def test_summary_sorts_its_values_and_gives_the_mean() -> None:
    summary = summarize([30, 10, 20, 40])
    assert (summary.count, summary.p50, summary.p90, summary.mean) == (4, 20, 40, 25)
    assert summary.targets == [] and summary.passed is None


def test_missing_legs_and_data_quality_issues_are_counted_apart_and_left_out() -> None:
    from datetime import UTC, datetime

    def call(received: int | None, picked_up: int | None) -> IncidentTimes:
        def t(second: int | None) -> datetime | None:
            return None if second is None else datetime(2026, 1, 1, 12, 0, second, tzinfo=UTC)

        return IncidentTimes(call_received_at=t(received), call_picked_up_at=t(picked_up))

    legs = [compute(c).legs["call_answer"] for c in (call(0, 10), call(0, 30), call(None, 5), call(20, 5))]
    summary = summarize_legs(legs, BY_ID["nena-sta-020.1-2020-call-answering"])
    assert (summary.count, summary.missing, summary.issues) == (2, 1, 1)
    assert (summary.p50, summary.p90, summary.mean) == (10, 30, 20)
    assert [(r.within, r.percent_within, r.passed) for r in summary.targets] == [(1, 50.0, False), (1, 50.0, False)]


def test_no_measured_leg_neither_passes_nor_fails() -> None:
    summary = summarize([], missing=3, targets=[Target(within_seconds=15, percent=90)])
    assert (summary.count, summary.missing, summary.p90, summary.mean, summary.passed) == (0, 3, None, None, None)
    assert summary.targets[0].percent_within is None


def test_which_incidents_a_standard_judges() -> None:
    ems = BY_ID["nfpa-1710-2020-turnout-ems"]
    assert ems.applies("Medical", "Fire", None)
    assert not ems.applies("fire", "Fire", None)
    assert not ems.applies(None, None, None)
    assert BY_ID["nena-sta-020.1-2020-call-answering"].applies(None, None, None)


LOCAL = {
    "id": "county-p1-response",
    "name": "County SLA, priority 1 response",
    "source": "County EMS SLA",
    "edition": "2025",
    "leg": "response",
    "priorities": ["Priority 1"],
    "targets": [{"within_seconds": 480, "percent": 90}],
}


def test_tenant_standards_are_added_after_the_defaults() -> None:
    assert from_settings(None) == list(DEFAULTS)
    assert from_settings({"classification": {}}) == list(DEFAULTS)
    found = from_settings({"analytics": {"standards": [LOCAL]}})
    assert [s.id for s in found] == [*(s.id for s in DEFAULTS), "county-p1-response"]
    local = found[-1]
    assert local.applies(None, None, "priority 1") and not local.applies(None, None, "Priority 2")


def test_a_tenant_replaces_a_default_by_its_id_or_leaves_the_defaults_out() -> None:
    stricter = {**LOCAL, "id": "nfpa-1225-2022-call-answering", "leg": "call_answer", "priorities": None}
    found = from_settings({"analytics": {"standards": [stricter]}})
    assert len(found) == len(DEFAULTS)
    assert next(s for s in found if s.id == "nfpa-1225-2022-call-answering").source == "County EMS SLA"
    only = from_settings({"analytics": {"standards": [LOCAL], "defaults": False}})
    assert [s.id for s in only] == ["county-p1-response"]


@pytest.mark.parametrize(
    ("settings", "member"),
    [
        ({"analytics": []}, "analytics"),
        ({"analytics": {"standard": []}}, "analytics.standard"),
        ({"analytics": {"standards": [{**LOCAL, "leg": "lunch"}]}}, "analytics.standards[0].leg"),
        (
            {"analytics": {"standards": [{**LOCAL, "targets": [{"within_seconds": 480, "percent": 120}]}]}},
            "analytics.standards[0].targets[0].percent",
        ),
        ({"analytics": {"standards": [{**LOCAL, "targets": []}]}}, "analytics.standards[0].targets"),
        ({"analytics": {"standards": [{**LOCAL, "id": "Has Spaces"}]}}, "analytics.standards[0].id"),
        ({"analytics": {"standards": [LOCAL, LOCAL]}}, "analytics.standards[1].id"),
        (
            {"analytics": {"standards": [{k: v for k, v in LOCAL.items() if k != "name"}]}},
            "analytics.standards[0].name",
        ),
        ({"analytics": {"defaults": "yes please"}}, "analytics.defaults"),
    ],
)
def test_unusable_tenant_standards_are_refused_naming_the_member(settings: dict[str, Any], member: str) -> None:
    with pytest.raises(StandardsError) as caught:
        from_settings(settings)
    assert caught.value.field == member
    assert str(caught.value).startswith(f"{member}: ")
