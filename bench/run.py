"""The benchmark of issue 9, in one run: `python -m bench.run` (what `make bench` and `make bench-quick` do).

1. the ceiling (bench/ceiling.py under uvicorn, one worker per core);
2. `incidenthub serve` on a fresh SQLite file: GovWorx PUT (new sysIds, unchanged repeats), native
   `POST /v1/incidents`, Sonoran v1 `new_dispatch`, DevRev `incidents.create`, each under `wrk -t2 -c32`;
3. the same on a fresh PostgreSQL database when INCIDENTHUB_BENCH_POSTGRES_URL (or
   INCIDENTHUB_TEST_POSTGRES_URL) is set;
4. SQL statements per write, in-process; a py-spy profile of the server under load;
5. `incidenthub import` of N generated GovWorx records: records/s, peak RSS, flat or not.
Writes bench/REPORT.md. Sizes come from flags, or from BENCH_DURATION / BENCH_IMPORT_ROWS.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.harness import report
from bench.harness.doors import BackendRun, run_doors
from bench.harness.importer import ImportResult, run_import
from bench.harness.load import CONNECTIONS, LoadResult, describe, run_wrk
from bench.harness.procs import POSTGRES_ENV, Backend, postgres_admin_url, prepare_tenant, running, server_env
from bench.harness.scenarios import BY_NAME
from bench.harness.statements import StatementResult, count_statements
from bench.harness.system import BENCH_DIR, ROOT, machine_facts, usable_cores


def say(line: str) -> None:
    print(line, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=float(env.get("BENCH_DURATION", 20)), help="s per door")
    parser.add_argument("--warmup", type=float, default=float(env.get("BENCH_WARMUP", 3)), help="s before each")
    parser.add_argument(
        "--import-rows", type=int, default=int(env.get("BENCH_IMPORT_ROWS", 1_000_000)), help="0: no import"
    )
    parser.add_argument(
        "--import-time-limit",
        type=float,
        default=float(env.get("BENCH_IMPORT_TIME_LIMIT", 3600)),
        help="stop the import after this many s and report what it committed",
    )
    parser.add_argument("--statements", type=int, default=200, help="writes per in-process SQL count")
    parser.add_argument("--repeat-records", type=int, default=200, help="records the repeat door cycles over")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--workers", type=int, default=usable_cores(), help="server and ceiling processes")
    parser.add_argument("--doors", default=",".join(BY_NAME), help="comma-separated scenarios")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only, even if PostgreSQL is set")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--quick", action="store_true", help="short: 3 s per door, 1,000 records imported")
    parser.add_argument("--report", type=Path, default=BENCH_DIR / "REPORT.md")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server logs, profiles)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = min(args.duration, 3.0), min(args.warmup, 1.0)
        args.import_rows = min(args.import_rows, 1_000)
        args.statements = min(args.statements, 50)
    unknown = set(args.doors.split(",")) - set(BY_NAME)
    if unknown:
        parser.error(f"unknown door(s) {sorted(unknown)}; choose from {sorted(BY_NAME)}")
    return args


def run_ceiling(workdir: Path, seconds: float, warmup: float, workers: int, connections: int) -> tuple[LoadResult, str]:
    """The validation-only app under uvicorn, driven with the GovWorx new-sysId bodies."""
    command = [
        sys.executable, "-m", "uvicorn", "bench.ceiling:app", "--app-dir", str(ROOT), "--host", "127.0.0.1",
        "--port", "{port}", "--workers", str(workers), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    scenario = BY_NAME["govworx_new"]
    with running(command, {**os.environ}, workdir / "ceiling.log", "/health") as server:
        if warmup > 0:
            run_wrk(scenario, "ceiling", server.base_url, "", server.pid, warmup, "warm-", workdir, connections)
        load = run_wrk(scenario, "ceiling", server.base_url, "", server.pid, seconds, "ceil-", workdir, connections)
        shown = "python -m uvicorn bench.ceiling:app " + server.command.split("bench.ceiling:app ", 1)[-1]
    return load, shown


def run_importer(workdir: Path, rows: int, time_limit: float) -> ImportResult:
    backend = Backend("sqlite", workdir)
    with backend.fresh("import") as url:
        env = server_env(url)
        prepare_tenant(env)
        result = run_import(env, url, rows, workdir, time_limit)
    say(
        f"  import: {result.stored:,} records in {result.seconds:.1f} s = {result.rate:,.0f}/s, peak RSS "
        f"{result.peak_rss_mib:.0f} MiB, flat: {result.flat}, missing {result.missing}"
        + (f"  ! {result.problem}" if result.problem else "")
    )
    return result


def main(argv: Sequence[str] | None = None) -> report.Run:
    args = parse_args(argv)
    started = time.perf_counter()
    facts = machine_facts()
    say("\n".join(f"{name}: {value}" for name, value in facts.items()))
    scenarios = [
        replace(BY_NAME[name], cycle=args.repeat_records) if BY_NAME[name].cycle else BY_NAME[name]
        for name in args.doors.split(",")
    ]
    admin_url = None if args.no_postgres else postgres_admin_url()
    if admin_url is None:
        say(f"(PostgreSQL skipped: set {POSTGRES_ENV[0]} to include it)")
    else:
        facts["PostgreSQL server"] = f"`{make_url(admin_url).render_as_string(hide_password=True)}`"
    backends_run: list[BackendRun] = []
    statements: list[StatementResult] = []
    importer: ImportResult | None = None
    workdir = Path(tempfile.mkdtemp(prefix="incidenthub-bench-"))
    try:
        say("\n== ceiling")
        ceiling, ceiling_command = run_ceiling(workdir, args.duration, args.warmup, args.workers, args.connections)
        say("  " + describe(ceiling))
        backends = [Backend("sqlite", workdir)]
        if admin_url is not None:
            backends.append(Backend("postgresql", workdir, admin_url))
        for backend in backends:
            say(f"\n== {backend.name}: doors under load")
            profile = None if args.no_profile or backend.name != "sqlite" else "govworx_new"
            backends_run.append(
                run_doors(backend, scenarios, args.duration, args.warmup, args.workers, profile, args.connections, say)
            )
        for backend in backends:
            say(f"\n== {backend.name}: SQL statements per write (in-process)")
            with backend.fresh("statements") as url:
                statements += count_statements(url, backend.name, scenarios, args.statements, (1, 16))
        if args.import_rows > 0:
            say(f"\n== import of {args.import_rows:,} generated GovWorx records (SQLite)")
            importer = run_importer(workdir, args.import_rows, args.import_time_limit)
    finally:
        if args.keep:
            say(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    command = shlex.join(["python", "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)])
    run = report.Run(
        command=command,
        facts=facts,
        ceiling=ceiling,
        ceiling_command=ceiling_command,
        backends=backends_run,
        statements=statements,
        importer=importer,
        seconds=time.perf_counter() - started,
    )
    args.report.write_text(report.render(run))
    say(f"\nwrote {args.report}; total runtime {run.seconds:.0f} s ({run.seconds / 60:.1f} min)")
    return run


if __name__ == "__main__":
    main()
