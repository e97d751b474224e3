"""The door registry: an error is answered in the format of the door that owns the route, not by URL shape."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from incidenthub.adapters import doors
from incidenthub.adapters.devrev.errors import render_devrev
from incidenthub.adapters.sonoran.errors import V1Error, render_v1, render_v2
from incidenthub.app import create_app
from incidenthub.config import Settings
from incidenthub.errors import NotFound


def test_every_vendor_door_is_registered_once_with_its_routes() -> None:
    names = [door.name for door in doors()]
    assert names == ["govworx", "sonoran-v1", "sonoran-v2", "devrev", "devrev-settings", "eido"]
    for door in doors():
        assert door.mounts and all(mount.router.routes for mount in door.mounts), door.name


def test_error_formats_are_pure_functions_of_path_and_error() -> None:
    answer = render_v1("/emergency/new_dispatch", V1Error("INVALID API KEY"))
    assert (answer.status, answer.body, answer.media_type) == (400, "INVALID API KEY", "text/plain; charset=utf-8")
    problem = render_v2("/v2/emergency/servers/1/calls", NotFound("no call 7"))
    assert (
        isinstance(problem.body, dict) and problem.body["status"] == 404 and problem.body["instance"].startswith("/v2/")
    )
    devrev = render_devrev("/incidents.get", NotFound("no such incident"))
    assert devrev.status == 404 and isinstance(devrev.body, dict) and devrev.body["type"] == "not_found"


def _probe(app: FastAPI, path: str) -> None:
    @app.get(path)
    def probe() -> None:
        raise NotFound("nothing here")


def test_a_native_route_shaped_like_a_door_path_keeps_the_native_format(settings: Settings) -> None:
    # Routes a door does not own answer problem+json, even under a door's URL shape.
    app = create_app(settings)
    _probe(app, "/v2/emergency/native-probe")
    _probe(app, "/incidents.native-probe")
    with TestClient(app) as client:
        for path in ("/v2/emergency/native-probe", "/incidents.native-probe"):
            response = client.get(path)
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json", path
            assert response.json()["code"] == 404


def test_each_door_answers_its_own_errors(client: TestClient) -> None:
    # An unknown DevRev operation: no route matches, the namespace the door claims decides.
    unknown = client.post("/incidents.explode", json={})
    assert unknown.status_code == 404 and unknown.json()["type"] == "not_found"
    # A wrong method on a Sonoran v2 route: its route decides (405 in Sonoran's v2 problem shape).
    wrong = client.get("/v2/emergency/servers/1/units/status")
    assert wrong.status_code == 405 and "traceId" in wrong.json()
    # Sonoran v1: plain text.
    v1 = client.post("/emergency/new_dispatch", content=b"not json")
    assert v1.status_code == 400 and v1.headers["content-type"].startswith("text/plain")
    # The native API: problem+json.
    native = client.get("/v1/incidents/inc_missing")
    assert native.headers["content-type"] == "application/problem+json"
