"""The OpenAPI document tells the truth: schemathesis (all checks, all phases) finds nothing.

A short run; `make fuzz` runs the same longer. Narrow exclusions are in `schemathesis.toml`.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import schemathesis
from schemathesis.config import SchemathesisConfig

from incidenthub.app import create_app
from incidenthub.config import Settings
from tests.contract import ROOT, live_server, run

EXAMPLES = int(os.environ.get("INCIDENTHUB_CONTRACT_EXAMPLES", "5"))


def test_schemathesis_finds_no_failure(tmp_path: Path) -> None:
    with live_server(tmp_path) as live:
        code, output = run(live, EXAMPLES, seed=20261126)
    summary = output[output.find("FAILURES") :] if "FAILURES" in output else output[-6000:]
    assert code == 0, re.sub(r"Bearer \S+", "Bearer <key>", summary)[:20000]


def test_each_exclusion_applies_to_the_operations_it_names_only(tmp_path: Path) -> None:
    """schemathesis.toml's exclusions reach exactly the operations their `include-name-regex` names.

    Within one `[[operations]]` block schemathesis joins `include-path` and `include-method` with OR: a block
    written with both turned a check off for every GET or POST of the API, hiding every failure they had."""
    config = SchemathesisConfig.from_path(str(ROOT / "schemathesis.toml"))
    document = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}")).openapi()
    operations = [result.ok() for result in schemathesis.openapi.from_dict(document).get_all_operations()]
    blocks = tomllib.loads((ROOT / "schemathesis.toml").read_text())["operations"]
    assert len(blocks) == len(config.projects.get_default().operations.operations)
    for block, parsed in zip(blocks, config.projects.get_default().operations.operations, strict=True):
        assert [k for k in block if k.startswith("include")] == ["include-name-regex"], block
        named = {
            f"{op.method.upper()} {op.path}"
            for op in operations
            if re.search(block["include-name-regex"], f"{op.method.upper()} {op.path}")
        }
        reached = {f"{op.method.upper()} {op.path}" for op in operations if parsed._filter_set.applies_to(op)}
        assert named and reached == named, block
