"""The incident lifecycle (incidents/changes.py) on in-memory incidents: no HTTP, no database."""

from __future__ import annotations

import pytest

from incidenthub.errors import Conflict
from incidenthub.incidents import changes
from incidenthub.models import Incident


def incident(status: str = "created") -> Incident:
    return Incident(id="inc_test", tenant_id="ten_test", status=status, revision=1, timeline=[])


def test_the_lifecycle_moves_forward_one_or_more_steps() -> None:
    record = incident()
    changes.transition(record, "assigned")
    changes.transition(record, "on_scene")
    assert record.status == "on_scene" and record.revision == 3
    assert [(e.event, (e.data or {}).get("from")) for e in record.timeline] == [
        ("assigned", "created"),
        ("on_scene", "assigned"),
    ]


@pytest.mark.parametrize(("current", "target"), [("assigned", "created"), ("on_scene", "on_scene")])
def test_it_never_moves_back_or_stays(current: str, target: str) -> None:
    record = incident(current)
    with pytest.raises(Conflict):
        changes.transition(record, target)
    assert record.status == current and record.timeline == []


@pytest.mark.parametrize("final", sorted(changes.FINAL))
def test_final_states_are_final(final: str) -> None:
    record = incident(final)
    with pytest.raises(Conflict):
        changes.transition(record, "responding")
    with pytest.raises(Conflict):
        changes.cancel(record, "no")
    assert not changes.is_active(record)


def test_resolving_stamps_the_time_and_a_default_outcome() -> None:
    record = incident("on_scene")
    changes.transition(record, "resolved", resolution_notes="patient transported")
    assert record.resolved_at is not None and record.resolution_outcome == "handled"
    assert record.timeline[-1].data == {"from": "on_scene", "resolution_outcome": "handled"}


def test_units_advance_the_status_but_never_back_and_never_out_of_a_final_state() -> None:
    record = incident()
    assert changes.advance(record, "responding") and record.status == "responding"
    assert not changes.advance(record, "assigned") and record.status == "responding"
    record.status = "cancelled"
    assert not changes.advance(record, "on_scene") and record.status == "cancelled"


def test_advancing_to_assigned_stamps_the_dispatch_time_once() -> None:
    record = incident()
    changes.advance(record, "assigned")
    assert record.dispatched_at is not None


def test_a_cad_close_resolves_an_open_incident_and_keeps_a_cancelled_one_cancelled() -> None:
    open_call = incident("responding")
    changes.close(open_call)
    assert open_call.status == "resolved" and open_call.closed_at is not None
    cancelled = incident("cancelled")
    changes.close(cancelled)
    assert cancelled.status == "cancelled" and cancelled.closed_at is not None


def test_only_canonical_field_names_pass() -> None:
    changes.check_names({"radio_channel": "TAC-1"})
    with pytest.raises(TypeError, match="radio_chanel"):
        changes.check_names({"radio_chanel": "TAC-1"})


def test_apply_records_only_real_changes() -> None:
    record = incident()
    record.priority = "1"
    assert changes.apply(record, {"priority": "1"}) == []
    assert record.revision == 1 and record.timeline == []
    assert changes.apply(record, {"priority": "2", "agency": "FIRE"}) != []
    assert record.revision == 2 and set(record.timeline[0].data["changed"]) >= {"priority", "agency"}
