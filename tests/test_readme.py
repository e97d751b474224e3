"""Every README example runs as written, against `incidenthub serve` started as a user starts it.

The convention (also in the README's "Tests and benchmarks"): every fenced block tagged `sh` runs, in order,
in one bash session; `sh no-run` blocks are synopses or start the server. Only two things change: the
README's `127.0.0.1:8000` becomes the test server's free port, and the line `export KEY=ih_...` becomes the
line the server printed on its first start (what a user pastes). `curl` fails on an HTTP error status.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.serving import serve, user_env

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
SHELLS = {"sh", "bash", "shell", "console", "zsh", "shell-session"}
KEY_PLACEHOLDER = re.compile(r"^export KEY=ih_\.\.\..*$", re.MULTILINE)


def _blocks() -> list[tuple[str, str]]:
    return [(match["info"].strip(), match["body"]) for match in FENCE.finditer(README.read_text(encoding="utf-8"))]


def test_every_shell_block_is_run_or_marked_not_to_run() -> None:
    blocks = _blocks()
    shell_tags = [info for info, _ in blocks if info.split(" ")[0] in SHELLS]
    assert shell_tags and set(shell_tags) <= {"sh", "sh no-run"}, shell_tags
    # Synopses stay synopses: a run block holds no `[optional]` part.
    for info, body in blocks:
        if info == "sh":
            assert not re.search(r" \[--", body), body


def test_readme_examples_run_as_written(database_url: str, tmp_path: Path) -> None:
    runnable = [body for info, body in _blocks() if info == "sh"]
    script = "\n".join(runnable)
    assert len(KEY_PLACEHOLDER.findall(script)) == 1, "the README sets $KEY from `make run`'s line exactly once"
    # A checkout as `make run` leaves it: .venv/ and the repository's tests/ (the examples read tests/data).
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    (checkout / "tests").symlink_to(ROOT / "tests", target_is_directory=True)
    # SQLite: the default ./var/incidenthub.db of the checkout, exactly as after `make run`.
    env = user_env(None if database_url.startswith("sqlite") else database_url)
    with serve(env, checkout, terminal=True) as server:  # in a terminal, as `make run` is: it prints the key
        printed = re.search(r"^  (export KEY=(ih_\S+))$", server.output, re.MULTILINE)
        assert printed, server.output
        key = printed.group(2)
        port = server.base_url.rsplit(":", 1)[1]
        body = KEY_PLACEHOLDER.sub(lambda _: printed.group(1), script).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body --silent --show-error "$@"; }\nset -x\n'
        (checkout / "readme.sh").write_text(prelude + body, encoding="utf-8")
        ran = subprocess.run(
            ["bash", "readme.sh"], cwd=checkout, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert ran.returncode == 0, f"a README example failed:\n{ran.stderr[-4000:]}\n{ran.stdout[-2000:]}"
    # What the examples made is there: the CSV round trip and the Sonoran call.
    assert (checkout / "calls.csv").read_text().count("\n") >= 2  # a header and the PUT's incident
    assert "NEW DISPATCH CREATED - ID: 1" in ran.stdout
    assert '"eidoVersion":"1.0"' in (checkout / "incident.eido.json").read_text()  # the GovWorx incident as an EIDO
    assert '"unchanged":true' in ran.stdout  # the EIDO example imported twice
    # The server logged each request on one line, and never the key it was sent (headers and Sonoran bodies).
    served = server.output.split("Uvicorn running", 1)[1]
    assert "request method=POST path=/v1/incidents status=201" in served
    assert "request method=POST path=/emergency/{name} status=200" in served and "tenant=default" in served
    assert key not in served and key.rsplit("_", 2)[1] not in served
    assert "555-123-4567" not in served  # the GovWorx example's caller number
