"""The benchmark harness end to end in a tiny configuration: it runs, and what it reports is true.

This checks correctness only (every acknowledged write is in the database, repeats change nothing, the
report is written), never speed: figures belong to `make bench`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bench import run as bench_run
from bench.harness.scenarios import BY_NAME

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")


def test_tiny_benchmark_run_reports_every_door_with_nothing_missing(tmp_path: Path) -> None:
    # A second of warm-up: a server just started (now with its webhook worker) answered its first requests
    # only after about a second on a loaded 2-core machine, and a one-second window then counted none.
    report_path = tmp_path / "REPORT.md"
    result = bench_run.main(
        [
            "--duration", "2", "--warmup", "1", "--import-rows", "200", "--statements", "3",
            "--repeat-records", "10", "--connections", "4", "--no-postgres", "--no-profile",
            "--report", str(report_path),
        ]
    )  # fmt: skip

    assert result.ceiling is not None and result.ceiling.acknowledged > 0 and result.ceiling.errors == 0
    (sqlite,) = result.backends
    assert [load.scenario for load in sqlite.loads] == list(BY_NAME)
    for load in sqlite.loads:
        assert load.acknowledged > 0, load.scenario
        assert load.errors == 0, (load.scenario, load.non_2xx, load.socket_errors)
        if BY_NAME[load.scenario].creates:
            assert load.missing == 0, load.scenario
        else:
            assert load.unchanged_ok is True
    # Only wrk closing its connections at the end of a run (a request cut off mid-body) may be logged.
    assert [p for p in sqlite.log_problems if "ClientDisconnect" not in p and "unhandled error" not in p] == []
    assert {s.scenario for s in result.statements} == set(BY_NAME)
    assert all(s.per_write > 0 and not s.failed for s in result.statements)
    assert result.importer is not None and result.importer.problem == ""
    assert result.importer.finished and result.importer.stored == 200 and result.importer.missing == 0

    text = report_path.read_text()
    assert "Acknowledged but missing records, all runs: **0**" in text
    for scenario in BY_NAME.values():
        assert scenario.title in text
    assert "## Against the targets (issue 9)" in text
