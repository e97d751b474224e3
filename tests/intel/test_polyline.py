"""Google's encoded polyline decoder, on Google's published example, and its errors."""

from __future__ import annotations

import pytest

from incidenthub.intel import polyline

GOOGLE_EXAMPLE = "_p~iF~ps|U_ulLnnqC_mqNvxq`@"


def test_decodes_googles_published_example() -> None:
    assert polyline.decode(GOOGLE_EXAMPLE) == [(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]


def test_encode_is_the_inverse_of_decode() -> None:
    points = [(6.5244, 3.3792), (6.53, 3.38), (-33.86785, 151.20732), (0.0, 0.0)]
    assert polyline.encode(points) == polyline.encode(polyline.decode(polyline.encode(points)))
    assert polyline.decode(polyline.encode(points)) == points
    assert polyline.encode([(38.5, -120.2), (40.7, -120.95), (43.252, -126.453)]) == GOOGLE_EXAMPLE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("_p~iF ~ps|U", "position 5"),  # a space is below the alphabet
        ("_p~iF~ps|U_ulL", "latitude without its longitude"),
        ("_p~iF~ps|", "middle of a value"),  # the last chunk still says "more follows"
        ("~~~~~~~~~~~~~~~~?", "too long"),
        ("_ye~O?_ye~O?", "not on the globe"),  # 89° north twice: 178°
    ],
)
def test_text_that_is_not_a_polyline_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(polyline.PolylineError, match=reason):
        polyline.decode(text)
