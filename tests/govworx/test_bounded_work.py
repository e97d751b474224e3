"""A GovWorx upload's work does not grow with its responders: units and personnel are looked up and
registered with a few set-based statements, not one query per responder."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import event

from incidenthub.adapters.govworx import bulk
from incidenthub.db import Database
from tests.factories import bearer, make_key, make_tenant
from tests.govworx.helpers import GovWorx
from tests.statements import Statements, counted


def _responders(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "personnelId": f"{prefix}-P{index}",
            "personnelFirstName": f"First{index}",
            "personnelLastName": f"Last{index}",
            "unitName": f"{prefix}-U{index}",
            "dispatchedAt": "2026-01-06T01:05:00-05:00",
        }
        for index in range(count)
    ]


def _statements_of_upload(gw: GovWorx, sys_id: str, responders: list[dict[str, Any]]) -> int:
    with counted(gw.client) as statements:
        answer = gw.upload(gw.seed(sysId=sys_id, responders=responders))
    assert answer["created"] is True
    return statements.count


def test_new_units_and_people_cost_the_same_few_statements_whatever_their_number(gw: GovWorx) -> None:
    few = _statements_of_upload(gw, "few", _responders("A", 5))
    many = _statements_of_upload(gw, "many", _responders("B", 200))
    assert many == few, (few, many)
    # Every responder is really there, with its unit and person registered once.
    incident = gw.incident(gw.by_sys_id("many")[0]["incident_id"])
    assert len(incident["responders"]) == 200
    assert {r["unit"]["call_sign"] for r in incident["responders"]} == {f"B-U{i}" for i in range(200)}
    assert {r["personnel"]["name"] for r in incident["responders"]} == {f"First{i} Last{i}" for i in range(200)}
    reader = bearer(make_key(gw.database, "metro", ["dispatch:read"]))
    units = gw.client.get("/v1/units", headers=reader).json()["data"]
    assert len([u for u in units if u["call_sign"].startswith("B-U")]) == 200


def test_known_units_and_people_are_found_not_registered_again(gw: GovWorx) -> None:
    responders = _responders("K", 50)
    gw.upload(gw.seed(sysId="first", responders=responders))
    # The same units and people on another incident, one renamed: found in one lookup, the new name kept.
    renamed = [dict(r) for r in responders]
    renamed[3]["personnelFirstName"] = "Renamed"
    second = gw.upload(gw.seed(sysId="second", responders=renamed))
    incident = gw.incident(second["id"])
    names = {r["personnel"]["personnel_id"]: r["personnel"]["name"] for r in incident["responders"]}
    assert names["K-P3"] == "Renamed Last3" and names["K-P4"] == "First4 Last4"
    unit_ids_first = {
        r["unit"]["call_sign"]: r["unit"]["id"]
        for r in gw.incident(gw.upload(gw.seed(sysId="first", responders=responders))["id"])["responders"]
    }
    unit_ids_second = {r["unit"]["call_sign"]: r["unit"]["id"] for r in incident["responders"]}
    assert unit_ids_first == unit_ids_second


def test_the_largest_upload_allowed_costs_no_more_statements_than_a_small_one(gw: GovWorx) -> None:
    """The biggest request a tenant may send (every array at its limit) holds the writer for the same few
    statements as a small one, so another tenant's write queued behind it waits for little work."""
    small = _statements_of_upload(gw, "small", _responders("S", 1))
    notes = [{"noteId": f"n{i}", "note": f"note {i}", "noteAt": "2026-01-06T10:30:00Z"} for i in range(2000)]
    with counted(gw.client) as statements:
        answer = gw.upload(gw.seed(sysId="largest", responders=_responders("L", 500), notes=notes))
    assert answer["created"] is True
    # A few more at most: lookups of many values go in chunks of 500 (the databases' parameter limits).
    assert statements.count <= small + 4, (small, statements.count)
    incident = gw.incident(answer["id"])
    assert len(incident["responders"]) == 500 and len(incident["notes"]) == 2000


def test_a_batch_reads_each_tenants_classification_rules_once(database: Database) -> None:
    # 300 records in one import batch: the tenant's rules (severity, category, title) are read once per
    # batch, not once per record (an unreferenced tenant row leaves the session, so a per-record read
    # queries every time).
    make_tenant(database, "metro")
    seed = json.loads((Path(__file__).parent.parent / "data" / "govworx_seed_example.json").read_text())
    lines = b"".join(json.dumps({**seed, "sysId": f"B-{n}", "relatedSysId": None}).encode() + b"\n" for n in range(300))
    statements = Statements()
    event.listen(database.write_engine, "before_cursor_execute", statements)
    try:
        report = bulk.import_stream(database, "metro", io.BytesIO(lines), "govworx", workers=1)
    finally:
        event.remove(database.write_engine, "before_cursor_execute", statements)
    assert report.created == 300
    assert len([sql for sql in statements.sql if "FROM tenants" in sql]) <= 2, statements.sql[:10]
