"""Every query over tenants and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Engine, Table, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from incidenthub.models import ApiKey, RateCounter, Tenant, TenantCounter


class TenantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Tenant)) or 0

    def by_slug(self, slug: str) -> Tenant | None:
        return self.session.scalar(select(Tenant).where(Tenant.slug == slug))

    def by_sonoran_community_id(self, community_id: str) -> Tenant | None:
        return self.session.scalar(select(Tenant).where(Tenant.sonoran_community_id == community_id))

    def all(self) -> list[Tenant]:
        return list(self.session.scalars(select(Tenant).order_by(Tenant.created_at, Tenant.slug)))

    def add(self, tenant: Tenant) -> Tenant:
        self.session.add(tenant)
        self.session.flush()
        return tenant

    def next_number(self, tenant_id: str, counter: str) -> int:
        """The next value (1, 2, ...) of a named per-tenant counter; concurrent callers never share one."""
        return self.next_numbers(tenant_id, counter, 1)[0]

    def next_numbers(self, tenant_id: str, counter: str, count: int) -> list[int]:
        """The next `count` values of a named per-tenant counter, reserved in one update."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        # One statement whether or not the counter exists yet (it is taken on every write with events).
        statement = insert(TenantCounter).values(tenant_id=tenant_id, name=counter, value=count)
        value = self.session.scalar(
            statement.on_conflict_do_update(
                index_elements=[TenantCounter.tenant_id, TenantCounter.name],
                set_={"value": TenantCounter.value + count},
            ).returning(TenantCounter.value)
        )
        assert value is not None  # noqa: S101 - the row was just ensured
        return list(range(int(value) - count + 1, int(value) + 1))


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_prefix(self, prefix: str) -> tuple[ApiKey, Tenant] | None:
        row = self.session.execute(
            select(ApiKey, Tenant).join(Tenant, Tenant.id == ApiKey.tenant_id).where(ApiKey.prefix == prefix)
        ).first()
        return None if row is None else (row[0], row[1])

    def with_tenant(self, key_id: str) -> tuple[ApiKey, Tenant] | None:
        """A key and its tenant, in one query."""
        row = self.session.execute(
            select(ApiKey, Tenant).join(Tenant, Tenant.id == ApiKey.tenant_id).where(ApiKey.id == key_id)
        ).first()
        return None if row is None else (row[0], row[1])

    def get(self, key_id: str) -> ApiKey | None:
        return self.session.get(ApiKey, key_id)

    def of_tenant(self, tenant_id: str) -> list[ApiKey]:
        """A tenant's keys, newest first."""
        newest_first = (ApiKey.created_at.desc(), ApiKey.id.desc())
        return list(self.session.scalars(select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(*newest_first)))

    def any_usable(self, now: datetime) -> bool:
        """Whether some key is neither revoked nor expired."""
        usable = select(ApiKey.id).where(
            ApiKey.revoked_at.is_(None), (ApiKey.expires_at.is_(None)) | (ApiKey.expires_at > now)
        )
        return self.session.scalar(usable.limit(1)) is not None

    def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        self.session.flush()
        return key

    def touch(self, key_id: str, when: datetime) -> None:
        self.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=when))


class RateCounterRepository:
    """Fixed-window counters, one row per bucket: a new window resets the row in place (no row per window)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def create_table(engine: Engine) -> None:
        """The counters' table in a database of their own (SQLite's side file); every process may race to it."""
        with engine.begin() as connection:
            connection.execute(CreateTable(cast(Table, RateCounter.__table__), if_not_exists=True))

    def add(self, amounts: dict[str, int], window_start: datetime) -> dict[str, int]:
        """Add to each bucket's count in this window (starting it afresh if its window is older); the new counts.

        One atomic statement per bucket, in a fixed order so that concurrent writers never wait on each other
        in a cycle."""
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        counts: dict[str, int] = {}
        for bucket in sorted(amounts):
            statement = insert(RateCounter).values(bucket=bucket, window_start=window_start, count=amounts[bucket])
            same_window = RateCounter.window_start == statement.excluded.window_start
            value = self.session.scalar(
                statement.on_conflict_do_update(
                    index_elements=[RateCounter.bucket],
                    set_={
                        "count": case(
                            (same_window, RateCounter.count + statement.excluded.count), else_=statement.excluded.count
                        ),
                        "window_start": statement.excluded.window_start,
                    },
                ).returning(RateCounter.count)
            )
            counts[bucket] = int(value or 0)
        return counts

    def counts(self, buckets: set[str], window_start: datetime) -> dict[str, int]:
        """The counts of these buckets in this window (absent: none yet)."""
        if not buckets:
            return {}
        rows = self.session.execute(
            select(RateCounter.bucket, RateCounter.count).where(
                RateCounter.bucket.in_(sorted(buckets)), RateCounter.window_start == window_start
            )
        )
        return {bucket: int(count) for bucket, count in rows}

    def forget_before(self, when: datetime) -> None:
        """Drop the rows of windows that started before `when`: they count for nothing any more."""
        self.session.execute(delete(RateCounter).where(RateCounter.window_start < when))
