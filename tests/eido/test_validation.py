"""NENA's schema as the door loads it, and JSON pointers, without HTTP or a database."""

from __future__ import annotations

import pytest

from incidenthub.adapters.eido import mapping, validation
from incidenthub.errors import Invalid
from tests.eido.test_import import nena


def test_the_published_schema_is_loaded_with_its_two_defects_repaired() -> None:
    agent = validation.schema()["components"]["schemas"]["AgentType"]["allOf"][1]
    assert agent["properties"]["agentRoleRegistryText"]["minItems"] == 1  # published as the string "1,"
    person = validation.schema()["components"]["schemas"]["PersonInformationType"]["allOf"][1]
    assert person["properties"]["ncPersonComponent"] == {"type": "object"}  # NIEM: not published with it
    assert validation.problems(nena()) == []


def test_pointers_escape_tilde_and_slash() -> None:
    assert validation.pointer(["a/b", "c~d", 0]) == "/a~1b/c~0d/0"
    assert validation.pointer([]) == ""


def test_a_missing_member_is_named_where_it_belongs() -> None:
    document = nena()
    del document["agencyComponent"][1]["agencyType"]
    fields = [error.field for error in validation.problems(document)]
    assert fields == ["/agencyComponent/1/agencyType"]


def test_the_command_maps_a_unit_known_only_by_its_current_status() -> None:
    command = mapping.to_command(mapping.check(nena()))
    medic = next(r for r in command.responders if r.unit_name == "MEDIC 3")
    assert medic.enroute_at is not None and medic.arrived_at is None and medic.person is None
    assert command.source == "eido" and command.raw["vehicleComponent"]  # unmapped components kept in the raw payload


def test_an_array_that_is_not_a_document_is_refused_at_the_root() -> None:
    with pytest.raises(Invalid) as refused:
        mapping.check([nena()])
    assert [e.field for e in refused.value.errors] == [""]
