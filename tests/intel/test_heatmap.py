"""GET /v1/safety/heatmap: H3 cells of a box with counts, decayed weights and top categories; JSON or PNG."""

from __future__ import annotations

import io
import math
from typing import Any

import h3
import pytest
from PIL import Image

from incidenthub.intel.schemas import HeatmapResponse
from tests.factories import Api
from tests.govworx.helpers import GovWorx
from tests.intel.helpers import BOX, HOT, QUIET, create, false_alarm, features, gw_call, place

URL = "/v1/safety/heatmap"


def _map(api: Api, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    response = api.client.get(URL, params={"bbox": BOX, **params}, headers=api.acme if headers is None else headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_cells_count_weigh_and_explain_the_tenants_incidents(api: Api) -> None:
    hot = [create(api.client, api.acme, place(*HOT)) for _ in range(3)]
    quiet = create(api.client, api.acme, place(*QUIET, severity="low", category="vehicle"))
    create(api.client, api.globex, place(*HOT))  # another tenant's, at the same place

    answer = _map(api, resolution=9)
    cells = features(answer)
    hot_cell, quiet_cell = h3.latlng_to_cell(*HOT, 9), h3.latlng_to_cell(*QUIET, 9)
    assert set(cells) == {hot_cell, quiet_cell}
    assert cells[hot_cell]["count"] == 3
    assert cells[hot_cell]["weight"] == pytest.approx(24.0, rel=1e-4)  # 3 critical (8 each), a moment old
    assert cells[hot_cell]["intensity"] == 1.0
    assert cells[hot_cell]["top_categories"] == [{"category": "location_threat", "incidents": 3}]
    assert cells[quiet_cell] | {"weight": 0} == {
        "cell": quiet_cell,
        "count": 1,
        "weight": 0,
        "intensity": pytest.approx(1 / 24, rel=1e-3),
        "top_categories": [{"category": "vehicle", "incidents": 1}],
    }
    assert answer["features"][0]["geometry"]["type"] == "Polygon"
    ring = answer["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7  # a closed hexagon, [lon, lat]
    assert answer["totals"] == {"cells": 2, "incidents": 4, "weight": pytest.approx(25.0, rel=1e-4)}
    # Encoded without the response model, the answer still is exactly the documented HeatmapResponse.
    assert HeatmapResponse.model_validate(answer).model_dump(mode="json", by_alias=True) == answer
    assert answer["incidents"]["total"] == 4
    assert set(answer["incidents"]["ids"]) == {*hot, quiet}
    assert answer["cells"][0] == {"cell": hot_cell, "incidents": 3, "weight": pytest.approx(24.0, rel=1e-4)}
    assert answer["resolution"] == 9 and answer["bbox"] == [3.35, 6.40, 3.47, 6.50]
    assert answer["period"] == {"from": None, "to": None} and answer["half_life_days"] == 30.0

    # At resolution 7 both fall in coarser cells; counts add up the same.
    coarse = _map(api, resolution=7)
    assert sum(f["properties"]["count"] for f in coarse["features"]) == 4
    assert {f["properties"]["cell"] for f in coarse["features"]} == {
        h3.cell_to_parent(hot_cell, 7),
        h3.cell_to_parent(quiet_cell, 7),
    }
    # Only one category.
    vehicles = _map(api, resolution=9, category="vehicle")
    assert set(features(vehicles)) == {quiet_cell} and vehicles["totals"]["incidents"] == 1
    # The other tenant sees only its own.
    theirs = _map(api, headers=api.globex, resolution=9)
    assert features(theirs)[hot_cell]["count"] == 1 and theirs["totals"]["incidents"] == 1
    # Sety's base path answers the same.
    external = api.client.get("/v1/external/safety/heatmap", params={"bbox": BOX, "resolution": 9}, headers=api.acme)
    assert external.status_code == 200 and features(external.json()) == cells


def test_a_drill_or_a_false_alarm_changes_nothing(api: Api) -> None:
    for _ in range(2):
        create(api.client, api.acme, place(*HOT))
    before = _map(api, resolution=9)
    create(api.client, api.acme, place(*HOT, is_drill=True))
    false_alarm(api.client, api.acme, place(*HOT))
    after = _map(api, resolution=9)
    # Weights decay with time: two reads a moment apart may differ in the fourth decimal (15.9999 and 16.0).
    assert _rounded(after["features"]) == _rounded(before["features"])
    assert _rounded(after["totals"]) == _rounded(before["totals"])


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def test_an_old_incident_weighs_less_and_a_period_leaves_it_out(gw: GovWorx) -> None:
    key = {"Authorization": f"Bearer {_metro_key(gw)}"}
    old = gw_call(gw, "GW-OLD", *HOT, days_ago=60)
    new = gw_call(gw, "GW-NEW", *QUIET, days_ago=0.01)
    answer = gw.client.get(URL, params={"bbox": BOX, "resolution": 9}, headers=key).json()
    cells = features(answer)
    old_cell, new_cell = h3.latlng_to_cell(*HOT, 9), h3.latlng_to_cell(*QUIET, 9)
    assert cells[old_cell]["count"] == cells[new_cell]["count"] == 1
    # Both Priority 1 (high, 4): two half-lives (30 days) make the old one weigh a quarter.
    assert cells[new_cell]["weight"] == pytest.approx(4.0, rel=1e-3)
    assert cells[old_cell]["weight"] == pytest.approx(1.0, rel=1e-3)
    assert answer["incidents"]["ids"] == [new, old]  # heaviest first
    assert cells[new_cell]["top_categories"] == [{"category": "medical", "incidents": 1}]

    # The last 30 days: only the new one.
    recent = gw.client.get(URL, params={"bbox": BOX, "resolution": 9, "from_date": _days_ago(30)}, headers=key).json()
    assert set(features(recent)) == {new_cell} and recent["incidents"]["ids"] == [new]
    assert recent["period"]["from"] == _days_ago(30) + "T00:00:00.000Z"


def _metro_key(gw: GovWorx) -> str:
    from tests.factories import make_key

    return make_key(gw.database, "metro", ["intel:read"])


def _days_ago(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


@pytest.mark.parametrize("resolution", [5, 8, 9])
def test_with_and_without_dates_the_counts_agree_for_a_period_covering_everything(api: Api, resolution: int) -> None:
    # Spread over the box and past its edges: a cell counts when its centre is inside, both ways.
    for n in range(12):
        create(api.client, api.acme, place(6.395 + n * 0.01, 3.345 + n * 0.011, severity=("low", "high")[n % 2]))
    # Close to the bottom edge: points inside whose cell's centre is outside, and the reverse.
    box = (3.35, 6.40, 3.47, 6.50)

    def inside(lat: float, lon: float) -> bool:
        return box[1] <= lat <= box[3] and box[0] <= lon <= box[2]

    def centre(lat: float, lon: float) -> tuple[float, float]:
        c_lat, c_lon = h3.cell_to_latlng(h3.latlng_to_cell(lat, lon, 9))
        return c_lat, c_lon

    near = [(6.40 + i * 0.0001, 3.40 + j * 0.0003) for i in range(-15, 16) for j in range(40)]
    inward = [p for p in near if inside(*p) and not inside(*centre(*p))][:2]
    outward = [p for p in near if not inside(*p) and inside(*centre(*p))][:2]
    assert inward and outward
    crossing = inward + outward
    for lat, lon in crossing:
        create(api.client, api.acme, place(lat, lon))
    from_sums = _map(api, resolution=resolution)
    from_points = _map(api, resolution=resolution, from_date="2000-01-01", to_date="2100-12-31")
    assert from_sums["totals"]["incidents"] >= 8
    assert {c: p["count"] for c, p in features(from_points).items()} == {
        c: p["count"] for c, p in features(from_sums).items()
    }
    for cell, props in features(from_points).items():
        assert math.isclose(props["weight"], features(from_sums)[cell]["weight"], rel_tol=1e-6)
    assert from_points["totals"]["incidents"] == from_sums["totals"]["incidents"]
    assert from_points["period"] == {"from": "2000-01-01T00:00:00.000Z", "to": "2101-01-01T00:00:00.000Z"}


def test_the_png_is_a_picture_of_the_stated_size_with_colours(api: Api, tmp_path: Any) -> None:
    for n in range(6):
        create(api.client, api.acme, place(HOT[0] + n * 0.004, HOT[1] + n * 0.003, severity=("low", "critical")[n % 2]))
    response = api.client.get(URL, params={"bbox": BOX, "format": "png"}, headers=api.acme)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (1000, 800)
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # cells in several shades, the colour bar, text
    # The cells' reds are there (YlOrRd's heavy end), not only the background and text.
    assert any(r > 150 and g < 80 and b < 80 for _, (r, g, b) in colours)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "3.47,6.40,3.35,6.50"}, "bbox"),  # min_lon > max_lon
        ({"bbox": "3.35,6.50,3.47,6.40"}, "bbox"),  # min_lat > max_lat
        ({"bbox": "3.0,6.0,5.5,6.5"}, "bbox"),  # a side over 2 degrees
        ({"bbox": "3.0,6.0,4.9,7.9", "resolution": 9}, "bbox"),  # too many cells for resolution 9
        ({"bbox": "3.35,6.40,3.47"}, "bbox"),
        ({"bbox": "3.35,6.40,3.47,96"}, "bbox"),
        ({"bbox": BOX, "resolution": 10}, "resolution"),
        ({"bbox": BOX, "resolution": 4}, "resolution"),
        ({"bbox": BOX, "category": "alien"}, "category"),
        ({"bbox": BOX, "from_date": "2026-13-01"}, "from_date"),
        ({"bbox": BOX, "to_date": "yesterday"}, "to_date"),
        ({"bbox": BOX, "from_date": "2026-03-02", "to_date": "2026-03-01"}, "from_date"),
        ({"bbox": BOX, "format": "gif"}, "format"),
        ({}, "bbox"),
    ],
)
def test_bad_parameters_answer_400_naming_them(api: Api, params: dict[str, Any], field: str) -> None:
    response = api.client.get(URL, params=params, headers=api.acme)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 400 and body["message"]
    assert [e["field"] for e in body["errors"]] == [field]


def test_the_heatmap_needs_intel_read(api: Api) -> None:
    response = api.client.get(URL, params={"bbox": BOX}, headers=api.key(["incidents:read"]))
    assert response.status_code == 403
    assert api.client.get(URL, params={"bbox": BOX}, headers=api.key(["intel:read"])).status_code == 200
