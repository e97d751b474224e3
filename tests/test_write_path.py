"""The write path: writes queued together commit together; one failing write spoils none of the others."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from incidenthub.auth import service as auth_service
from incidenthub.db import Database, WritePath
from incidenthub.errors import Conflict
from incidenthub.incidents import batch
from incidenthub.incidents.commands import SourceIncident
from incidenthub.models import Incident, Tenant, TimelineEvent
from tests.writes import WAIT_SECONDS


def _tenant(slug: str):  # type: ignore[no-untyped-def]
    def work(session):  # type: ignore[no-untyped-def]
        return auth_service.create_tenant(session, name=slug, slug=slug).id

    return work


def _refuse(session):  # type: ignore[no-untyped-def]
    auth_service.create_tenant(session, name="half", slug="half-written")  # written, then undone
    raise Conflict("refused on purpose")


def _count(database: Database) -> int:
    with database.read_sessions() as session:
        return session.scalar(select(func.count()).select_from(Tenant)) or 0


def test_a_failing_write_in_a_batch_leaves_the_others_committed(database: Database) -> None:
    writes = WritePath(database)
    # Queued before the writer starts, so all five land in one batch.
    futures = [writes.submit(_tenant(f"t{i}")) for i in range(2)]
    failing = writes.submit(_refuse)
    futures += [writes.submit(_tenant(f"t{i}")) for i in range(2, 4)]
    writes.start()
    try:
        ids = [future.result(timeout=WAIT_SECONDS) for future in futures]
        with pytest.raises(Conflict):
            failing.result(timeout=WAIT_SECONDS)
    finally:
        writes.stop()
    assert len(set(ids)) == 4
    assert _count(database) == 4
    assert writes.batches == 1
    with database.read_sessions() as session:
        assert session.scalar(select(Tenant).where(Tenant.slug == "half-written")) is None


def test_a_write_that_must_run_alone_gets_its_own_transaction(database: Database) -> None:
    writes = WritePath(database)
    first = writes.submit(_tenant("a"))
    alone = writes.submit(_tenant("b"), alone=True)
    last = writes.submit(_tenant("c"))
    writes.start()
    try:
        for future in (first, alone, last):
            future.result(timeout=WAIT_SECONDS)
    finally:
        writes.stop()
    assert writes.batches == 3
    assert _count(database) == 3


def _command(sys_id: str) -> SourceIncident:
    return SourceIncident(source="govworx", external_id=sys_id, fields={"number": sys_id}, raw={"sysId": sys_id})


def test_a_failing_upsert_in_a_set_based_batch_leaves_the_others_committed(database: Database) -> None:
    with database.transaction() as session:
        tenant_id = auth_service.create_tenant(session, name="acme", slug="acme").id
    writes = WritePath(database)
    writes.register(batch.UPSERT, batch.upsert_many)
    futures = [writes.submit_batched(batch.UPSERT, batch.Upsert(tenant_id, _command(f"S{i}"))) for i in range(3)]
    # A tenant that does not exist: its insert breaks a foreign key, so the set-based insert of all four fails.
    failing = writes.submit_batched(batch.UPSERT, batch.Upsert("ten_missing", _command("BAD")))
    futures.append(writes.submit_batched(batch.UPSERT, batch.Upsert(tenant_id, _command("S3"))))
    writes.start()
    try:
        written = [future.result(timeout=WAIT_SECONDS) for future in futures]
        with pytest.raises(IntegrityError):
            failing.result(timeout=WAIT_SECONDS)
    finally:
        writes.stop()
    assert all(w.result.created for w in written)
    assert writes.batches == 1
    with database.read_sessions() as session:
        numbers = session.scalars(select(Incident.number).order_by(Incident.number)).all()
        events = session.scalar(select(func.count()).select_from(TimelineEvent))
    assert numbers == ["S0", "S1", "S2", "S3"]
    assert events == 4
