"""DevRev's opaque cursors, without HTTP or a database: round trips, and forged or foreign ones refused."""

from __future__ import annotations

import base64
import json

import pytest

from incidenthub.adapters.devrev.errors import DevRevError
from incidenthub.adapters.devrev.query import MAX_OFFSET, decode_cursor, decode_offset, encode_cursor, encode_offset

SORT = ["created_date:desc"]


@pytest.mark.parametrize("forward", [True, False])
def test_a_cursor_round_trips(forward: bool) -> None:
    cursor = encode_cursor(["2026-01-06T10:25:00Z", "inc_x"], forward, SORT)
    assert "=" not in cursor  # URL-safe, unpadded
    assert decode_cursor(cursor, SORT) == (["2026-01-06T10:25:00Z", "inc_x"], forward)


def test_a_cursor_of_another_sort_order_is_refused() -> None:
    cursor = encode_cursor([1], True, SORT)
    with pytest.raises(DevRevError) as caught:
        decode_cursor(cursor, ["title:asc"])
    assert caught.value.members.get("field_name") == "cursor" or "cursor" in caught.value.detail


@pytest.mark.parametrize(
    "forged",
    [
        "not-base64!!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"p": 1, "d": "after", "s": SORT}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"p": [1], "d": "sideways", "s": SORT}).encode()).decode(),
    ],
)
def test_forged_cursors_are_refused(forged: str) -> None:
    with pytest.raises(DevRevError):
        decode_cursor(forged, SORT)


def test_group_offsets_round_trip_within_bounds() -> None:
    assert decode_offset(encode_offset(40)) == 40
    for bad in (encode_offset(MAX_OFFSET + 1), encode_offset(-1), "garbage"):
        with pytest.raises(DevRevError):
            decode_offset(bad)
