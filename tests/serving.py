"""`incidenthub serve` started as a user starts it: a real process on a free port, its output read as it comes."""

from __future__ import annotations

import os
import pty
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

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


# A terminal's colour and cursor sequences, taken out of what a server run in a terminal printed.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def start_in_terminal(
    command: list[str], env: dict[str, str], cwd: Path | None = None
) -> tuple[subprocess.Popen[str], TextIO]:
    """`command` with its stdout and stderr on a pseudo-terminal, as when a person starts it in one; the
    terminal's side to read (text, with `\r\n` read as `\n`)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, text=True
    )
    os.close(terminal)
    return process, open(controller, encoding="utf-8", errors="replace")  # closed by the caller


def read_lines(stream: TextIO, into: list[str]) -> None:
    """Every line of `stream` into `into`, terminal escapes removed, until it ends (EIO: the terminal closed)."""
    try:
        for line in stream:
            into.append(_ESCAPES.sub("", line))
    except OSError:
        pass


@contextmanager
def serve(env: dict[str, str], cwd: Path, *args: str, terminal: bool = False) -> Iterator[Served]:
    """`incidenthub serve --port <free> --workers 1 ARGS`, ready to answer; stopped (SIGTERM) at the end.

    `terminal`: started in a (pseudo-)terminal, as by `make run` in a shell, so that the first start prints its
    key; otherwise its output goes to a pipe, as under a service manager."""
    port = free_port()
    command = [INCIDENTHUB, "serve", "--port", str(port), "--workers", "1", *args]
    if terminal:
        process, stream = start_in_terminal(command, env, cwd)
    else:
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        assert process.stdout is not None
        stream = process.stdout
    served = Served(process, f"http://127.0.0.1:{port}")

    def pump() -> None:
        read_lines(stream, served.lines)

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
        if terminal:
            stream.close()
