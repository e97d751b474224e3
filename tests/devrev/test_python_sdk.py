"""The community Python SDK (`devrev-python-sdk`), unchanged but for base URL and key, against a live server.

Its config refuses `http://` base URLs, so the server speaks TLS with a throwaway self-signed
certificate that the SDK's httpx trusts through `SSL_CERT_FILE`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from devrev import DevRevClient
from devrev.config import APIVersion
from devrev.exceptions import AuthenticationError, NotFoundError, ValidationError
from devrev.models.incidents import IncidentSeverity, IncidentStage

from incidenthub.config import Settings
from incidenthub.db import Database
from tests.devrev.live import self_signed, serve
from tests.factories import make_key, make_tenant


@pytest.fixture
def sdk(
    settings: Settings, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DevRevClient]:
    tls = self_signed(tmp_path)
    if tls is None:
        pytest.skip("openssl is not installed: cannot make the TLS certificate the SDK needs")
    make_tenant(database, "acme")
    key = make_key(database, "acme", ["incidents:read", "incidents:write"])
    monkeypatch.setenv("SSL_CERT_FILE", str(tls[0]))
    for name in ("DEVREV_API_TOKEN", "DEVREV_BASE_URL", "DEVREV_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    with serve(settings, tls) as base_url:
        client = DevRevClient(api_token=key, base_url=base_url, api_version=APIVersion.BETA)
        try:
            yield client
        finally:
            client.close()


def test_create_get_list_update_delete(sdk: DevRevClient) -> None:
    created = sdk.incidents.create(
        title="Checkout down",
        body="5xx on /checkout",
        severity=IncidentSeverity.SEV1,
        owned_by=["DEVU-1"],
        applies_to_parts=["PROD-1"],
    )
    assert created.id.startswith("don:core:incidenthub:devo/acme:incident/")
    assert created.display_id == "INC-1" and created.title == "Checkout down"
    assert created.severity is not None and created.severity.label == "Sev1"  # type: ignore[union-attr]

    fetched = sdk.incidents.get(created.id)
    assert fetched.id == created.id and fetched.body == "5xx on /checkout"
    assert fetched.owned_by is not None and fetched.owned_by[0]["id"] == "DEVU-1"

    for n in range(3):
        sdk.incidents.create(title=f"other {n}", severity=IncidentSeverity.SEV3)
    first = sdk.incidents.list(limit=2)
    assert len(first.incidents) == 2 and first.next_cursor
    rest = sdk.incidents.list(limit=2, cursor=first.next_cursor)
    ids = [i.id for i in first.incidents + rest.incidents]
    assert len(set(ids)) == 4 and rest.next_cursor is None
    filtered = sdk.incidents.list(severity=[IncidentSeverity.SEV1], stage=[IncidentStage.ACKNOWLEDGED])
    assert [i.id for i in filtered.incidents] == [created.id]

    updated = sdk.incidents.update(
        created.id, title="Checkout degraded", stage=IncidentStage.IDENTIFIED, severity=IncidentSeverity.SEV2
    )
    assert updated.title == "Checkout degraded"
    assert updated.stage.stage.name == "identified"  # type: ignore[union-attr]
    assert updated.severity.label == "Sev2"  # type: ignore[union-attr]

    sdk.incidents.delete(created.id)
    with pytest.raises(NotFoundError):
        sdk.incidents.get(created.id)


def test_errors_reach_the_sdk_as_its_exceptions(sdk: DevRevClient) -> None:
    with pytest.raises(NotFoundError):
        sdk.incidents.update("INC-404", title="x")
    created = sdk.incidents.create(title="t")
    sdk.incidents.update(created.id, stage=IncidentStage.RESOLVED)
    with pytest.raises(ValidationError) as raised:
        sdk.incidents.update(created.id, stage=IncidentStage.IDENTIFIED)  # resolved -> identified is not allowed
    assert raised.value.status_code == 400


def test_a_wrong_key_is_authentication_error(sdk: DevRevClient, settings: Settings) -> None:
    base_url = str(sdk._config.base_url)
    with DevRevClient(api_token="ih_not_a_key", base_url=base_url, api_version=APIVersion.BETA) as stranger:
        with pytest.raises(AuthenticationError):
            stranger.incidents.list()
