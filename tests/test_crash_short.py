"""The short form of `make crash`: 3 SIGKILLs of `incidenthub serve --workers 2` under writes through every door.

After each kill and restart every acknowledged write must be there, intact, with its events, nothing
half-written, the database whole and at the head migration (bench/harness/crashcheck.py lists the checks).
The long run (20 kills and more, figures in bench/CRASH.md) is `make crash`; this one shows the same code
holds in `make test`, on SQLite and, when INCIDENTHUB_TEST_POSTGRES_URL is set, on PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bench import crash


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_no_acknowledged_write_is_lost_across_three_kills(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "postgresql" and not os.environ.get("INCIDENTHUB_TEST_POSTGRES_URL"):
        pytest.skip("INCIDENTHUB_TEST_POSTGRES_URL is not set: no PostgreSQL server to crash against")
    # A delivery the last kill cut mid-POST is due again when its lease ends (the POST's timeout + 30 s), and the
    # run waits for it: a local receiver answers in milliseconds, so 3 s (not 10) is time enough for a POST.
    monkeypatch.setenv("INCIDENTHUB_WEBHOOK_TIMEOUT_SECONDS", "3")
    report = tmp_path / "CRASH.md"
    argv = ["--kills", "3", "--min-seconds", "2", "--max-seconds", "4", "--clients", "4", "--backend", backend]
    (result,) = crash.main([*argv, "--report", str(report)])

    assert result.problems == [], "\n".join(result.problems)
    assert result.kills == 3
    acknowledged = sum(counts["ok"] for counts in result.outcomes.values())
    assert acknowledged > 0
    # After the last restart every acknowledged write of every round was found, intact.
    assert sum(result.last.writes.values()) == acknowledged
    assert result.last.integrity == ("ok" if backend == "sqlite" else "n/a (PostgreSQL)")
    assert result.last.events >= result.last.incidents > 0
    assert "acknowledged writes lost or altered: **0**" in report.read_text()
