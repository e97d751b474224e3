"""GovWorx's upload -> the canonical command, without HTTP or a database: times, DST, fallbacks, refusals."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from incidenthub.adapters.govworx.mapping import parse_upload, to_command
from incidenthub.errors import Invalid
from incidenthub.incidents.commands import SourceIncident

SEED: dict[str, Any] = json.loads((Path(__file__).parent.parent / "data" / "govworx_seed_example.json").read_text())
NEW_YORK = ZoneInfo("America/New_York")


def command(changes: dict[str, Any] | None = None, local: ZoneInfo | None = None) -> SourceIncident:
    raw = copy.deepcopy(SEED)
    raw.update(changes or {})
    return to_command(parse_upload(raw), raw, local)


def test_the_vendor_example_maps_to_a_resolved_incident_in_utc() -> None:
    result = command()
    fields = result.fields
    assert (result.source, result.external_id) == ("govworx", "INC-2026-001234")
    assert fields["status"] == "resolved"
    assert fields["closed_at"] == fields["resolved_at"] == datetime(2026, 1, 6, 11, 45, tzinfo=UTC)
    assert fields["call_received_at"] == datetime(2026, 1, 6, 10, 23, tzinfo=UTC)
    assert fields["call_picked_up_at"] == datetime(2026, 1, 6, 10, 23, 15, tzinfo=UTC)
    assert fields["address"] == "123"  # the example sends the location as a number
    assert fields["dispatched_at"] == datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)  # the first responder's
    assert result.related_external_ids == ["INC-2026-001233"]
    assert result.call_taker is not None and result.call_taker.first_name == "Jane"
    assert result.raw["callerName"] == "John Smith"  # the payload is kept whole


def test_closed_at_is_required_gov_worx_uploads_closed_calls() -> None:
    with pytest.raises(Invalid) as caught:
        command({"closedAt": None})
    assert [e.field for e in caught.value.errors] == ["closedAt"]


def test_call_times_fall_back_to_the_incident_date_then_to_each_other() -> None:
    neither = command({"callReceivedTime": None, "callPickupTime": None}).fields
    assert neither["call_received_at"] == neither["call_picked_up_at"] == datetime(2026, 1, 6, 10, 25, tzinfo=UTC)
    received_only = command({"callPickupTime": None}).fields
    assert received_only["call_picked_up_at"] == received_only["call_received_at"]


def test_local_times_follow_the_tenants_zone_across_dst() -> None:
    # Standard time (UTC-5) and daylight time (UTC-4).
    winter = command({"callReceivedTime": "2026-01-06T10:23:00"}, NEW_YORK).fields
    assert winter["call_received_at"] == datetime(2026, 1, 6, 15, 23, tzinfo=UTC)
    summer = command({"callReceivedTime": "2026-07-06T10:23:00"}, NEW_YORK).fields
    assert summer["call_received_at"] == datetime(2026, 7, 6, 14, 23, tzinfo=UTC)
    # The hour that happens twice (fall-back, 1 Nov 2026): the first occurrence, still daylight time.
    twice = command({"callReceivedTime": "2026-11-01T01:30:00"}, NEW_YORK).fields
    assert twice["call_received_at"] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    # The hour that never happens (spring-forward, 8 Mar 2026): read with the offset before the change.
    skipped = command({"callReceivedTime": "2026-03-08T02:30:00"}, NEW_YORK).fields
    assert skipped["call_received_at"] == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    # An explicit offset always wins over the zone.
    explicit = command({"callReceivedTime": "2026-01-06T10:23:00+01:00"}, NEW_YORK).fields
    assert explicit["call_received_at"] == datetime(2026, 1, 6, 9, 23, tzinfo=UTC)


def test_offsetless_times_are_utc_by_default() -> None:
    assert command({"callReceivedTime": "2026-01-06T10:23:00"}).fields["call_received_at"] == datetime(
        2026, 1, 6, 10, 23, tzinfo=UTC
    )


def test_every_unreadable_time_is_named_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        command({"callReceivedTime": "2026-01-06", "closedAt": "1850-01-01T00:00:00Z"})
    assert {e.field for e in caught.value.errors} == {"callReceivedTime", "closedAt"}


def test_a_responder_needs_a_person_or_a_unit() -> None:
    with pytest.raises(Invalid) as caught:
        command({"responders": [{"dispatchedAt": "2026-01-06T10:30:00Z"}]})
    assert [e.field for e in caught.value.errors] == ["responders.0"]


def test_empty_notes_are_skipped_and_a_repeated_note_counts_once() -> None:
    note = {"noteId": "n1", "note": "on scene", "noteBy": "D1", "noteAt": "2026-01-06T10:40:00Z"}
    result = command({"notes": [note, {**note}, {"noteId": "n2", "note": ""}]})
    assert [n.text for n in result.notes] == ["on scene"]


def test_a_missing_required_field_is_named() -> None:
    raw = copy.deepcopy(SEED)
    del raw["sysId"]
    with pytest.raises(Invalid) as caught:
        parse_upload(raw)
    assert "sysId" in {e.field for e in caught.value.errors}
