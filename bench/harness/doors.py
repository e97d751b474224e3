"""Every door under wrk against one `incidenthub serve` on one fresh database, with what got stored."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select

from bench.harness import profile
from bench.harness.load import LoadResult, describe, run_wrk
from bench.harness.procs import (
    Backend,
    Server,
    log_problems,
    prepare_tenant,
    running,
    serve_command,
    server_env,
    wait_idle,
)
from bench.harness.scenarios import Scenario
from incidenthub.models import Incident


@dataclass
class BackendRun:
    backend: str
    version: str
    command: str = ""
    loads: list[LoadResult] = field(default_factory=list)
    log_problems: list[str] = field(default_factory=list)
    profile: profile.ProfileResult | None = None

    def load(self, scenario: str) -> LoadResult | None:
        return next((load for load in self.loads if load.scenario == scenario), None)


def _rows(url: str, source: str, prefix: str | None = None) -> tuple[int, int]:
    """(incidents of this source [with external ids starting with prefix], their highest revision)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = select(func.count(), func.max(Incident.revision)).where(Incident.source == source)
            if prefix is not None:
                query = query.where(Incident.external_id.like(f"{prefix}%"))
            count, revision = connection.execute(query).one()
            return int(count), int(revision or 0)
    finally:
        engine.dispose()


def prime(base_url: str, key: str, scenario: Scenario, prefix: str) -> None:
    """Store the records a `cycle` scenario repeats, exactly as wrk will send them again."""
    headers = {} if scenario.key_in_body else {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, trust_env=False, timeout=60) as client:
        for index in range(scenario.cycle):
            body = scenario.body(key, f"{prefix}{index}", index)
            response = client.request(scenario.method, scenario.path, json=body)
            if response.status_code != scenario.status:
                raise SystemExit(f"bench: priming {scenario.name} answered {response.status_code}: {response.text}")


def run_doors(
    backend: Backend,
    scenarios: list[Scenario],
    seconds: float,
    warmup: float,
    workers: int,
    profile_scenario: str | None,
    connections: int,
    say: Callable[[str], None],
) -> BackendRun:
    """Fresh database, tenant and key by the CLI, `incidenthub serve`, then each scenario in turn."""
    result = BackendRun(backend.name, backend.version())
    workdir = backend.workdir
    with backend.fresh("doors") as url:
        env = server_env(url)
        key = prepare_tenant(env)
        log = workdir / f"server-{backend.name}.log"
        with running(serve_command(workers), env, log, "/v1/health") as server:
            result.command = "incidenthub " + server.command.rsplit("/incidenthub ", 1)[-1]
            say(f"  {backend.name}: {server.command} (pid {server.pid})")
            for scenario in scenarios:
                result.loads.append(_scenario(scenario, backend.name, url, key, server, seconds, warmup, connections))
                say("  " + describe(result.loads[-1]))
            if profile_scenario is not None:
                result.profile = _profiled(
                    backend.name, url, key, server, profile_scenario, scenarios, seconds, connections, workdir
                )
        result.log_problems = log_problems(log)
    return result


def _scenario(
    scenario: Scenario,
    backend: str,
    url: str,
    key: str,
    server: Server,
    seconds: float,
    warmup: float,
    connections: int,
) -> LoadResult:
    base_url, pid, workdir = server.base_url, server.pid, server.log.parent
    prefix = f"{scenario.name}-" if scenario.cycle else f"{scenario.name[:3]}-"
    if scenario.cycle:
        prime(base_url, key, scenario, prefix)
    elif warmup > 0:
        run_wrk(scenario, backend, base_url, key, pid, warmup, "warm-", workdir, connections)
        wait_idle(pid)
    rows_before, _ = _rows(url, scenario.source)
    load = run_wrk(scenario, backend, base_url, key, pid, seconds, prefix, workdir, connections)
    wait_idle(pid)
    rows_after, _ = _rows(url, scenario.source)
    load.stored = rows_after - rows_before
    if not scenario.creates:  # a repeat must add no row and leave every record at its first revision
        _count, load.max_revision = _rows(url, scenario.source, prefix)
        load.unchanged_ok = load.stored == 0 and load.max_revision == 1
    return load


def _profiled(
    backend: str,
    url: str,
    key: str,
    server: Server,
    name: str,
    scenarios: list[Scenario],
    seconds: float,
    connections: int,
    workdir: Path,
) -> profile.ProfileResult:
    """One more run of a scenario with py-spy attached (apart, so the measured runs are not slowed)."""
    # The scenario asked for, or the first one run when it was left out (`--doors`).
    scenario = next((s for s in scenarios if s.name == name), scenarios[0])
    name = scenario.name
    output = workdir / f"profile-{backend}-{name}.txt"
    pid = server.pid
    recorder = profile.start(pid, seconds, output)
    time.sleep(0.5)  # py-spy attaches to every process first
    run_wrk(scenario, backend, server.base_url, key, pid, seconds, "prof-", workdir, connections)
    wait_idle(pid)  # stopping the server with requests in flight would put shutdown errors in its log
    return profile.finish(recorder, output, name)
