"""Every query over tenants and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from incidenthub.models import ApiKey, Tenant, TenantCounter


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
