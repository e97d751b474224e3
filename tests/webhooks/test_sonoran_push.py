"""Sonoran push events: a community's game server hears its calls and units change, in Sonoran's shape."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from incidenthub.cli import app as cli
from incidenthub.config import get_settings
from tests.sonoran.helpers import Sonoran
from tests.webhooks.receiver import Receiver, receiver

runner = CliRunner()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("INCIDENTHUB_DATABASE_URL", database_url)
    monkeypatch.setenv("INCIDENTHUB_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _push_to(slug: str, url: str, key: str | None = None) -> dict[str, object]:
    args = ["tenant", "update", slug, "--sonoran-push-url", url, *(["--sonoran-push-key", key] if key else [])]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    shown: dict[str, object] = json.loads(result.stdout)
    return shown


def _until(hook: Receiver, event_type: str, timeout: float = 15.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        found = [r.json for r in list(hook.received) if r.json["type"] == event_type]
        if found:
            body: dict[str, object] = found[-1]
            return body
        assert time.monotonic() < deadline, hook.types()
        time.sleep(0.02)


def test_a_communitys_game_server_hears_its_calls_and_units(sonoran: Sonoran, cli_env: None) -> None:
    with receiver("/sonorancad/event") as game, receiver("/sonorancad/event") as other_game:
        shown = _push_to("community-a", game.url, "GAME-KEY-A")
        assert shown["sonoran_push_url"] == game.url
        _push_to("community-b", other_game.url, "GAME-KEY-B")

        sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 2, "serverId": 1}])  # the unit logs on
        sonoran.ok("unit_status", [{"apiId": "STEAM:1", "status": 1, "serverId": 1}])  # and goes busy
        status = _until(game, "EVENT_UNIT_STATUS")
        ident = sonoran.ok("get_active_units", [{}]).json()[0]["id"]
        assert status == {"key": "GAME-KEY-A", "type": "EVENT_UNIT_STATUS", "data": {"identIds": [ident], "status": 1}}

        call_id = sonoran.new_call(title="Shots fired", address="Vinewood Blvd", units=["STEAM:1"])
        new = _until(game, "EVENT_DISPATCH_NEW")
        dispatch = new["data"]["dispatch"]  # type: ignore[index]
        assert new["key"] == "GAME-KEY-A" and new["data"]["eventOriginIdent"] is None  # type: ignore[index]
        assert (dispatch["callId"], dispatch["title"], dispatch["address"]) == (call_id, "Shots fired", "Vinewood Blvd")
        assert dispatch == sonoran.call(call_id) | {"notes": dispatch["notes"], "updated": dispatch["updated"]}
        attached = _until(game, "EVENT_DISPATCH_UNIT_ATTACH")
        assert attached["data"] == {"eventOriginIdent": None, "ident": ident, "callId": call_id}

        sonoran.ok("add_call_note", [{"serverId": 1, "callId": call_id, "label": "A-10", "note": "Suspect fled"}])
        note = _until(game, "EVENT_DISPATCH_NOTE")
        assert note["data"]["callId"] == call_id  # type: ignore[index]
        assert note["data"]["note"]["content"] == "Suspect fled" and note["data"]["note"]["label"] == "A-10"  # type: ignore[index]

        sonoran.ok("edit_dispatch", [{"serverId": 1, "callId": call_id, "title": "Shots fired, suspect fled"}])
        deadline = time.monotonic() + 15
        while _until(game, "EVENT_DISPATCH_EDIT")["data"]["dispatch"]["title"] != "Shots fired, suspect fled":  # type: ignore[index]
            assert time.monotonic() < deadline
            time.sleep(0.02)

        sonoran.ok("detach_unit", [{"serverId": 1, "units": ["STEAM:1"]}])
        detached = _until(game, "EVENT_DISPATCH_UNIT_DETACH")
        assert detached["data"] == {"eventOriginIdent": None, "ident": ident, "callId": call_id}

        sonoran.ok("close_call", [{"serverId": 1, "callId": call_id}])
        closed = _until(game, "EVENT_DISPATCH_CLOSED")
        assert closed == {
            "key": "GAME-KEY-A",
            "type": "EVENT_DISPATCH_CLOSED",
            "data": {"eventOriginIdent": None, "callIds": [call_id]},
        }

        sonoran.ok(
            "call_911",
            [{"serverId": 1, "isEmergency": True, "caller": "Jane", "location": "Pier", "description": "Help"}],
        )
        [emergency] = _until(game, "EVENT_911")["data"]  # type: ignore[misc]
        assert emergency["call"]["caller"] == "Jane" and emergency["call"]["location"] == "Pier"

        # Community B's server heard nothing of community A.
        time.sleep(0.3)
        assert other_game.received == []
        assert all(r.json["key"] == "GAME-KEY-A" for r in game.received)
        # No signature headers on a Sonoran push (Sonoran has none), but the id to deduplicate by.
        assert "webhook-signature" not in game.received[0].headers and game.received[0].headers["webhook-id"]


def test_the_push_url_is_checked_changed_and_removed(sonoran: Sonoran, cli_env: None) -> None:
    refused = runner.invoke(
        cli,
        [
            "tenant",
            "update",
            "community-a",
            "--sonoran-push-url",
            "http://10.0.0.5:30120/sonorancad/event",
            "--sonoran-push-key",
            "k",
        ],
    )
    assert refused.exit_code == 2 and "internal address" in refused.output
    keyless = runner.invoke(
        cli, ["tenant", "update", "community-a", "--sonoran-push-url", "http://127.0.0.1:30120/sonorancad/event"]
    )
    assert keyless.exit_code == 2 and "--sonoran-push-key" in keyless.output
    assert _push_to("community-a", "http://127.0.0.1:30120/sonorancad/event", "k")["sonoran_push_url"]
    moved = _push_to("community-a", "http://127.0.0.1:30121/sonorancad/event")
    assert moved["sonoran_push_url"] == "http://127.0.0.1:30121/sonorancad/event"
    listed = sonoran.client.get("/v1/webhooks", headers={"Authorization": f"Bearer {sonoran.key('*')}"}).json()
    assert [(w["kind"], w["url"]) for w in listed["data"]] == [("sonoran", "http://127.0.0.1:30121/sonorancad/event")]
    push_id = listed["data"][0]["webhook_id"]
    manager = {"Authorization": f"Bearer {sonoran.key(['webhooks:manage'])}"}
    for action in ("test", "rotate-secret"):  # no ping and no signing secret in Sonoran's protocol
        refused = sonoran.client.post(f"/v1/webhooks/{push_id}/{action}", headers=manager)
        assert refused.status_code == 409 and "Sonoran push endpoint" in refused.json()["message"]
    assert _push_to("community-a", "")["sonoran_push_url"] is None
    listed = sonoran.client.get("/v1/webhooks", headers={"Authorization": f"Bearer {sonoran.key('*')}"}).json()
    assert listed["total"] == 0
