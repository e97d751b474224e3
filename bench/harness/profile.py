"""Where the server's time goes under load: py-spy attached to `incidenthub serve` and its workers.

py-spy samples the real server process (and its worker processes) from outside while wrk drives it, so
the figures are what the running service spends, without an in-process profiler's overhead. Idle samples
(a thread waiting on a socket, a queue or a lock) are left out by py-spy, so shares are of busy time. If
py-spy is missing or may not attach (ptrace not permitted), the report says so and goes on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
LIBRARIES = ("fastapi", "starlette", "sqlalchemy", "pydantic", "pydantic_core", "uvicorn", "anyio", "httptools")
RATE = 97  # samples per second; not a multiple of anything periodic in the server
# Leaves that are a thread waiting, which py-spy's idle detection missed, and the event loop's native code
# (uvloop: socket I/O, HTTP parsing and epoll waits alike, invisible to a Python profiler): counted apart.
WAITING = frozenset({"Condition.wait", "Event.wait", "Queue.get", "BaseSelector.select", "EpollSelector.select"})
EVENT_LOOP = frozenset({"Runner.run", "BaseEventLoop.run_forever", "BaseEventLoop._run_once"})
SKIPPED_OURS = ("incidenthub.<module>", "incidenthub.cli.")


@dataclass
class ProfileResult:
    scenario: str
    samples: int = 0  # busy samples: the shares below are of these
    waiting: int = 0  # samples left out: a thread waiting (py-spy took it for busy)
    event_loop: int = 0  # samples left out: inside the event loop's native code
    by_package: Counter[str] = field(default_factory=Counter)  # own (leaf) samples per package
    ours: Counter[str] = field(default_factory=Counter)  # inclusive samples per incidenthub function
    libraries: Counter[str] = field(default_factory=Counter)  # inclusive samples per library function
    leaves: Counter[str] = field(default_factory=Counter)  # own samples per function anywhere
    problem: str = ""

    def share(self, count: int) -> str:
        return f"{count / self.samples:.1%}" if self.samples else "?"


def py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes] | str:
    """py-spy recording `pid` and its subprocesses for `seconds`; or why it cannot."""
    binary = py_spy()
    if binary is None:
        return "py-spy is not installed (`.venv/bin/pip install py-spy`)"
    argv = [
        binary,
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--rate",
        str(RATE),
        "--duration",
        str(max(int(seconds), 1)),
        "--format",
        "raw",
        "--nonblocking",  # do not pause the server to sample it: the load figures stay honest
        "-o",
        str(output),
    ]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(recorder: subprocess.Popen[bytes] | str, output: Path, scenario: str) -> ProfileResult:
    """Wait for py-spy and summarise what it wrote."""
    if isinstance(recorder, str):
        return ProfileResult(scenario, problem=recorder)
    try:
        log, _ = recorder.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        recorder.kill()
        log, _ = recorder.communicate()
    if recorder.returncode != 0 or not output.exists():
        text = log.decode(errors="replace").strip().splitlines()
        return ProfileResult(scenario, problem=f"py-spy failed ({recorder.returncode}): {' '.join(text[-3:])}")
    return summarise(output.read_text(errors="replace"), scenario)


def _package(path: str) -> str:
    parts = Path(path).parts
    if "site-packages" in parts and parts[-1] != "site-packages":
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    if "incidenthub" in parts:
        return "incidenthub"
    if path.startswith("<") or not path:
        return "native/other"
    top = parts[0].removesuffix(".py")
    if top in sys.stdlib_module_names or path.startswith("/"):
        return "standard library"
    return top


def _name(function: str, path: str) -> str:
    parts = Path(path).parts
    for anchor in ("incidenthub", *LIBRARIES):
        if anchor in parts:
            module = ".".join(parts[parts.index(anchor) :]).removesuffix(".py")
            return f"{module}.{function}"
    return f"{Path(path).name}:{function}"


def summarise(raw: str, scenario: str) -> ProfileResult:
    """Collapsed stacks (`frame;frame;... count`) into shares by package and by function."""
    result = ProfileResult(scenario)
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [match for frame in stack.split(";") if (match := FRAME.match(frame.strip()))]
        if not frames:
            continue
        leaf = frames[-1]
        if leaf["function"] in WAITING:
            result.waiting += count
            continue
        if leaf["function"] in EVENT_LOOP:
            result.event_loop += count
            continue
        result.samples += count
        result.by_package[_package(leaf["file"])] += count
        result.leaves[_name(leaf["function"], leaf["file"])] += count
        ours, libraries = set(), set()
        for frame in frames:
            package = _package(frame["file"])
            if package == "incidenthub" and not _name(frame["function"], frame["file"]).startswith(SKIPPED_OURS):
                ours.add(_name(frame["function"], frame["file"]))
            elif package in LIBRARIES:
                libraries.add(_name(frame["function"], frame["file"]))
        for name in ours:
            result.ours[name] += count
        for name in libraries:
            result.libraries[name] += count
    if not result.samples:
        result.problem = "py-spy recorded no busy samples"
    return result
