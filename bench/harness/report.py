"""bench/REPORT.md: machine facts, each door against the ceiling measured in the same run, the targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.harness.doors import BackendRun
from bench.harness.importer import ImportResult
from bench.harness.load import LoadResult
from bench.harness.profile import ProfileResult
from bench.harness.scenarios import BY_NAME
from bench.harness.statements import StatementResult

# The targets (SQLite, 2 cores): share of the ceiling per door, p99, PostgreSQL vs SQLite, import.
SHARE_TARGETS = {"govworx_new": 0.35, "govworx_repeat": 0.50, "native": 0.35, "sonoran": 0.35, "devrev": 0.35}
P99_TARGET_MS = {"govworx_new": 50.0}
POSTGRES_SHARE = 0.50
IMPORT_RATE = 20_000.0
IMPORT_RSS_MIB = 200.0


@dataclass
class Run:
    command: str
    facts: dict[str, str]
    ceiling: LoadResult | None
    ceiling_command: str
    backends: list[BackendRun]
    statements: list[StatementResult]
    importer: ImportResult | None
    seconds: float
    notes: list[str] = field(default_factory=list)


def _cores(load: LoadResult, value: float | None) -> str:
    cores = load.cores(value)
    return "?" if cores is None else f"{cores:.2f}"


def _verdict(met: bool, detail: str) -> str:
    return f"**met** ({detail})" if met else f"**not met** ({detail})"


def _share(load: LoadResult, ceiling: LoadResult | None) -> float | None:
    return load.rate / ceiling.rate if ceiling and ceiling.rate else None


def loads_table(run: Run) -> list[str]:
    out = [
        "| backend | door | requests/s | of ceiling | p50 ms | p99 ms | answered | non-2xx | socket errors "
        "| acknowledged, missing | server cores | wrk cores | other cores |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|",
    ]
    rows = [("ceiling", run.ceiling)] if run.ceiling else []
    rows += [(b.backend, load) for b in run.backends for load in b.loads]
    for backend, load in rows:
        assert load is not None
        share = _share(load, run.ceiling)
        title = BY_NAME[load.scenario].title if backend != "ceiling" else "validation-only app (GovWorx PUT)"
        if load.unchanged_ok is not None:
            verdict = (
                "yes" if load.unchanged_ok else f"**NO** ({load.stored} rows added, revision up to {load.max_revision})"
            )
            stored = f"{load.acknowledged}, repeats changed nothing: {verdict}"
        elif load.missing is not None:
            extra = load.stored - load.acknowledged if load.stored is not None else 0
            stored = f"{load.acknowledged}, **{load.missing}** missing" + (
                f" ({extra} more stored: answers cut off when wrk stopped)" if extra > 0 else ""
            )
        else:
            stored = f"{load.acknowledged}, n/a (no database)"
        errors = ", ".join(f"{k} {v}" for k, v in load.socket_errors.items()) or "0"
        out.append(
            f"| {backend} | {title} | {load.rate:,.0f} | {'' if share is None else f'{share:.1%}'} "
            f"| {load.p50_ms:.1f} | {load.p99_ms:.1f} | {load.answered:,} | {load.non_2xx:,} | {errors} | {stored} "
            f"| {_cores(load, load.server_cpu_s)} | {_cores(load, load.wrk_cpu_s)} | {_cores(load, load.other_cpu_s)} |"
        )
    return out


def statements_table(statements: list[StatementResult]) -> list[str]:
    out = [
        "| backend | door | clients | statements/write | of which | COMMIT/write | ROLLBACK/write | not as expected |",
        "|---|---|--:|--:|---|--:|--:|---|",
    ]
    for s in statements:
        out.append(
            f"| {s.backend} | {BY_NAME[s.scenario].title} | {s.clients} | {s.per_write:.2f} | {s.breakdown()} "
            f"| {s.commits / s.requests:.2f} | {s.rollbacks / s.requests:.2f} | {dict(s.failed) or 'none'} |"
        )
    return out


def import_section(result: ImportResult | None) -> list[str]:
    if result is None:
        return ["Not run (`--import-rows 0`)."]
    if result.problem:
        return [f"**The import failed:** {result.problem}"]
    peaks = ", ".join(f"{peak:.0f}" for peak in result.quarter_peaks())
    flat = {True: "flat", False: "**growing**", None: "too short to tell"}[result.flat]
    state = (
        f"finished: {result.summary}"
        if result.finished
        else f"**stopped at the time limit** after {result.seconds:.0f} s; rows committed by then are counted"
    )
    return [
        f"`incidenthub import FILE --tenant bench --format govworx` of {result.records:,} generated records "
        f"({result.file_mb:.0f} MB of JSON lines) into a fresh SQLite file (its default `--workers`: one "
        "process per core, at most 2); RSS is summed over the import's processes, sampled every 0.2 s.",
        "",
        "| records stored | seconds | records/s | peak RSS (MiB) | RSS peak per quarter of the run (MiB) "
        "| RSS | created but missing |",
        "|--:|--:|--:|--:|---|---|--:|",
        f"| {result.stored:,} | {result.seconds:.1f} | {result.rate:,.0f} | {result.peak_rss_mib:.0f} | {peaks} "
        f"| {flat} | {result.missing} |",
        "",
        f"Import {state}.",
    ]


def profile_section(profiles: list[ProfileResult]) -> list[str]:
    out: list[str] = []
    for p in profiles:
        if p.problem:
            out += [f"Profile of {p.scenario}: not available: {p.problem}.", ""]
            continue
        out += [
            f"py-spy attached to the server and its workers during an extra run of **{BY_NAME[p.scenario].title}** "
            f"({p.samples:,} busy samples; shares of busy time). Left out: {p.waiting:,} samples of threads waiting "
            f"and {p.event_loop:,} in the event loop's native code (uvloop: socket I/O, HTTP parsing, epoll waits).",
            "",
            "Own time by package: "
            + ", ".join(f"{name} {p.share(count)}" for name, count in p.by_package.most_common(8))
            + ".",
            "",
            "| incidenthub function (inclusive) | share |",
            "|---|--:|",
            *(f"| `{name}` | {p.share(count)} |" for name, count in p.ours.most_common(15)),
            "",
            "| library function (inclusive) | share |",
            "|---|--:|",
            *(f"| `{name}` | {p.share(count)} |" for name, count in p.libraries.most_common(12)),
            "",
            "| function, own time | share |",
            "|---|--:|",
            *(f"| `{name}` | {p.share(count)} |" for name, count in p.leaves.most_common(12)),
            "",
        ]
    return out


def targets(run: Run) -> list[str]:
    """Each of the issue's targets with met / not met and by how much."""
    out = ["| target | measured | verdict |", "|---|---|---|"]
    sqlite = next((b for b in run.backends if b.backend == "sqlite"), None)
    for name, wanted in SHARE_TARGETS.items():
        load = sqlite.load(name) if sqlite else None
        share = _share(load, run.ceiling) if load else None
        title = BY_NAME[name].title
        if load is None or share is None:
            out.append(f"| SQLite {title} >= {wanted:.0%} of the ceiling | not measured | n/a |")
            continue
        to_go = f"x{wanted / share:.1f} to go" if share > 0 else "nothing answered in the run"
        detail = f"{share:.1%} of {run.ceiling.rate if run.ceiling else 0:,.0f}/s; {to_go}"
        met = share >= wanted and load.errors == 0
        if share >= wanted:
            detail = f"{share:.1%}, {share / wanted:.1f}x the target"
        out.append(f"| SQLite {title} >= {wanted:.0%} of the ceiling | {load.rate:,.0f}/s | {_verdict(met, detail)} |")
        if name in P99_TARGET_MS:
            limit = P99_TARGET_MS[name]
            ok = load.p99_ms < limit
            how = f"{limit - load.p99_ms:.1f} ms under" if ok else f"{load.p99_ms / limit:.1f}x the limit"
            out.append(f"| SQLite {title} p99 < {limit:.0f} ms | {load.p99_ms:.1f} ms | {_verdict(ok, how)} |")
    postgres = next((b for b in run.backends if b.backend == "postgresql"), None)
    for name in SHARE_TARGETS:
        if postgres is None or sqlite is None:
            break
        pg, lite = postgres.load(name), sqlite.load(name)
        if pg is None or lite is None or not lite.rate:
            continue
        ratio = pg.rate / lite.rate
        how = f"{ratio:.0%} of SQLite's {lite.rate:,.0f}/s" + (
            ""
            if ratio >= POSTGRES_SHARE
            else f"; x{POSTGRES_SHARE / ratio:.1f} to go"
            if ratio
            else "; nothing answered"
        )
        out.append(
            f"| PostgreSQL {BY_NAME[name].title} >= {POSTGRES_SHARE:.0%} of SQLite | {pg.rate:,.0f}/s "
            f"| {_verdict(ratio >= POSTGRES_SHARE, how)} |"
        )
    if postgres is None:
        out.append("| PostgreSQL >= 50% of SQLite per door | not measured (no server configured) | n/a |")
    imp = run.importer
    if imp is None or imp.problem:
        out.append("| import >= 20,000 records/s, RSS < 200 MB flat | not measured | n/a |")
        return out
    rate_ok = imp.rate >= IMPORT_RATE
    rate_how = f"{imp.rate / IMPORT_RATE:.1%} of the target" + (
        "" if rate_ok else f"; x{IMPORT_RATE / max(imp.rate, 1):.0f} to go"
    )
    scale = "" if imp.records >= 1_000_000 else f" (over {imp.records:,} records, not the million)"
    out.append(f"| import >= 20,000 records/s{scale} | {imp.rate:,.0f}/s | {_verdict(rate_ok, rate_how)} |")
    rss_ok = imp.peak_rss_mib < IMPORT_RSS_MIB
    side = "under" if rss_ok else "over"
    out.append(
        f"| import peak RSS < 200 MB | {imp.peak_rss_mib:.0f} MiB "
        f"| {_verdict(rss_ok, f'{abs(IMPORT_RSS_MIB - imp.peak_rss_mib):.0f} MiB {side}')} |"
    )
    flat = imp.flat
    out.append(
        f"| import RSS flat{scale} | quarters {', '.join(f'{p:.0f}' for p in imp.quarter_peaks())} MiB "
        f"| {'n/a (run too short)' if flat is None else _verdict(flat, 'last quarter vs second')} |"
    )
    return out


def in_the_way(run: Run) -> list[str]:
    """What stands in the way, from this run's own measurements: the profile's top entries, SQL per write."""
    out = []
    for b in run.backends:
        p = b.profile
        if p is None or p.problem or not p.samples:
            continue
        packages = ", ".join(f"{name} {p.share(count)}" for name, count in p.by_package.most_common(3))
        leaves = ", ".join(f"`{name}` {p.share(count)}" for name, count in p.leaves.most_common(3))
        out.append(
            f"What stands in the way ({b.backend}, {BY_NAME[p.scenario].title}, measured above): busy time by "
            f"package {packages}; hottest functions {leaves}."
        )
    sequential = [s for s in run.statements if s.clients == 1 and s.backend == "sqlite"]
    if sequential:
        out.append(
            "SQL statements per write, sequential: "
            + ", ".join(f"{BY_NAME[s.scenario].title} {s.per_write:.1f}" for s in sequential)
            + "."
        )
    return out


def correctness(run: Run) -> list[str]:
    """The lines that must always hold, whatever the speed: what the smoke test checks."""
    missing = sum(load.missing or 0 for b in run.backends for load in b.loads)
    changed = [f"{b.backend} {load.scenario}" for b in run.backends for load in b.loads if load.unchanged_ok is False]
    if run.importer is not None:
        missing += run.importer.missing
    return [
        f"Acknowledged but missing records, all runs: **{missing}** (must be 0).",
        f"Repeats that changed a stored record: {', '.join(changed) if changed else 'none'}.",
        "Server log errors (each distinct exception or ERROR line, counted): "
        + ("; ".join(f"{b.backend} {len(b.log_problems)}" for b in run.backends) or "none")
        + ". `ClientDisconnect` is wrk closing its connections at the end of a timed run while requests "
        "were still being read; the server logs it as an unhandled error.",
        "",
        *(f"    {b.backend}: {line}" for b in run.backends for line in b.log_problems[:8]),
    ]


def render(run: Run) -> str:
    out = ["# incidenthub benchmark", ""]
    out.append(
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{run.command}`; the whole run took {run.seconds:.0f} s."
    )
    out += ["", "## Machine and code", ""]
    out += [f"- **{name}**: {value}" for name, value in run.facts.items()]
    out += [f"- **{b.backend}**: {b.version}; started as `{b.command}`" for b in run.backends]
    out += [f"- **ceiling**: `{run.ceiling_command}`"]
    out += [
        "",
        "## Method",
        "",
        "Every figure comes from this one run on this machine. The server is started as a user starts it: a "
        "fresh database, `incidenthub migrate`, `tenant create`, `key create`, then `incidenthub serve` "
        "(with `--workers` when this version has it). Load comes from `wrk -t2 -c32` (keep-alive) with "
        "`bench/harness/wrk.lua`, which makes each request's id unique (`<door>-<wrk thread>-<counter>`); "
        "repeats cycle over records stored beforehand (200 by default), byte-identical. wrk runs on the same cores as "
        "the server: its CPU is shown (`wrk cores`), as is `other` (PostgreSQL's backends, anything else "
        "running). The ceiling is `bench/ceiling.py` (FastAPI + a Pydantic model of the GovWorx upload, "
        "no database) under uvicorn with one worker per core, driven the same way. `acknowledged, missing` "
        "counts the incidents of that door in the database after the run against the 2xx answers.",
        "",
        "## Doors under load",
        "",
        *loads_table(run),
        "",
        *correctness(run),
        "",
        "## SQL statements per write (amortised)",
        "",
        "The real app in-process (`fastapi.testclient.TestClient`) on a fresh migrated database, a "
        "`before_cursor_execute` listener on every SQLAlchemy engine; sequential, then concurrent clients. "
        "`COMMIT`/`ROLLBACK` are driver calls, counted apart.",
        "",
        *statements_table(run.statements),
        "",
        "## Import",
        "",
        *import_section(run.importer),
        "",
        "## Where the time goes",
        "",
        *profile_section([b.profile for b in run.backends if b.profile is not None]),
        "## Against the targets (issue 9)",
        "",
        *targets(run),
        "",
        *in_the_way(run),
        "",
        *run.notes,
    ]
    return "\n".join(out).rstrip() + "\n"
