"""`bench/analytics.py` in a tiny configuration: it generates, times every answer and writes its report.

Correctness only (every answer is 200 and timed, the report holds the figures), never speed: figures belong
to `make bench-analytics`.
"""

from __future__ import annotations

from pathlib import Path

from bench import analytics
from bench.harness import demodb

from incidenthub.db import Database
from tests.analytics.test_upkeep import assert_rows_match_a_recomputation


def test_tiny_analytics_bench_times_every_answer_and_reports_them(database_url: str, tmp_path: Path) -> None:
    report_path = tmp_path / "ANALYTICS.md"
    (backend,) = analytics.main(
        [
            "--incidents", "200", "--runs", "2", "--database-url", database_url, "--postgres-url", "none",
            "--report", str(report_path), "--writes", "40", "--batch", "20", "--rounds", "1",
        ]
    )  # fmt: skip
    assert backend.incidents == 200
    names = [timing.answer for timing in backend.timings]
    assert len(names) == 2 * (1 + 11 + 8)  # over whole months and from a day
    assert (
        "months: intervals group_by=weekday" in names and "days: compliance nfpa-1710-2020-travel-first-engine" in names
    )
    assert backend.marks >= 1  # the months were counted before the answers
    for timing in backend.timings:
        assert timing.problem == "" and len(timing.times_ms) == 2, timing
    text = report_path.read_text()
    assert "# Response-time analytics over 200 incidents" in text
    hour = next(t for t in backend.timings if t.answer == "months: intervals group_by=hour")
    assert f"| months: intervals group_by=hour | {hour.p50:,.0f} |" in text
    assert f"Counting the marked months ({backend.marks} mark(s)) took" in text
    assert backend.write_on > 0 and backend.write_off > 0
    assert "What keeping the response-time rows adds to a write (40 new demo incidents" in text
    # The incidents written with the upkeep off have their rows too (rebuilt), like every other.
    database = Database(database_url)
    try:
        incidents, _ = assert_rows_match_a_recomputation(database, demodb.tenant(database, "bench-writes", "UTC"))
        assert 0 < incidents <= 80  # 2 rounds of 40, drills left out
    finally:
        database.dispose()
