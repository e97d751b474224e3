"""`incidenthub worker`: the delivery worker alone, beside servers that do not run one."""

from __future__ import annotations

import signal
import subprocess

from incidenthub.config import Settings
from incidenthub.db import Database
from tests.factories import Api
from tests.serving import INCIDENTHUB, user_env
from tests.webhooks.conftest import FAST, app_with
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import subscribe


def test_the_worker_command_delivers_and_stops_on_sigterm(
    settings: Settings, database: Database, hook: Receiver
) -> None:
    with app_with(settings, webhook_worker=False) as client:
        api = Api(client, database)
        webhook = subscribe(api, hook.url)
        incident_id = api.create_id()
    env = user_env(settings.database_url)
    env.update({f"INCIDENTHUB_{name.upper()}": str(value) for name, value in FAST.items()})
    worker = subprocess.Popen(
        [INCIDENTHUB, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        [request] = hook.wait_for(1, timeout=30)
        assert request.json["incident_id"] == incident_id and request.json["type"] == "incident.created"
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "webhook delivery worker started" in output
    with app_with(settings, webhook_worker=False) as client:
        found = client.get(f"/v1/webhooks/{webhook['webhook_id']}/deliveries", headers=api.acme).json()["data"]
        assert [d["status"] for d in found] == ["delivered"]
