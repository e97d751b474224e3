"""Property: whatever JSON a client sends to a door, the answer is that door's own 2xx or 4xx, never a 500.

Bodies are arbitrary JSON (lone surrogates, NUL, huge integers, NaN, wrong types, deep nesting) and each
door's valid body with members replaced by such values. The example count is bounded to keep the suite fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from httpx import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.devrev.helpers import DevRev
from tests.factories import Api
from tests.govworx.helpers import SEED
from tests.sonoran.helpers import Sonoran

EXAMPLES = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
JSON = {"Content-Type": "application/json"}

_awkward_text = st.sampled_from(["a\ud800", "\udfff", "\ud83d", "x\x00y", "", " ", "\u2028", "😀", "9" * 400])
_text = st.one_of(st.text(max_size=20), _awkward_text)
_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**70),
    st.integers(min_value=-(2**70), max_value=-(2**63) + 2),
    st.floats(allow_nan=True, allow_infinity=True),
)
_scalars = st.one_of(st.none(), st.booleans(), _numbers, _text)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_text, children, max_size=4)),
    max_leaves=12,
)


def _dumps(value: Any) -> str:
    return json.dumps(value)  # ASCII only: a lone surrogate is sent as its `\ud800` escape


def _deep(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def bodies(template: dict[str, Any]) -> st.SearchStrategy[str]:
    """JSON text for a door: anything at all, its valid body with members changed, or nested deep."""
    names = st.one_of(st.sampled_from(sorted(template)), _text)
    changed = st.dictionaries(names, _values, min_size=1, max_size=4).map(lambda c: _dumps({**template, **c}))
    deep = st.tuples(st.sampled_from(sorted(template)), st.integers(min_value=30, max_value=3000)).map(
        lambda pair: _dumps(template)[:-1] + f', "{pair[0]}x": {_deep(pair[1])}}}'
    )
    whole_deep = st.integers(min_value=30, max_value=3000).map(_deep)
    return st.one_of(_values.map(_dumps), changed, deep, whole_deep)


def _assert_problem(response: Response) -> None:
    assert response.headers["content-type"] == "application/problem+json", response.text
    body = response.json()
    assert body["status"] == response.status_code and body["detail"], body


def _check(response: Response, ok: set[int], error_format: Callable[[Response], None]) -> None:
    assert response.status_code < 500, response.text
    if response.status_code in ok:
        return
    assert 400 <= response.status_code < 500, response.text
    error_format(response)


def test_govworx_upload_never_answers_500(api: Api) -> None:
    @EXAMPLES
    @given(body=bodies({**SEED}))
    def run(body: str) -> None:
        response = api.client.put("/api/v1/external/incident", content=body, headers={**api.acme, **JSON})
        _check(response, {200}, _assert_problem)

    run()


def test_native_create_never_answers_500(api: Api) -> None:
    template = {"category": "sos", "severity": "high", "title": "t", "metadata": {}, "location": {"address": "x"}}

    @EXAMPLES
    @given(body=bodies(template))
    def run(body: str) -> None:
        response = api.client.post("/v1/incidents", content=body, headers={**api.acme, **JSON})
        _check(response, {200, 201}, _assert_problem)

    run()


def test_sonoran_v1_new_dispatch_never_answers_500(sonoran: Sonoran) -> None:
    item = {"serverId": 1, "title": "t", "priority": 2, "origin": 0, "status": 0, "metaData": {}}
    template = {"id": "COMM-A", "key": sonoran.key_a, "type": "NEW_DISPATCH", "data": [item]}

    def v1_text(response: Response) -> None:
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/plain") and response.text

    @EXAMPLES
    @given(body=st.one_of(bodies(template), bodies(item).map(lambda i: _dumps(template)[:-2] + i + "]}")))
    def run(body: str) -> None:
        _check(sonoran.client.post("/emergency/new_dispatch", content=body, headers=JSON), {200}, v1_text)

    run()


def test_sonoran_v2_create_dispatch_call_never_answers_500(sonoran: Sonoran) -> None:
    template = {"origin": 0, "status": 0, "priority": 2, "title": "t", "communityUserIds": [], "metaData": {}}
    headers = {"Authorization": f"Bearer {sonoran.key_a}", **JSON}

    def v2_problem(response: Response) -> None:
        _assert_problem(response)
        assert response.json()["traceId"]

    @EXAMPLES
    @given(body=bodies(template))
    def run(body: str) -> None:
        response = sonoran.client.post("/v2/emergency/servers/1/dispatch-calls", content=body, headers=headers)
        _check(response, {201}, v2_problem)

    run()


def test_devrev_create_never_answers_500(devrev: DevRev) -> None:
    template = {"title": "t", "severity": "sev1", "body": "b", "tags": [], "custom_fields": {}}

    def devrev_error(response: Response) -> None:
        assert response.headers["content-type"].startswith("application/json"), response.text
        body = response.json()
        assert body["type"] and body["message"], body

    @EXAMPLES
    @given(body=bodies(template))
    def run(body: str) -> None:
        _check(
            devrev.client.post("/incidents.create", content=body, headers={**devrev.acme, **JSON}), {201}, devrev_error
        )

    run()
