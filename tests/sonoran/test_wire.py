"""Sonoran wire rules without HTTP or a database: Sonoran.js's positional items, enum names, empty 911 calls."""

from __future__ import annotations

from typing import Any

import pytest

from incidenthub.adapters.sonoran import schemas_v1 as v1
from incidenthub.adapters.sonoran import schemas_v2 as v2
from incidenthub.adapters.sonoran.errors import V1Error


def _items(name: str, data: Any) -> list[dict[str, Any]]:
    return v1.data_items({"data": data}, name, required=True)


def test_positional_items_are_named_by_the_methods_parameters() -> None:
    sent = [{"0": 1, "1": True, "2": "Jane Doe", "3": "1 Legion Sq", "4": "Car fire", "5": {"postal": "8001"}}]
    assert _items("911_call", sent) == [
        {
            "serverId": 1,
            "isEmergency": True,
            "caller": "Jane Doe",
            "location": "1 Legion Sq",
            "description": "Car fire",
            "metaData": {"postal": "8001"},
        }
    ]
    assert _items("set_call_primary", [{"0": 1, "1": 7, "2": -1}]) == [{"serverId": 1, "callId": 7, "primary": -1}]
    assert _items("edit_dispatch", [{"0": {"callId": 7, "title": "x"}}]) == [{"callId": 7, "title": "x"}]
    assert _items("unit_location", [[{"apiId": "a"}, {"apiId": "b"}]]) == [{"apiId": "a"}, {"apiId": "b"}]
    named = {"serverId": 1, "callId": 7, "postal": "1"}
    assert _items("set_call_postal", [named]) == [named]


@pytest.mark.parametrize(
    ("name", "data", "text"),
    [
        ("attach_unit", [{"0": 1, "1": 2}], "data[0]: attach_unit takes named fields, not positional arguments"),
        ("close_call", [{"0": 1, "1": 2, "2": 3}], "data[0].2: close_call takes at most 2 positional arguments"),
    ],
)
def test_positional_items_no_client_sends_are_refused(name: str, data: Any, text: str) -> None:
    with pytest.raises(V1Error) as refused:
        _items(name, data)
    assert text in refused.value.v1_text


def test_enum_names_become_numbers_and_others_are_refused() -> None:
    status = v2.UnitStatus.model_validate({"apiId": "a", "status": "ON_SCENE"})
    assert status.status == 4
    call = v2.DispatchCallUpdate.model_validate({"origin": "RADIO DISPATCH", "status": "PENDING"})
    assert (call.origin, call.status) == (1, 0)
    for bad in ({"status": "enroute"}, {"status": "FLYING"}, {"status": 5}):
        with pytest.raises(ValueError, match="status"):
            v2.UnitStatus.model_validate({"apiId": "a", **bad})


def test_an_empty_911_call_is_refused() -> None:
    with pytest.raises(ValueError, match="caller, location or description"):
        v1.Call911Item.model_validate({"caller": " ", "metaData": {"postal": "1"}})
    with pytest.raises(ValueError, match="caller, location or description"):
        v2.EmergencyCallCreate.model_validate({"isEmergency": True})
    assert v2.EmergencyCallCreate.model_validate({"location": "Alta St"}).location == "Alta St"
