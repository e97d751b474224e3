"""`bench/intel.py` in a tiny configuration: it runs through both parts and writes its report with figures.

Correctness only (the report holds what was measured, the aggregates stay equal to a recomputation, the
server is stopped), never speed: figures belong to `make bench-intel`.
"""

from __future__ import annotations

from pathlib import Path

from bench import intel

from incidenthub.db import Database
from tests.intel.test_aggregates import _tenant_id, assert_sums_match_a_recomputation


def test_tiny_intel_bench_measures_writes_and_reads_and_reports_them(database_url: str, tmp_path: Path) -> None:
    report_path = tmp_path / "INTEL.md"
    (backend,) = intel.main(
        [
            "--incidents", "300", "--city", "nyc", "--writes", "120", "--batch", "40", "--single", "10",
            "--rounds", "2",
            "--requests", "3", "--database-url", database_url, "--postgres-url", "none", "--report", str(report_path),
        ]
    )  # fmt: skip

    assert backend.incidents == 300
    assert backend.write_on > 0 and backend.write_off > 0
    assert backend.single_on > 0 and backend.single_off > 0
    by_path = {latency.endpoint: latency for latency in backend.reads}
    assert set(by_path) == {
        "/v1/safety/heatmap (district, 0.1 degree)",
        "/v1/safety/heatmap (whole city)",
        "/v1/safety/danger-zones",
        "/v1/safety/score",
        "/v1/safety/route",
    }
    # Each endpoint is measured: 3 answers of 200.
    for latency in by_path.values():
        assert len(latency.times_ms) == 3, (latency.endpoint, latency.problem)

    text = report_path.read_text()
    for size, on, off, share in ((40, backend.write_on, backend.write_off, backend.extra),
                                 (1, backend.single_on, backend.single_off, backend.single_extra)):  # fmt: skip
        assert f"| {backend.name} | 300 | {size} | {on:,.0f} | {off:,.0f} | {share:+.1%} |" in text
    score = by_path["/v1/safety/score"]
    assert f"| `/v1/safety/score` | {score.quantile(0.5):.1f} | {score.quantile(0.99):.1f} |" in text

    # The writes made with the upkeep off were counted afterwards: both tenants' sums equal a recomputation.
    database = Database(database_url)
    try:
        for slug in ("bench", "bench-writes"):
            assert_sums_match_a_recomputation(database, _tenant_id(database, slug))
    finally:
        database.dispose()
