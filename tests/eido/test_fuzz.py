"""Arbitrary JSON at the EIDO import never answers 500: NENA's example with members changed, anything, deep nesting."""

from __future__ import annotations

import json

from hypothesis import given

from tests.eido.helpers import IMPORT, Eido
from tests.eido.test_import import NENA
from tests.test_doors_fuzz import EXAMPLES, JSON, _assert_problem, _check, bodies


def _with(member: str, text: str, as_list: bool = False) -> str:
    """NENA's example with `member` replaced by the JSON `text` (spliced as text: it may nest too deep to parse)."""
    rest = json.dumps({key: value for key, value in NENA.items() if key != member})
    return f'{rest[:-1]}, "{member}": {"[" + text + "]" if as_list else text}}}'


def test_eido_import_never_answers_500(eido: Eido) -> None:
    headers = {**eido.headers, **JSON}

    @EXAMPLES
    @given(body=bodies(NENA))
    def anything(body: str) -> None:
        _check(eido.client.post(IMPORT, content=body, headers=headers), {200, 201}, _assert_problem)

    @EXAMPLES
    @given(body=bodies(NENA["emergencyResourceComponent"][0]))
    def one_unit(body: str) -> None:  # a changed unit inside an otherwise valid document
        content = _with("emergencyResourceComponent", body, as_list=True)
        _check(eido.client.post(IMPORT, content=content, headers=headers), {200, 201}, _assert_problem)

    @EXAMPLES
    @given(body=bodies(NENA["incidentComponent"]))
    def incident(body: str) -> None:  # a changed incident component
        content = _with("incidentComponent", body)
        _check(eido.client.post(IMPORT, content=content, headers=headers), {200, 201}, _assert_problem)

    anything()
    one_unit()
    incident()
