"""`incidenthub import` of generated GovWorx records: rows/s, peak RSS, and whether RSS stayed flat."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench.generate import write_records
from bench.harness.procs import TENANT, cli_path, tail
from bench.harness.system import tree_rss_kib
from incidenthub.models import Incident

SAMPLE_EVERY_S = 0.2
FLAT_TOLERANCE = 0.10  # the last quarter's RSS may exceed the second quarter's by this share (and 16 MiB)


@dataclass
class ImportResult:
    records: int
    file_mb: float
    seconds: float
    finished: bool  # False: stopped at the time limit
    summary: dict[str, object]
    stored: int
    peak_rss_mib: float
    samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds, RSS MiB)
    problem: str = ""

    @property
    def rate(self) -> float:
        return self.stored / self.seconds if self.seconds else 0.0

    @property
    def created(self) -> int:
        value = self.summary.get("created", 0)
        return int(value) if isinstance(value, int) else 0

    @property
    def missing(self) -> int:
        """Records the import said it created that are not in the database (must be 0)."""
        return max(self.created - self.stored, 0) if self.finished else 0

    def quarter_peaks(self) -> list[float]:
        """Highest RSS in each quarter of the run (MiB)."""
        if not self.samples:
            return []
        end = self.samples[-1][0] or 1.0
        peaks = [0.0] * 4
        for at, rss in self.samples:
            quarter = min(int(4 * at / end), 3)
            peaks[quarter] = max(peaks[quarter], rss)
        return peaks

    @property
    def flat(self) -> bool | None:
        """RSS in the last quarter within tolerance of the second quarter (after start-up)."""
        peaks = self.quarter_peaks()
        if len(self.samples) < 8 or not peaks[1]:
            return None
        return peaks[3] <= peaks[1] * (1 + FLAT_TOLERANCE) + 16


def count_imported(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(Incident).where(Incident.external_id.like("imp-%"))
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def run_import(env: dict[str, str], url: str, records: int, workdir: Path, time_limit: float) -> ImportResult:
    """Generate the file, import it into the (migrated, tenant-ready) database at `url`, sample RSS."""
    source = workdir / "import.jsonl"
    print(f"  generating {records:,} records ...", flush=True)
    size = write_records(source, records)
    log = workdir / "import.log"
    argv = [str(cli_path()), "import", str(source), "--tenant", TENANT, "--format", "govworx"]
    samples: list[tuple[float, float]] = []
    started = time.perf_counter()
    finished, stopped_at = True, None
    with log.open("wb") as err:
        process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=err, start_new_session=True)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            elapsed = time.perf_counter() - started
            if finished and elapsed > time_limit:
                os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C: the open transaction is rolled back
                finished, stopped_at = False, elapsed
            elif stopped_at is not None and elapsed > stopped_at + 30:
                os.killpg(process.pid, signal.SIGKILL)
            rss = tree_rss_kib(process.pid)
            if rss is not None and finished:
                samples.append((elapsed, rss / 1024))
            time.sleep(SAMPLE_EVERY_S)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = stopped_at or time.perf_counter() - started
    stdout = process.stdout.read().decode() if process.stdout else ""
    summary: dict[str, object] = {}
    problem = ""
    if finished:
        try:
            summary = json.loads(stdout)
        except json.JSONDecodeError:
            problem = f"exit {process.returncode}: {tail(log, 5)}"
    source.unlink(missing_ok=True)
    stored = count_imported(url)
    return ImportResult(
        records=records,
        file_mb=size / 1e6,
        seconds=seconds,
        finished=finished,
        summary=summary,
        stored=stored,
        # The import's processes together (it runs helper processes), sampled every SAMPLE_EVERY_S; never
        # below the main process's own peak, which the kernel keeps exactly.
        peak_rss_mib=max([usage.ru_maxrss / 1024, *(rss for _, rss in samples)]),
        samples=samples,
        problem=problem,
    )
