"""The pure rules of access control: codes a person can type, validation reasons, the throttle, statistics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incidenthub.access import rules
from incidenthub.access.rules import CodeState, Visit

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _state(**overrides: object) -> CodeState:
    values: dict[str, object] = {
        "site_id": "site_a",
        "gates": [],
        "valid_from": NOW - timedelta(hours=1),
        "valid_until": NOW + timedelta(hours=1),
        "max_uses": 1,
        "uses": 0,
        "revoked": False,
    }
    values.update(overrides)
    return CodeState(**values)  # type: ignore[arg-type]


def test_codes_use_only_the_unambiguous_alphabet() -> None:
    codes = {rules.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 8 for code in codes)
    assert not set("".join(codes)) & set("01OI")
    assert set("".join(codes)) <= set(rules.CODE_ALPHABET)


def test_tokens_are_long_and_url_safe() -> None:
    token = rules.new_token()
    assert len(token) == 32
    assert token.replace("-", "").replace("_", "").isalnum()


def test_a_typed_code_is_normalised_and_an_unknown_one_masked() -> None:
    assert rules.normalize_code(" abcd-efgh ") == "ABCDEFGH"
    assert rules.normalize_code("ab cd ef gh") == "ABCDEFGH"
    assert rules.mask("zz-99xq7k") == "ZZ******"


@pytest.mark.parametrize(
    ("state", "site", "gate", "reason"),
    [
        (None, "site_a", None, "unknown"),
        (_state(), "site_b", None, "wrong_site"),
        (_state(revoked=True), "site_a", None, "revoked"),
        (_state(valid_from=NOW + timedelta(seconds=1)), "site_a", None, "not_yet_valid"),
        (_state(valid_until=NOW), "site_a", None, "expired"),
        (_state(uses=1), "site_a", None, "used_up"),
        (_state(gates=["main"]), "site_a", "back", "wrong_gate"),
        (_state(gates=["main"]), "site_a", None, "wrong_gate"),
        (_state(gates=["main"]), "site_a", "main", "ok"),
        (_state(max_uses=3, uses=2), "site_a", "any", "ok"),
        # The first reason a guard can act on wins.
        (_state(revoked=True, uses=1, valid_until=NOW), "site_b", None, "wrong_site"),
        (_state(revoked=True, uses=1, valid_until=NOW), "site_a", None, "revoked"),
        (_state(uses=1, valid_until=NOW), "site_a", None, "expired"),
    ],
)
def test_every_validation_reason(state: CodeState | None, site: str, gate: str | None, reason: str) -> None:
    assert rules.reason_for(state, site_id=site, gate=gate, now=NOW) == reason


def test_code_status_as_a_host_sees_it() -> None:
    assert rules.status_of(_state(), NOW) == "active"
    assert rules.status_of(_state(valid_from=NOW + timedelta(hours=1), valid_until=NOW + timedelta(hours=2)), NOW) == (
        "scheduled"
    )
    assert rules.status_of(_state(valid_until=NOW), NOW) == "expired"
    assert rules.status_of(_state(uses=1), NOW) == "used_up"
    assert rules.status_of(_state(revoked=True, uses=1), NOW) == "revoked"


def test_timezones_are_iana_names() -> None:
    assert rules.is_timezone("Africa/Lagos") and rules.is_timezone("UTC") and rules.is_timezone("Europe/London")
    assert not rules.is_timezone("Mars/Olympus") and not rules.is_timezone("+01:00") and not rules.is_timezone("")


def test_local_time_shows_the_offset_of_the_day() -> None:
    assert rules.local_iso(datetime(2026, 1, 10, 12, tzinfo=UTC), "Europe/London") == "2026-01-10T12:00:00.000+00:00"
    assert rules.local_iso(datetime(2026, 7, 10, 12, tzinfo=UTC), "Europe/London") == "2026-07-10T13:00:00.000+01:00"
    assert rules.local_iso(None, "UTC") is None


def test_the_throttle_counts_the_last_minute_only() -> None:
    window = timedelta(minutes=1)
    guesses = [NOW - timedelta(seconds=s) for s in (50, 40, 30)]
    assert rules.retry_after(guesses, 4, NOW, window) is None
    # Three in the last minute with a limit of three: wait until the oldest (50 s ago) leaves, 10 s.
    assert rules.retry_after(guesses, 3, NOW, window) == 10
    # Older ones do not count.
    assert rules.retry_after([NOW - timedelta(seconds=61), *guesses[1:]], 3, NOW, window) is None
    # Over the limit: wait until enough have left to be under it again.
    assert rules.retry_after(guesses, 2, NOW, window) == 20


def test_percentile_is_nearest_rank() -> None:
    assert rules.percentile([], 0.9) is None
    assert rules.percentile([5.0], 0.9) == 5.0
    assert rules.percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert rules.percentile([float(n) for n in range(1, 12)], 0.9) == 10.0


def test_a_visitor_is_the_same_person_by_phone_email_or_name() -> None:
    assert rules.visitor_identity("A", "+234 801-234", None) == rules.visitor_identity("B", "234801234", "x@y")
    assert rules.visitor_identity("A", None, "X@Y.com ") == rules.visitor_identity(None, None, "x@y.com")
    assert rules.visitor_identity("Ada  Eze", None, None) == rules.visitor_identity("ada eze", None, None)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_stats_count_a_visit_across_midnight_once_on_its_local_day() -> None:
    # Lagos is UTC+1 all year: 22:30 local on the 1st to 01:30 local on the 2nd is three hours.
    visits = [
        Visit(_at("2026-06-01T21:30:00+00:00"), _at("2026-06-02T00:30:00+00:00"), "phone:1", "Ada"),
        Visit(_at("2026-06-02T08:00:00+00:00"), _at("2026-06-02T09:00:00+00:00"), "phone:1", "Ada"),
        Visit(_at("2026-06-02T08:10:00+00:00"), None, "phone:2", "Bola"),
    ]
    stats = rules.compute_stats(
        visits,
        ["unknown", "used_up", "unknown"],
        timezone="Africa/Lagos",
        first=date(2026, 6, 1),
        last=date(2026, 6, 3),
    )
    assert stats.check_ins == 3
    assert stats.per_day == [(date(2026, 6, 1), 1), (date(2026, 6, 2), 2), (date(2026, 6, 3), 0)]
    assert stats.per_hour[22] == 1 and stats.per_hour[9] == 2 and sum(stats.per_hour) == 3
    assert stats.peak_hour == 9
    assert stats.unique_visitors == 2
    assert stats.completed_visits == 2
    assert stats.average_visit_seconds == (3 * 3600 + 3600) / 2
    assert stats.p90_visit_seconds == 3 * 3600
    assert stats.denied["unknown"] == 2 and stats.denied["used_up"] == 1 and stats.denied["throttled"] == 0
    assert stats.top_hosts == [("Ada", 2), ("Bola", 1)]


def test_stats_across_a_dst_change_measure_real_time() -> None:
    # London, 29 March 2026: clocks go from 01:00 GMT to 02:00 BST. In at 00:30 local, out at 03:30 local
    # is two real hours, not three.
    spring = [Visit(_at("2026-03-29T00:30:00+00:00"), _at("2026-03-29T02:30:00+00:00"), "name:a", None)]
    stats = rules.compute_stats(spring, [], timezone="Europe/London", first=date(2026, 3, 29), last=date(2026, 3, 29))
    assert stats.average_visit_seconds == 2 * 3600
    assert stats.per_hour[0] == 1
    # 25 October 2026: clocks go back from 02:00 BST to 01:00 GMT; 01:15 happens twice, both in hour 1.
    autumn = [
        Visit(_at("2026-10-25T00:15:00+00:00"), None, "name:a", None),  # 01:15 BST
        Visit(_at("2026-10-25T01:15:00+00:00"), None, "name:b", None),  # 01:15 GMT
    ]
    stats = rules.compute_stats(autumn, [], timezone="Europe/London", first=date(2026, 10, 25), last=date(2026, 10, 25))
    assert stats.per_hour[1] == 2 and stats.peak_hour == 1


def test_local_day_bounds_follow_the_sites_calendar() -> None:
    start, end = rules.local_day_bounds(date(2026, 3, 29), date(2026, 3, 29), "Europe/London")
    assert (start, end) == (_at("2026-03-29T00:00:00+00:00"), _at("2026-03-29T23:00:00+00:00"))
    start, end = rules.local_day_bounds(date(2026, 6, 1), date(2026, 6, 2), "Africa/Lagos")
    assert (start, end) == (_at("2026-05-31T23:00:00+00:00"), _at("2026-06-02T23:00:00+00:00"))
