"""GET /v1/analytics/charts/{name}.png over HTTP, and the database's histogram of answer times behind the first
chart: a valid PNG of the stated size drawn from the tenant's own incidents only, with the documented errors."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from incidenthub.analytics import charts, report
from incidenthub.analytics.figures_repository import FiguresRepository
from incidenthub.analytics.period import period_of
from incidenthub.clock import utcnow
from tests.analytics.figures import DAY, call, get, upload_all
from tests.factories import bearer, make_key
from tests.govworx.helpers import GovWorx

PERIOD = {"from_date": "2026-02-01", "to_date": "2026-02-28"}


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def pixels_near(image: Image.Image, colour: str, tolerance: int = 12) -> int:
    """How many pixels of the image are within `tolerance` of the colour on every channel."""
    want = _rgb(colour)
    rgb = image.convert("RGB")
    return sum(
        count
        for count, pixel in rgb.getcolors(rgb.width * rgb.height) or []
        if all(abs(a - b) <= tolerance for a, b in zip(pixel, want, strict=True))
    )


def png_of(gw: GovWorx, name: str, headers: dict[str, str] | None = None) -> Image.Image:
    response = get(gw, f"/v1/analytics/charts/{name}.png", headers=headers, **PERIOD)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def _answered(gw: GovWorx, seconds: list[float], prefix: str, headers: dict[str, str] | None = None) -> None:
    upload_all(
        gw,
        [call(f"{prefix}{i}", DAY + timedelta(minutes=i), s, callTakerId=f"CT-{i % 2}") for i, s in enumerate(seconds)],
        headers=headers,
    )


def test_answer_times_are_counted_per_second_in_the_database_for_the_tenant_only(gw: GovWorx) -> None:
    # Bucket k holds (k - 1, k] s: 15 s is in 15 (within NENA's 15 s), 15.001 s in 16; 75 s past the chart's end.
    _answered(gw, [0.5, 15, 15, 15.001, 61, 75], "A")
    _answered(gw, [3, 3, 3], "B", headers=gw.other)  # another tenant's calls
    with gw.database.read_sessions() as session:
        metro = session.execute(_tenant_id_sql(), {"slug": "metro"}).scalar_one()
        period = period_of(PERIOD["from_date"], PERIOD["to_date"], "America/Chicago", utcnow())
        buckets = FiguresRepository(session).histogram(metro, period, "call_answer", 1000)
    assert buckets == [(1, 1), (15, 2), (16, 1), (61, 1), (75, 1)]


def _tenant_id_sql() -> Any:
    from sqlalchemy import text

    return text("SELECT id FROM tenants WHERE slug = :slug")


def test_each_chart_is_a_png_of_the_stated_size(gw: GovWorx) -> None:
    _answered(gw, [5, 8, 12, 14, 15, 18, 22, 40, 70], "A")
    for name in charts.CHARTS:
        assert png_of(gw, name).size == (charts.WIDTH_PX, charts.HEIGHT_PX)
    for prefix in ("/v1/external", "/v1"):
        response = get(gw, f"{prefix}/analytics/charts/answer-times.png", **PERIOD)
        assert response.status_code == 200, response.text


def test_the_answer_times_chart_draws_bars_and_the_15_s_and_20_s_lines_from_the_tenants_calls(gw: GovWorx) -> None:
    _answered(gw, [5, 8, 12, 14, 15, 18, 22, 40, 70], "A")
    _answered(gw, [3] * 20, "B", headers=gw.other)
    mine = png_of(gw, "answer-times")
    assert pixels_near(mine, charts.BARS) > 2000  # the bars
    assert pixels_near(mine, charts.OVERFLOW) > 100  # the 70 s call, past 60 s
    assert pixels_near(mine, charts.LINE_COLOURS[15]) > 300 and pixels_near(mine, charts.LINE_COLOURS[20]) > 300
    # The other tenant's chart has its 20 calls and none of metro's: no overflow bar (metro's 70 s call).
    theirs = png_of(gw, "answer-times", headers=bearer(make_key(gw.database, "other", ["analytics:read"])))
    assert pixels_near(theirs, charts.BARS) > 500
    assert pixels_near(theirs, charts.OVERFLOW) == 0


def test_an_empty_period_draws_no_bars(gw: GovWorx) -> None:
    image = png_of(gw, "answer-times")
    assert pixels_near(image, charts.BARS) == 0
    assert pixels_near(image, charts.LINE_COLOURS[15]) > 300  # the target lines still show


def test_analytics_read_is_needed(gw: GovWorx) -> None:
    path = "/v1/analytics/charts/answer-times.png"
    assert get(gw, path, headers={}, **PERIOD).status_code == 401
    response = get(gw, path, headers=bearer(make_key(gw.database, "metro", ["incidents:read"])), **PERIOD)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_chart_is_404_in_problem_json(gw: GovWorx) -> None:
    response = get(gw, "/v1/analytics/charts/pie.png", **PERIOD)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["errors"][0]["field"] == "name" and "answer-times" in body["detail"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from_date": "2026-13-01"}, "from_date"),
        ({"to_date": "2026-02-30"}, "to_date"),
        ({"from_date": "2026-03-01", "to_date": "2026-02-01"}, "from_date"),
    ],
)
def test_a_bad_period_is_400_naming_the_parameter(gw: GovWorx, params: dict[str, str], field: str) -> None:
    response = get(gw, "/v1/analytics/charts/p90-by-hour.png", **params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


def _gathered(gw: GovWorx, name: str) -> dict[str, Any]:
    with gw.database.read_sessions() as session:
        metro = session.execute(_tenant_id_sql(), {"slug": "metro"}).scalar_one()
        return report.gather(session, metro, PERIOD["from_date"], PERIOD["to_date"], utcnow(), parts=(name,))


def test_call_takers_worst_first_with_their_p90_and_share_within_15_s(gw: GovWorx) -> None:
    def taker(ident: str, name: str, seconds: list[float], prefix: str) -> list[dict[str, Any]]:
        return [
            call(f"{prefix}{i}", DAY + timedelta(minutes=i), s, callTakerId=ident, callTakerName=name)
            for i, s in enumerate(seconds)
        ]

    upload_all(
        gw,
        taker("CT-1", "Ann Able", [5] * 10, "A")  # all within: 100 %, p90 5 s
        + taker("CT-2", "Bo Baker", [10] * 8 + [16, 30], "B")  # 80 %, p90 16 s
        + taker("CT-3", "Cy Cole", [12] * 5 + [40] * 5, "C"),  # 50 %, p90 40 s
    )
    rows = charts.taker_rows(_gathered(gw, "call-takers"))
    assert [(r["name"], r["count"], r["p90"], r["within_15"]) for r in rows] == [
        ("Cy Cole (CT-3)", 10, 40, 50.0),
        ("Bo Baker (CT-2)", 10, 16, 80.0),
        ("Ann Able (CT-1)", 10, 5, 100.0),
    ]


def test_p90_by_hour_is_the_calls_local_hour(gw: GovWorx) -> None:
    # 15:00 UTC on 2026-02-10 is 09:00 in America/Chicago; 30 s answered at 23:30 local is in hour 23.
    _answered(gw, [4, 6, 8], "A")
    upload_all(gw, [call("L1", DAY + timedelta(hours=14, minutes=30), 30)])
    hours = {g["group"]: g for g in _gathered(gw, "p90-by-hour")["by_hour"]["groups"]}
    assert set(hours) == {"09", "23"}
    assert [leg["p90"] for leg in hours["09"]["legs"] if leg["leg"] == "call_answer"] == [8]
    assert [leg["p90"] for leg in hours["23"]["legs"] if leg["leg"] == "call_answer"] == [30]
