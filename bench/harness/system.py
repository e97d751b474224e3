"""Facts about the machine and the code measured, and CPU time read from /proc (Linux)."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
ROOT = BENCH_DIR.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None


def process_tree(pid: int) -> list[int]:
    """The process and every descendant alive now (uvicorn's worker processes, their spawn helpers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def tree_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process and its live descendants, plus what its reaped children used."""
    total = 0.0
    found = False
    for member in process_tree(pid):
        fields = _stat_fields(member)
        if fields is None:
            continue
        found = True
        # utime, stime, cutime, cstime: fields 14-17 of /proc/pid/stat (index 11-14 after the name).
        total += sum(int(value) for value in fields[11:15]) / CLOCK_TICKS
    return total if found else None


def machine_cpu_seconds() -> tuple[float, float] | None:
    """(busy, steal) CPU seconds of the whole machine since boot, from /proc/stat; None elsewhere."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in first[1:9])
    return (user + nice + system + irq + softirq) / CLOCK_TICKS, steal / CLOCK_TICKS


def rss_kib(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) in KiB from /proc/<pid>/status; None once the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    values = {line.split(":")[0]: line.split()[1] for line in lines if line.startswith(("VmRSS", "VmHWM"))}
    if "VmRSS" not in values:
        return None
    return int(values["VmRSS"]), int(values.get("VmHWM", values["VmRSS"]))


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (from /proc/<pid>/task/<tid>/children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                queue.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
    return found


def tree_rss_kib(pid: int) -> int | None:
    """VmRSS summed over `pid` and its descendants (an import's helper processes); None once it is gone."""
    sizes = [rss[0] for rss in (rss_kib(p) for p in descendants(pid)) if rss is not None]
    return sum(sizes) if sizes else None


def code_revision() -> str:
    """The commit measured, and whether src/ differed from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        branch = subprocess.run(
            ["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {head} ({branch})" + (", with uncommitted changes in src/" if dirty else "")


def python_loop_seconds(n: int = 5_000_000) -> float:
    """A crude yardstick of single-core Python speed, to compare reports across machines."""
    started = time.perf_counter()
    total = 0
    for value in range(n):
        total += value
    return time.perf_counter() - started


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        total = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        return "unknown"
    return f"{int(total.split()[1]) / 1024 / 1024:.1f} GiB"


def wrk_version() -> str:
    try:
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return (done.stdout or done.stderr).splitlines()[0].split(" Copyright")[0] if (done.stdout or done.stderr) else "?"


def machine_facts() -> dict[str, str]:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return {
        "CPU": _cpu_model(),
        "Cores": f"{usable_cores()} usable ({os.cpu_count()} online)",
        "Memory": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "SQLite": sqlite3.sqlite_version,
        "Load generator": wrk_version(),
        "Code": code_revision(),
        "Load average at start (1, 5, 15 min)": load,
        "Single-core speed": f"a pure-Python loop of 5M additions takes {python_loop_seconds():.2f} s",
    }
