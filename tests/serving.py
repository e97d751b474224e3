"""`incidenthub serve` started as a user starts it: a real process on a free port, its output read as it comes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# The `incidenthub` command of the environment running the tests (`.venv/bin/incidenthub` under `make test`).
INCIDENTHUB = str(Path(sys.executable).parent / "incidenthub")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def user_env(database_url: str | None) -> dict[str, str]:
    """The environment without any INCIDENTHUB_* setting of the test run; only the database, when given."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("INCIDENTHUB_")}
    if database_url is not None:
        env["INCIDENTHUB_DATABASE_URL"] = database_url
    return env


@dataclass
class Served:
    """A running server and everything it has printed so far (stdout and stderr, interleaved)."""

    process: subprocess.Popen[str]
    base_url: str
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None or text in self.output, f"server exited:\n{self.output}"
            assert time.monotonic() < deadline, f"{text!r} never printed:\n{self.output}"
            time.sleep(0.02)


@contextmanager
def serve(env: dict[str, str], cwd: Path, *args: str) -> Iterator[Served]:
    """`incidenthub serve --port <free> --workers 1 ARGS`, ready to answer; stopped (SIGTERM) at the end."""
    port = free_port()
    command = [INCIDENTHUB, "serve", "--port", str(port), "--workers", "1", *args]
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    served = Served(process, f"http://127.0.0.1:{port}")

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            served.lines.append(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        served.wait_for("Uvicorn running")
        httpx.get(f"{served.base_url}/v1/health", timeout=30).raise_for_status()
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
