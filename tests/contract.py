"""Schemathesis over the live OpenAPI document: every operation, all checks, all phases.

`make test` runs it briefly (tests/test_openapi_contract.py); `make fuzz` runs it longer:

    .venv/bin/python -m tests.contract --max-examples 200

The server is started as a user starts it (`incidenthub serve` on a fresh SQLite file) with a tenant,
an all-scopes key and a configured Sonoran server. Narrow exclusions, each with its reason, are in
`schemathesis.toml` at the root of the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CONFIG = ROOT / "schemathesis.toml"
PHASES = "examples,coverage,fuzzing,stateful"


@dataclass(frozen=True)
class Live:
    base_url: str
    key: str
    key_id: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "incidenthub"), *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout


@contextmanager
def live_server(directory: Path) -> Iterator[Live]:
    """`incidenthub serve` on a fresh SQLite file in `directory`, with a tenant and a key."""
    # Far more requests a minute than a tenant's default limit: the fuzzer is to meet the doors, not 429s (the
    # environment may still set its own).
    limits = {"INCIDENTHUB_RATE_LIMIT_PER_MINUTE": "1000000000", "INCIDENTHUB_AUTH_FAILURES_PER_WINDOW": "1000000000"}
    env = {**limits, **os.environ, "INCIDENTHUB_DATABASE_URL": f"sqlite:///{directory / 'contract.db'}"}
    _cli(env, "migrate")
    _cli(env, "tenant", "create", "--slug", "contract", "--name", "Contract")
    created = json.loads(_cli(env, "key", "create", "--tenant", "contract", "--scope", "*"))
    key, key_id = created["key"], created["id"]
    port = _free_port()
    log = (directory / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "incidenthub"), "serve", "--workers", "1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base_url}/v1/health", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((directory / "server.log").read_text()) from None
                time.sleep(0.2)
        # Sonoran v2 answers 404 for a server the community has not configured: configure the ids
        # the fuzzer is most likely to send, so its operations get past that check.
        httpx.put(
            f"{base_url}/v2/general/servers",
            json={"servers": [{"id": n, "name": f"Server {n}"} for n in (1, 2)]},
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        ).raise_for_status()
        yield Live(base_url, key, key_id)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def run(live: Live, max_examples: int, seed: int | None = None, paths: str | None = None) -> tuple[int, str]:
    """Schemathesis against `live`; its exit code and output."""
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{live.base_url}/openapi.json",
        "--phases",
        PHASES,
        "--max-examples",
        str(max_examples),
        "--header",
        f"Authorization: Bearer {live.key}",
        "--no-color",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    if paths is not None:
        command += ["--include-path-regex", paths]
    hooks = {
        "SCHEMATHESIS_HOOKS": str(ROOT / "tests" / "contract_hooks.py"),
        "INCIDENTHUB_CONTRACT_KEY_ID": live.key_id,
    }
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env={**os.environ, **hooks})
    output = done.stdout + done.stderr
    # A run whose key stopped working tested sign-in only from then on: that is a failure of the run itself.
    still = httpx.get(f"{live.base_url}/v1/incidents", headers={"Authorization": f"Bearer {live.key}"}, timeout=30)
    if still.status_code != 200:
        return 1, output + f"\nthe fuzzer's own key no longer works after the run: {still.status_code} {still.text}"
    return done.returncode, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--paths", default=None, help="only the operations whose path matches this regex")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory, live_server(Path(directory)) as live:
        code, output = run(live, args.max_examples, args.seed, args.paths)
    print(output)
    return code


if __name__ == "__main__":
    sys.exit(main())
