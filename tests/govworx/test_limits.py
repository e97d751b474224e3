"""An upload holds at most 500 responders and 2,000 notes: one more is a 422 naming the field, nothing stored."""

from __future__ import annotations

import pytest

from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx

RESPONDER = {"unitName": "E1", "dispatchedAt": "2026-01-06T01:05:00-05:00"}


def _responders(count: int) -> list[dict[str, str]]:
    return [{**RESPONDER, "unitName": f"E{index}", "personnelId": f"P{index}"} for index in range(count)]


def _notes(count: int) -> list[dict[str, str]]:
    return [{"noteId": f"N{index}", "note": f"note {index}"} for index in range(count)]


@pytest.mark.parametrize(("field", "items"), [("responders", _responders(501)), ("notes", _notes(2001))])
def test_one_item_over_the_limit_is_refused_naming_the_field(gw: GovWorx, field: str, items: list) -> None:  # type: ignore[type-arg]
    response = gw.put(gw.seed(**{field: items}))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]], response.json()
    assert gw.count() == 0
    reader = bearer(make_key(gw.database, "metro", ["dispatch:read"]))
    assert gw.client.get("/v1/units", headers=reader).json()["data"] == []  # no unit registered either


def test_the_limits_themselves_are_accepted(gw: GovWorx) -> None:
    answer = gw.upload(gw.seed(responders=_responders(500), notes=_notes(2000)))
    incident = gw.incident(answer["id"])
    assert len(incident["responders"]) == 500 and len(incident["notes"]) == 2000
