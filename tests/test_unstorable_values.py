"""Values a database cannot hold (too long, NUL, NaN) are the client's error: never a 500, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import Api

SEED = json.loads((Path(__file__).parent / "data" / "govworx_seed_example.json").read_text())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SEED, "sysId": "x" * 300}, "sysId"),
        ({**SEED, "number": "a\u0000b"}, "number"),
        ({**SEED, "callPosition": "p" * 200}, "callPosition"),
        ({**SEED, "cadExtra": float("inf")}, "cadExtra"),
    ],
)
def test_govworx_upload_of_unstorable_values(api: Api, body: dict, field: str) -> None:  # type: ignore[type-arg]
    response = api.client.put(
        "/api/v1/external/incident",
        content=json.dumps(body),
        headers={**api.acme, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert api.total() == 0


def test_native_create_with_nul_character(api: Api) -> None:
    response = api.create({"category": "sos", "title": "panic\u0000"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "title", "message": "must not contain NUL characters"}]
    assert api.total() == 0


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_native_body_nested_too_deep_is_422(api: Api) -> None:
    body = '{"category": "sos", "metadata": {"x": ' + _nested(40) + "}}"
    response = api.client.post("/v1/incidents", content=body, headers={**api.acme, "Content-Type": "application/json"})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["message"] == "nested deeper than 32 levels"
    assert error["field"].startswith("metadata.x.0.0")
    assert api.total() == 0


def test_govworx_body_nested_too_deep_is_422(api: Api) -> None:
    body = json.dumps(SEED)[:-1] + ', "cadExtra": ' + _nested(900) + "}"
    response = api.client.put(
        "/api/v1/external/incident", content=body, headers={**api.acme, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "nested deeper than 32 levels"
    assert api.total() == 0
