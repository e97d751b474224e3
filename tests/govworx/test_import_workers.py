"""incidenthub import over several processes, and JSON lines read the way the standard library reads them."""

from __future__ import annotations

import json
from pathlib import Path

from incidenthub.adapters.govworx import bulk
from tests.govworx.helpers import GovWorx
from tests.govworx.test_bulk import _import, _record, cli  # noqa: F401 - the `cli` fixture


def test_a_record_repeated_in_a_later_batch_updates_the_earlier_one_whatever_process_writes_it(
    cli: GovWorx,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Lines 2,100 and 4,300 name one incident: with two workers, the second batch (bulk.BATCH lines each) is
    # written by the helper process and the third by the first process, which is ready long before the
    # helper (it has to start); the later line must still be the one that stands.
    total = 2 * bulk.BATCH + 500
    lines = [json.dumps(_record(n, relatedSysId=None)) for n in range(1, total + 1)]
    lines[4299] = json.dumps(_record(2100, relatedSysId=None, disposition="Cancelled by caller"))
    path = tmp_path / "two-batches.jsonl"
    path.write_text("\n".join(lines) + "\n")

    code, summary = _import(path, "--format", "govworx", "--workers", "2")

    assert code == 0
    assert {k: summary[k] for k in ("created", "updated", "unchanged", "rejected")} == {
        "created": total - 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    incident = cli.by_sys_id("INC-2100")[0]
    assert incident["disposition"] == "Cancelled by caller"
    assert incident["revision"] == 2
    assert cli.count() == total - 1

    # Again: every other record is unchanged; INC-2100 goes back to line 2,100's content and then to line 4,300's.
    code, again = _import(path, "--format", "govworx", "--workers", "2")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 2, total - 2)
    incident = cli.by_sys_id("INC-2100")[0]
    assert (incident["disposition"], incident["revision"]) == ("Cancelled by caller", 4)


def test_json_lines_keep_big_integers_and_refuse_nan_nul_and_deep_nesting_by_field(
    cli: GovWorx,  # noqa: F811
    tmp_path: Path,
) -> None:
    deep: object = "bottom"
    for _ in range(40):
        deep = [deep]
    lines = [
        json.dumps(_record(1, dispatchCenterTicket=2**70 + 1)),
        json.dumps(_record(2)).replace('"number": "26-2"', '"number": "26-\\u00002"'),
        json.dumps(_record(3)).replace('"priority": "Priority 1"', '"priority": NaN'),
        json.dumps(_record(4, cadTrail=deep)),
        json.dumps(_record(5)),
    ]
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(lines) + "\n")

    code, summary = _import(path, "--format", "govworx", "--workers", "2")

    assert code == 1
    assert (summary["created"], summary["rejected"]) == (2, 3)
    rejects = [json.loads(line) for line in Path(summary["rejects"]).read_text().splitlines()]
    fields = [(r["line"], r["errors"][0]["field"].split(".")[0]) for r in rejects]
    assert fields == [(2, "number"), (3, "priority"), (4, "cadTrail")]
    exported = {row["sysId"]: row for row in bulk.export_rows(cli.database, "metro")}
    assert exported["INC-1"]["dispatchCenterTicket"] == 2**70 + 1  # exactly: not read as a float
    assert set(exported) == {"INC-1", "INC-5"}
