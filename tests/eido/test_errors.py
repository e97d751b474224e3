"""A refused EIDO document: problem+json naming the JSON pointer of the bad member, and nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from incidenthub.adapters.eido import mapping
from tests.eido.helpers import IMPORT, Eido
from tests.eido.test_import import nena

Change = Callable[[dict[str, Any]], None]


def _drop_incident_id(doc: dict[str, Any]) -> None:
    del doc["incidentComponent"]["$id"]


def _version(doc: dict[str, Any]) -> None:
    doc["eidoVersion"] = "2.0"


def _dangling(doc: dict[str, Any]) -> None:
    doc["notesComponent"][0]["agentReference"] = {"$ref": "urn:emergency:uid:agentid:nobody"}


def _bad_time(doc: dict[str, Any]) -> None:
    doc["callComponent"][0]["callStartTimestamp"] = "30/04/2021 14:40"


def _local_time(doc: dict[str, Any]) -> None:
    doc["emergencyResourceComponent"][0]["lastUpdateTimeStamp"] = "2021-04-30T14:49:00"


def _twice(doc: dict[str, Any]) -> None:
    doc["agentComponent"][1]["$id"] = doc["agentComponent"][0]["$id"]


def _no_incident(doc: dict[str, Any]) -> None:
    del doc["incidentComponent"]


def _too_long(doc: dict[str, Any]) -> None:
    doc["incidentComponent"]["internalIncidentId"] = "9" * 129


def _not_a_list(doc: dict[str, Any]) -> None:
    doc["agencyComponent"] = {"$id": "bcf.state.pa.us"}


def _role_missing(doc: dict[str, Any]) -> None:
    del doc["agentComponent"][0]["agentRoleRegistryText"]


def _direction(doc: dict[str, Any]) -> None:
    doc["callComponent"][0]["direction"] = "sideways"


def _nameless_unit(doc: dict[str, Any]) -> None:
    del doc["emergencyResourceComponent"][1]["emergencyResourceName"]


def _nul(doc: dict[str, Any]) -> None:
    doc["notesComponent"][0]["notesActionComments"] = "a\x00b"


def _off_the_globe(doc: dict[str, Any]) -> None:
    location = doc["locationComponent"][0]
    location["locationByValue"] = location["locationByValue"].replace("41.0052 -76.4541", "95.5 -76.4541")


def _not_a_number(doc: dict[str, Any]) -> None:
    location = doc["locationComponent"][0]
    location["locationByValue"] = location["locationByValue"].replace("41.0052 -76.4541", "- e")


def _too_many_units(doc: dict[str, Any]) -> None:
    unit = doc["emergencyResourceComponent"][1]
    doc["emergencyResourceComponent"] += [
        {**unit, "$id": f"urn:unit:{i}", "emergencyResourceName": f"U{i}"} for i in range(mapping.MAX_RESOURCES)
    ]


CASES: list[tuple[Change, str]] = [
    (_drop_incident_id, "/incidentComponent/$id"),
    (_version, "/eidoVersion"),
    (_dangling, "/notesComponent/0/agentReference/$ref"),
    (_bad_time, "/callComponent/0/callStartTimestamp"),
    (_local_time, "/emergencyResourceComponent/0/lastUpdateTimeStamp"),
    (_twice, "/agentComponent/1/$id"),
    (_no_incident, "/incidentComponent"),
    (_too_long, "/incidentComponent/internalIncidentId"),
    (_not_a_list, "/agencyComponent"),
    (_role_missing, "/agentComponent/0/agentRoleRegistryText"),
    (_direction, "/callComponent/0/direction"),
    (_nameless_unit, "/emergencyResourceComponent/1/emergencyResourceName"),
    (_nul, "/notesComponent/0/notesActionComments"),
    (_too_many_units, "/emergencyResourceComponent"),
    (_off_the_globe, "/locationComponent/0/locationByValue"),
    (_not_a_number, "/locationComponent/0/locationByValue"),
]


@pytest.mark.parametrize(("change", "where"), CASES, ids=[c.__name__.strip("_") for c, _ in CASES])
def test_a_bad_member_is_named_by_its_pointer_and_nothing_changes(eido: Eido, change: Change, where: str) -> None:
    stored = eido.imported(nena())
    document = nena()
    document["incidentComponent"]["incidentPriorityInternalText"] = "P9"  # would be a change if it went through
    change(document)
    response = eido.post(document)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert where in [error["field"] for error in response.json()["errors"]]
    assert eido.native(stored["incident_id"])["priority"] == "P1" and eido.count() == 1


def test_a_body_that_is_not_json_is_400_and_not_sent_as_json_is_415(eido: Eido) -> None:
    headers = {**eido.headers, "Content-Type": "application/json"}
    response = eido.client.post(IMPORT, content=b'{"eidoVersion": ', headers=headers)
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/problem+json")
    response = eido.client.post(IMPORT, content=b"<eido/>", headers={**eido.headers, "Content-Type": "text/xml"})
    assert response.status_code == 415, response.text
    assert eido.count() == 0


def test_importing_needs_the_write_scope(eido: Eido) -> None:
    assert eido.post(nena(), eido.reader).status_code == 403
    assert eido.client.post(IMPORT, json=nena()).status_code == 401
    assert eido.count() == 0
