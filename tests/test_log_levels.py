"""INCIDENTHUB_LOG_LEVEL: every documented level starts `incidenthub serve`, an unknown one is refused at start
naming the variable; and a first start whose output is not a terminal prints no key, only how to make one."""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from incidenthub.config import LOG_LEVELS, Settings
from incidenthub.db import Database
from incidenthub.models import ApiKey, Tenant
from tests.serving import INCIDENTHUB, free_port, read_lines, serve, user_env

MARKER_PHONE = "+15550142857"


def _serve_at(level: str, env: dict[str, str], cwd: Path, key: str, port: int) -> str:
    """`incidenthub serve` at `level` until it answers /v1/health and one authenticated write; what it printed."""
    command = [INCIDENTHUB, "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(
        command,
        env={**env, "INCIDENTHUB_LOG_LEVEL": level},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    # One client for the polling: each `httpx.get` makes a client of its own, whose TLS context alone costs ~40 ms
    # of CPU, taken from the servers starting beside it.
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            deadline = time.monotonic() + 120  # a start is mostly importing the app: seconds, more on a busy machine
            while True:
                assert process.poll() is None, f"serve at {level!r} exited:\n{''.join(lines)}"
                assert time.monotonic() < deadline, f"serve at {level!r} never answered:\n{''.join(lines)}"
                try:  # once the port listens, a request waits for the worker to finish starting
                    health = http.get("/v1/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert health.status_code == 200 and health.json()["database"] == "ok"
            created = http.post(
                "/v1/incidents",
                json={"category": "sos", "subject": {"phone": MARKER_PHONE}},
                headers={"Authorization": f"Bearer {key}"},
            )
            assert created.status_code == 201, created.text
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=5)
    return "".join(lines)


def test_every_documented_level_starts_the_server(tmp_path: Path) -> None:
    env = {**user_env(f"sqlite:///{tmp_path / 'levels.db'}")}
    subprocess.run([INCIDENTHUB, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([INCIDENTHUB, "tenant", "create", "--name", "Levels"], env=env, check=True, capture_output=True)
    made = subprocess.run(
        [INCIDENTHUB, "key", "create", "--tenant", "levels", "--scope", "*"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = json.loads(made.stdout)["key"]
    # One server per level, all at once (a start is mostly importing the app); each on a port of its own.
    with contextlib.ExitStack() as held:
        probes = [held.enter_context(socket.socket()) for _ in LOG_LEVELS]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        ports = [probe.getsockname()[1] for probe in probes]
    with ThreadPoolExecutor(len(LOG_LEVELS)) as pool:
        started = {
            level: pool.submit(_serve_at, level, env, tmp_path, key, port)
            for level, port in zip(LOG_LEVELS, ports, strict=True)
        }
        outputs = {level: future.result() for level, future in started.items()}
    request_line = "request method=POST path=/v1/incidents status=201"
    for level in ("trace", "debug", "info"):
        assert request_line in outputs[level], outputs[level]
    for level in ("warning", "error", "critical"):
        assert request_line not in outputs[level], outputs[level]
    assert "TRACE:" in outputs["trace"] and "TRACE:" not in outputs["debug"]  # trace is more than debug
    for level, output in outputs.items():
        # No level, trace included, prints the key, its lookup part or the caller's phone number.
        assert key not in output and key.rsplit("_", 2)[1] not in output, (level, output)
        assert MARKER_PHONE not in output and MARKER_PHONE[2:] not in output, (level, output)


def test_an_unknown_level_stops_the_start_naming_the_variable(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    env = {**user_env(f"sqlite:///{database}"), "INCIDENTHUB_LOG_LEVEL": "verbose"}
    started = time.monotonic()
    ran = subprocess.run(
        [INCIDENTHUB, "serve", "--port", str(free_port()), "--workers", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 2, ran
    assert "INCIDENTHUB_LOG_LEVEL must be one of trace, debug, info, warning, error, critical, not 'verbose'" in (
        ran.stderr
    )
    assert "Traceback" not in ran.stderr + ran.stdout
    assert not database.exists()  # refused before anything was made
    assert time.monotonic() - started < 30


def test_settings_take_a_level_in_any_case_and_refuse_others() -> None:
    assert Settings(log_level=" Warning ").log_level == "warning"
    assert Settings(log_level="TRACE").log_level == "trace"
    with pytest.raises(ValidationError, match="INCIDENTHUB_LOG_LEVEL must be one of"):
        Settings(log_level="warn")


def test_a_first_start_whose_output_is_not_a_terminal_prints_no_key_and_says_how_to_make_one(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    env = user_env(database_url)
    with serve(env, tmp_path) as server:  # stdout and stderr to a pipe, as under a service manager
        printed = server.output
        assert "first start" in printed and "not a terminal" in printed, printed
        hint = re.search(r"^  (\S*incidenthub key create .*)$", printed, re.MULTILINE)
        assert hint and hint.group(1) == f"{INCIDENTHUB} key create --tenant default --scope '*' --name admin", printed
        assert "ih_" not in printed and "export KEY" not in printed, printed
        with database.read_sessions() as session:
            assert session.scalars(select(Tenant.slug)).all() == ["default"]
            assert session.scalar(select(func.count()).select_from(ApiKey)) == 0  # no secret exists to leak
        # The printed command, run by the operator in a terminal of their own, makes a key the server accepts.
        made = subprocess.run(shlex.split(hint.group(1)), env=env, capture_output=True, text=True, check=True)
        key = json.loads(made.stdout)["key"]
        answer = httpx.get(f"{server.base_url}/v1/incidents", headers={"Authorization": f"Bearer {key}"}, timeout=30)
        assert answer.status_code == 200, answer.text
    assert key not in server.output
