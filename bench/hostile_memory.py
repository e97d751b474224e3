"""Bad input at scale: the memory and time of `incidenthub serve` answering 32 concurrent hostile bodies.

Makes a tenant and a key with the CLI, starts `incidenthub serve --workers 1` on a fresh SQLite file, reads the
server's resident memory (VmRSS and VmHWM, its peak, from /proc) after a warm-up, then sends each kind of hostile
body 32 times at once: arrays of 100,000 items and strings of 1 MB through the doors. Prints, for each kind, the
answers' status and size, the slowest answer, and the RSS after; writes bench/LIMITS.md, with the machine's load.

    .venv/bin/python -m bench.hostile_memory
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.harness.procs import SONORAN_COMMUNITY, prepare_tenant, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
SEED = json.loads((ROOT / "tests" / "data" / "govworx_seed_example.json").read_text())
INCIDENTHUB = str(Path(sys.executable).parent / "incidenthub")
CONCURRENT = 32
MIB = 1024 * 1024


def _memory(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _cases(key: str) -> list[tuple[str, str, str, dict[str, str], bytes]]:
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def body(value: Any) -> bytes:
        return json.dumps(value).encode()

    return [
        ("GovWorx: 100,000 empty responders", "PUT", "/api/v1/external/incident", auth,
         body(SEED | {"responders": [{}] * 100_000})),
        ("GovWorx: 100,000 invalid responders", "PUT", "/api/v1/external/incident", auth,
         body(SEED | {"responders": [1] * 100_000})),
        ("GovWorx: 500 invalid responders (at the limit)", "PUT", "/api/v1/external/incident", auth,
         body(SEED | {"responders": [{"personnelFirstName": []}] * 500})),
        ("GovWorx: a 1,000,000-character callerName", "PUT", "/api/v1/external/incident", auth,
         body(SEED | {"callerName": "x" * 1_000_000})),
        ("GovWorx: a 1 MiB body over the cap", "PUT", "/api/v1/external/incident", auth,
         body(SEED | {"additionalContext": "x" * MIB})),
        ("native: 100,000 metadata items", "POST", "/v1/incidents", auth,
         body({"category": "sos", "metadata": {"x": [0] * 100_000}})),
        ("native: a 1,000,000-character description", "POST", "/v1/incidents", auth,
         body({"category": "sos", "description": "x" * 1_000_000})),
        ("native: a 1,000,000-character metadata string", "POST", "/v1/incidents", auth,
         body({"category": "sos", "metadata": {"x": "x" * 1_000_000}})),
        ("Sonoran v1: 100,000 data items", "POST", "/emergency/new_dispatch", {"Content-Type": "application/json"},
         body({"id": SONORAN_COMMUNITY, "key": key, "type": "NEW_DISPATCH", "data": [{}] * 100_000})),
        ("DevRev: 100,000 tags", "POST", "/incidents.create", auth,
         body({"title": "x", "tags": [{"tag_id": "t"}] * 100_000})),
        ("DevRev: 100,000 items in staged_info", "POST", "/incidents.create", auth,
         body({"title": "x", "staged_info": {"x": [0] * 100_000}})),
        ("DevRev: a 1,000,000-character custom field", "POST", "/incidents.create", auth,
         body({"title": "x", "custom_fields": {"tnt__x": "x" * 1_000_000}})),
        ("DevRev: incidents.list, 100,000 owned_by ids", "POST", "/incidents.list", auth,
         body({"owned_by": ["d"] * 100_000})),
        ("NENA EIDO: 100,000 notes", "POST", "/v1/eido", auth, body({"notesComponent": [{}] * 100_000})),
    ]  # fmt: skip


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="incidenthub-hostile-"))
    port = 18_000 + os.getpid() % 1000
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTHUB_")}
    env |= {"INCIDENTHUB_DATABASE_URL": f"sqlite:///{folder}/bench.db", "INCIDENTHUB_LOG_LEVEL": "warning"}
    # The requests stay under any rate limit: every answer is the door's, not a 429.
    env |= {"INCIDENTHUB_RATE_LIMIT_PER_MINUTE": "1000000"}
    # A tenant and a key made with the CLI, as an operator does (a server whose output is not a terminal
    # prints no key at its first start).
    key = prepare_tenant(env)
    log = (folder / "serve.log").open("w")
    server = subprocess.Popen(
        [INCIDENTHUB, "serve", "--port", str(port), "--workers", "1"], env=env, cwd=folder, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server, folder / "serve.log", "/v1/health", timeout=60)
        cases = _cases(key)
        with httpx.Client(base_url=base, timeout=120) as http:
            for _label, method, path, headers, content in cases:  # warm-up: each path once
                http.request(method, path, headers=headers, content=content)
        start_rss, _ = _memory(server.pid)
        load_before = os.getloadavg()[0]
        rows = []
        with ThreadPoolExecutor(CONCURRENT) as pool, httpx.Client(base_url=base, timeout=120) as http:
            for label, method, path, headers, content in cases:

                def send(_: int, method: str = method, path: str = path, headers: dict[str, str] = headers,
                         content: bytes = content) -> tuple[int, int, float]:  # fmt: skip
                    started = time.perf_counter()
                    response = http.request(method, path, headers=headers, content=content)
                    return response.status_code, len(response.content), time.perf_counter() - started

                results = list(pool.map(send, range(CONCURRENT)))
                rss, peak = _memory(server.pid)
                statuses = sorted({status for status, _, _ in results})
                rows.append(
                    (label, len(content), statuses, max(size for _, size, _ in results),
                     max(seconds for _, _, seconds in results), rss, peak)
                )  # fmt: skip
                print(f"{label}: {statuses} answer <= {rows[-1][3]} B, slowest {rows[-1][4]:.2f} s, RSS {rss:.0f} MiB")
        end_rss, end_peak = _memory(server.pid)
        load_after = os.getloadavg()[0]
    finally:
        server.terminate()
        server.wait(timeout=60)
    lines = [
        "# Bad input at scale",
        "",
        f"`bench/hostile_memory.py`: `incidenthub serve --workers 1` (SQLite), each body sent {CONCURRENT} times at",
        "once after a warm-up; RSS of the server process after each kind (VmRSS; peak: VmHWM).",
        "",
        f"RSS after the warm-up: {start_rss:.0f} MiB; at the end: {end_rss:.0f} MiB (peak {end_peak:.0f} MiB).",
        "",
        f"The machine's load average (1 min) was {load_before:.1f} at the start and {load_after:.1f} at the end, on "
        f"{os.cpu_count()} cores"
        + (
            ": it was loaded by other work, so the times are longer than on an idle machine."
            if load_before > 1
            else "."
        ),
        "",
        "| body | bytes | status | largest answer (B) | slowest answer (s) | RSS after (MiB) | peak (MiB) |",
        "|---|--:|---|--:|--:|--:|--:|",
        *(
            f"| {label} | {size:,} | {', '.join(map(str, statuses))} | {answer:,} | {seconds:.2f} "
            f"| {rss:.0f} | {peak:.0f} |"
            for label, size, statuses, answer, seconds, rss, peak in rows
        ),
        "",
    ]
    (ROOT / "bench" / "LIMITS.md").write_text("\n".join(lines))
    print(f"RSS {start_rss:.0f} -> {end_rss:.0f} MiB (peak {end_peak:.0f}); wrote bench/LIMITS.md")


if __name__ == "__main__":
    main()
