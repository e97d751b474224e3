"""Bad input: each kind gets a problem+json naming the field, and nothing is written."""

from __future__ import annotations

import pytest

from tests.factories import SOS, Api

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, field: str | None = None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["code"] == status
    assert body["detail"] == body["message"] and body["detail"]
    assert body["type"].startswith("urn:incidenthub:problem:") and body["title"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"severity": "low"}, "category"),
        ({"category": "earthquake"}, "category"),
        ({"category": "sos", "severity": "catastrophic"}, "severity"),
        ({"category": "sos", "location": {"coordinates": [181, 6.5]}}, "location.coordinates"),
        ({"category": "sos", "location": {"coordinates": [-180.5, 6.5]}}, "location.coordinates"),
        ({"category": "sos", "location": {"coordinates": [3.3, 90.1]}}, "location.coordinates"),
        ({"category": "sos", "location": {"coordinates": [3.3, -91]}}, "location.coordinates"),
        ({"category": "sos", "location": {"coordinates": [3.3]}}, "location.coordinates"),
        ({"category": "sos", "location": {"coordinates": [3.3, 6.5, 10]}}, "location.coordinates"),
        ({"category": "sos", "location": {"coordinates": ["east", "north"]}}, "location.coordinates.0"),
        ({"category": "sos", "title": 12345}, "title"),
        ({"category": "sos", "is_drill": {"yes": True}}, "is_drill"),
        ({"category": "sos", "subject": "Amaka"}, "subject"),
        ({"category": "sos", "metadata": ["a"]}, "metadata"),
        ({"category": "sos", "idempotency_key": ""}, "idempotency_key"),
        ({"category": "sos", "idempotency_key": "k" * 257}, "idempotency_key"),
    ],
)
def test_invalid_create_is_422_naming_the_field(api: Api, body: dict, field: str) -> None:  # type: ignore[type-arg]
    response = api.create(body)
    assert_problem(response, 422, field)
    assert api.total() == 0


def test_coordinates_error_says_what_is_wrong(api: Api) -> None:
    body = assert_problem(api.create({"category": "sos", "location": {"coordinates": [200, 6]}}), 422)
    assert "longitude 200" in body["errors"][0]["message"]


def test_malformed_json_is_400(api: Api) -> None:
    response = api.client.post(
        "/v1/incidents", content=b'{"category": "sos",', headers={**api.acme, "Content-Type": "application/json"}
    )
    body = assert_problem(response, 400, "body")
    assert "not valid JSON" in body["detail"]
    assert api.total() == 0


def test_json_array_instead_of_object_is_422(api: Api) -> None:
    assert_problem(api.client.post("/v1/incidents", json=[SOS], headers=api.acme), 422, "body")
    assert api.total() == 0


def test_body_without_json_content_type_is_415(api: Api) -> None:
    response = api.client.post("/v1/incidents", content=b'{"category": "sos"}', headers=api.acme)
    assert_problem(response, 415, "body")
    assert api.total() == 0


def test_empty_body_is_422(api: Api) -> None:
    response = api.client.post("/v1/incidents", headers={**api.acme, "Content-Type": "application/json"})
    assert_problem(response, 422, "body")


def test_body_over_one_mebibyte_is_413(api: Api) -> None:
    big = {"category": "sos", "description": "x" * (1024 * 1024)}
    assert_problem(api.create(big), 413)
    assert api.total() == 0


def test_streamed_body_over_the_limit_is_413(api: Api) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"category": "sos", "description": "'
        for _ in range(1100):
            yield b"y" * 1024
        yield b'"}'

    response = api.client.post(
        "/v1/incidents", content=chunks(), headers={**api.acme, "Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert api.total() == 0


def test_unknown_route_and_method_answer_problems(api: Api) -> None:
    assert_problem(api.client.get("/v1/nothing-here", headers=api.acme), 404)
    assert_problem(api.client.delete("/v1/incidents", headers=api.acme), 405)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("page=0", "page"),
        ("page=two", "page"),
        ("page=99999999999999999999", "page"),
        ("status=open", "status"),
        ("category=earthquake", "category"),
        ("severity=sev1", "severity"),
        ("from_date=yesterday", "from_date"),
        # A number is not an ISO 8601 date-time (Pydantic alone would read it as a Unix time).
        ("to_date=0.5", "to_date"),
        ("from_date=1767225600", "from_date"),
    ],
)
def test_invalid_list_query_is_422(api: Api, query: str, field: str) -> None:
    assert_problem(api.client.get(f"/v1/incidents?{query}", headers=api.acme), 422, field)


def test_from_after_to_is_422(api: Api) -> None:
    response = api.client.get(
        "/v1/incidents?from_date=2026-02-01T00:00:00Z&to_date=2026-01-01T00:00:00Z", headers=api.acme
    )
    assert_problem(response, 422, "from_date")


def test_openapi_documents_the_problem_answers(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    create = spec["paths"]["/v1/incidents"]["post"]
    for status in ("200", "201", "400", "401", "403", "413", "422"):
        assert status in create["responses"], status
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert "Problem" in spec["components"]["schemas"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "sos", "title": "a\u0000b"}, "title"),
        ({"category": "sos", "metadata": {"k\u0000": 1}}, "metadata.k\u0000"),
        ({"category": "sos", "metadata": {"score": float("nan")}}, "metadata.score"),
        ({"category": "sos", "location": {"coordinates": [float("inf"), 6.5]}}, "location.coordinates.0"),
        ({"category": "sos", "location": {"coordinates": [True, False]}}, "location.coordinates.0"),
        ({"category": "sos", "location": {"coordinates": ["3.3", "6.5"]}}, "location.coordinates.0"),
        ({"category": "sos", "is_drill": "yes"}, "is_drill"),
    ],
)
def test_values_no_database_keeps_are_422_on_every_backend(api: Api, body: dict, field: str) -> None:  # type: ignore[type-arg]
    import json

    response = api.client.post(
        "/v1/incidents", content=json.dumps(body), headers={**api.acme, "Content-Type": "application/json"}
    )
    assert_problem(response, 422, field)
    assert api.total() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/v1/incidents/inc_%00",
        "/v1/incidents?external_id=a%00b",
        "/v1/incidents?source=%00",
        "/api/v1/external/user/single?userId=%00",
    ],
)
def test_nul_in_the_url_is_400(api: Api, path: str) -> None:
    assert_problem(api.client.get(path, headers=api.acme), 400, "url")


@pytest.mark.parametrize("query", ["from_date=0001-01-01T00:00:00%2B14:00", "to_date=9999-12-31T23:59:59-23:00"])
def test_dates_beyond_utc_are_422(api: Api, query: str) -> None:
    field = query.split("=")[0]
    assert_problem(api.client.get(f"/v1/incidents?{query}", headers=api.acme), 422, field)


def test_deeply_nested_json_is_a_malformed_request(api: Api) -> None:
    response = api.client.post(
        "/v1/incidents", content=b"[" * 100_000, headers={**api.acme, "Content-Type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert body["title"] == "Malformed request"
