"""The safety aggregates: which incidents count, where, how much; kept in the transaction of every change.

An incident counts when it has usable coordinates (0,0 is a CAD's "unknown", not a place), is not a
drill, was not closed as a false alarm and was not cancelled (Sety: "cancel handles false alarms"). It
counts in its H3 cell at resolution 9 (about 0.1 km², edges of about 175 m) with its category and the
weight of its severity, at its time: the call's receipt, else the source's creation time, else ours.

Just before a transaction commits, every incident it changed (those its outbox events name, and those
`remove` was told of) is read once; its new contribution replaces the old one (`safety_points`), and the
difference goes into the cell and hour sums in a few set-based statements. So the sums equal a
recomputation from scratch (`expected`) at every commit: `tests/test_safety_aggregates.py` checks it
after a mixed load through every door.

Decay: a weight halves every `half_life_days` (a tenant setting, default 30). Sums store each weight
times `2 ** ((t - EPOCH) / half_life)` (`growth`), so they never need rewriting; the weight now is the sum
times `now_factor(now)`. A changed half-life or timezone rebuilds the tenant's sums (`rebuild`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import h3
from sqlalchemy import event
from sqlalchemy.orm import Session

from incidenthub.events import outbox
from incidenthub.incidents.safety_repository import SafetyRepository
from incidenthub.models import Tenant

SETTINGS_KEY = "safety"
BASE_RESOLUTION = 9
PARENTS = (5, 6, 7, 8)
REGION_RESOLUTION = 7  # about 5 km²: the tenant's extent is counted in these
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
DEFAULT_HALF_LIFE_DAYS = 30.0
HALF_LIFE_RANGE = (7.0, 3650.0)
SEVERITY_WEIGHTS: dict[str, float] = {"critical": 8.0, "high": 4.0, "medium": 2.0, "low": 1.0}
_MAX_EXPONENT = 900.0  # 2**900 times a million incidents stays far below a float's limit
_TOUCHED = "safety_touched"


class SettingsError(ValueError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class Settings:
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS
    timezone: str = "UTC"

    @classmethod
    def of(cls, timezone: str | None, settings: Mapping[str, Any] | None) -> Settings:
        """A tenant's settings (`tenants.timezone`, `tenants.settings["safety"]`); unusable values: defaults."""
        try:
            return cls.checked(timezone, settings)
        except SettingsError:
            return cls()

    @classmethod
    def checked(cls, timezone: str | None, settings: Mapping[str, Any] | None) -> Settings:
        raw = (settings or {}).get(SETTINGS_KEY) or {}
        if not isinstance(raw, Mapping):
            raise SettingsError(SETTINGS_KEY, "safety must be an object")
        half_life = raw.get("half_life_days", DEFAULT_HALF_LIFE_DAYS)
        low, high = HALF_LIFE_RANGE
        if isinstance(half_life, bool) or not isinstance(half_life, int | float) or not low <= half_life <= high:
            raise SettingsError("half_life_days", f"half_life_days must be a number from {low:g} to {high:g}")
        zone = timezone or "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError("timezone", f"{zone!r} is not an IANA timezone") from None
        return cls(half_life_days=float(half_life), timezone=zone)

    def growth(self, at: datetime) -> float:
        """`2 ** ((at - EPOCH) / half_life)`: what a weight at `at` is stored times."""
        exponent = (at - EPOCH).total_seconds() / 86400.0 / self.half_life_days
        return float(2.0 ** max(-_MAX_EXPONENT, min(_MAX_EXPONENT, exponent)))

    def now_factor(self, now: datetime) -> float:
        """What a stored sum is multiplied by to give the weight at `now` (`1 / growth(now)`)."""
        return 1.0 / self.growth(now)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hour_of_week(self, at: datetime) -> int:
        local = at.astimezone(self.zone)
        return local.weekday() * 24 + local.hour


class Point(NamedTuple):
    """What one incident adds: the row of `safety_points` (a tuple: thousands are made per batch)."""

    incident_id: str
    tenant_id: str
    cell: str
    latitude: float
    longitude: float
    category: str
    severity: str
    weight: float
    decayed: float
    occurred_at: datetime
    hour_of_week: int


def usable(latitude: float | None, longitude: float | None) -> bool:
    if latitude is None or longitude is None:
        return False
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0 and (latitude, longitude) != (0.0, 0.0)


def point_of(row: Any, settings: Settings) -> Point | None:
    """The contribution of an incident (a row of its canonical columns, read by attribute), or None when it
    does not count."""
    latitude, longitude = row.latitude, row.longitude
    if not usable(latitude, longitude) or row.is_drill:
        return None
    if row.resolution_outcome == "false_alarm" or row.status == "cancelled":
        return None
    at: datetime = row.call_received_at or row.source_created_at or row.created_at
    severity = row.severity if row.severity in SEVERITY_WEIGHTS else "medium"
    weight = SEVERITY_WEIGHTS[severity]
    return Point(
        row.id,
        row.tenant_id,
        h3.latlng_to_cell(latitude, longitude, BASE_RESOLUTION),
        float(latitude),
        float(longitude),
        row.category or "other",
        severity,
        weight,
        weight * settings.growth(at),
        at,
        settings.hour_of_week(at),
    )


# --- sums ---------------------------------------------------------------------------------------------------


@dataclass
class CellSum:
    incidents: int = 0
    critical: int = 0
    weight: float = 0.0
    decayed: float = 0.0
    last_at: datetime | None = None


@dataclass
class HourSum:
    incidents: int = 0
    weight: float = 0.0
    decayed: float = 0.0


def sums(
    added: Iterable[Point], removed: Iterable[Point] = ()
) -> tuple[dict[tuple[str, str, str], CellSum], dict[tuple[str, str, int], HourSum]]:
    """The change to the cell sums (tenant, cell, category) and hour sums (tenant, cell, hour of week)."""
    cells: dict[tuple[str, str, str], CellSum] = {}
    hours: dict[tuple[str, str, int], HourSum] = {}
    for sign, points in ((1, added), (-1, removed)):
        for p in points:
            key = (p.tenant_id, p.cell, p.category)
            c = cells.get(key)
            if c is None:
                c = cells[key] = CellSum()
            c.incidents += sign
            if p.severity == "critical":
                c.critical += sign
            c.weight += sign * p.weight
            c.decayed += sign * p.decayed
            if sign > 0 and (c.last_at is None or p.occurred_at > c.last_at):
                c.last_at = p.occurred_at
            hour_key = (p.tenant_id, p.cell, p.hour_of_week)
            h = hours.get(hour_key)
            if h is None:
                h = hours[hour_key] = HourSum()
            h.incidents += sign
            h.weight += sign * p.weight
            h.decayed += sign * p.decayed
    return cells, hours


def cell_row(key: tuple[str, str, str], change: CellSum) -> dict[str, Any]:
    tenant_id, cell, category = key
    latitude, longitude = h3.cell_to_latlng(cell)
    row: dict[str, Any] = {
        "tenant_id": tenant_id,
        "cell": cell,
        "category": category,
        "latitude": latitude,
        "longitude": longitude,
        "incidents": change.incidents,
        "critical": change.critical,
        "weight": change.weight,
        "decayed": change.decayed,
        "last_at": change.last_at or EPOCH,
    }
    for resolution in PARENTS:
        row[f"p{resolution}"] = h3.cell_to_parent(cell, resolution)
    return row


# --- kept at every commit -----------------------------------------------------------------------------------


def remove(session: Session, tenant_id: str, incident_id: str) -> None:
    """Take an incident out of the sums now (it is about to be deleted, and its point with it)."""
    _apply(session, {incident_id: None}, _stored(session, [incident_id]))


def refresh(session: Session, touched: Mapping[tuple[str, str], bool]) -> None:
    """Bring the sums up to date with these incidents ((tenant id, incident id) -> created in this
    transaction, so it had no point before) as they are in the session."""
    by_tenant: dict[str, list[str]] = {}
    for tenant_id, incident_id in touched:
        by_tenant.setdefault(tenant_id, []).append(incident_id)
    if not by_tenant:
        return
    repository = SafetyRepository(session)
    settings = {t: _settings(session, t) for t in sorted(by_tenant)}
    new: dict[str, Point | None] = {}
    for tenant_id, ids in by_tenant.items():
        found = {row.id: row for row in repository.incident_rows(tenant_id, ids)}
        rules = settings.get(tenant_id, Settings())
        for incident_id in ids:
            row = found.get(incident_id)
            new[incident_id] = point_of(row, rules) if row is not None else None
    existing = [incident_id for (_, incident_id), created in touched.items() if not created]
    _apply(session, new, _stored(session, existing) if existing else {})


def _settings(session: Session, tenant_id: str) -> Settings:
    """A tenant's settings, from the session when the change already read the tenant (no query then)."""
    tenant = session.get(Tenant, tenant_id)
    return Settings.of(tenant.timezone, tenant.settings) if tenant is not None else Settings()


def _stored(session: Session, incident_ids: list[str]) -> dict[str, Point]:
    return {row.incident_id: Point._make(row) for row in SafetyRepository(session).points(incident_ids, Point._fields)}


def _apply(session: Session, new: Mapping[str, Point | None], old: Mapping[str, Point]) -> None:
    changed = [i for i in new if new[i] != old.get(i)]
    if not changed:
        return
    removed = [old[i] for i in changed if i in old]
    added = [p for i in changed if (p := new[i]) is not None]
    repository = SafetyRepository(session)
    repository.replace_points([p.incident_id for p in removed], added)
    _add(repository, *sums(added, removed))
    if removed:
        repository.settle({(p.tenant_id, p.cell, p.category) for p in removed})


def regions(cells: Mapping[tuple[str, str, str], CellSum]) -> dict[tuple[str, str], tuple[int, float]]:
    """The cell sums per resolution-7 parent: (tenant, region) -> (incidents, decayed)."""
    found: dict[tuple[str, str], tuple[int, float]] = {}
    for (tenant_id, cell, _category), change in cells.items():
        key = (tenant_id, h3.cell_to_parent(cell, REGION_RESOLUTION))
        incidents, decayed = found.get(key, (0, 0.0))
        found[key] = (incidents + change.incidents, decayed + change.decayed)
    return found


def _add(
    repository: SafetyRepository,
    cells: Mapping[tuple[str, str, str], CellSum],
    hours: Mapping[tuple[str, str, int], HourSum],
) -> None:
    """Add these changes to the sums, each table's rows in one order (two writers never deadlock)."""
    repository.add_to_cells([cell_row(key, cells[key]) for key in sorted(cells)])
    repository.add_to_hours(
        [{"tenant_id": t, "cell": c, "hour_of_week": h, **vars(hours[(t, c, h)])} for (t, c, h) in sorted(hours)]
    )
    by_region = regions(cells)
    repository.add_to_regions(
        [
            {"tenant_id": t, "region": r, "incidents": by_region[(t, r)][0], "decayed": by_region[(t, r)][1]}
            for (t, r) in sorted(by_region)
        ]
    )


@event.listens_for(Session, "before_commit", insert=True)  # before the outbox writes (and forgets) its queue
def _before_commit(session: Session) -> None:
    session.flush()
    touched = outbox.incidents_in(session)
    if touched:
        refresh(session, touched)


# --- from scratch -------------------------------------------------------------------------------------------


def expected(session: Session, tenant_id: str) -> tuple[dict[str, Point], dict[Any, CellSum], dict[Any, HourSum]]:
    """The points and sums recomputed from every incident of the tenant (for `rebuild` and the tests)."""
    repository = SafetyRepository(session)
    [(_, zone, values)] = repository.tenant_settings([tenant_id])
    settings = Settings.of(zone, values)
    points = {
        point.incident_id: point
        for row in repository.all_incident_rows(tenant_id)
        if (point := point_of(row, settings)) is not None
    }
    cells, hours = sums(points.values())
    return points, cells, hours


def rebuild(session: Session, tenant_id: str) -> int:
    """Recompute a tenant's points and sums from its incidents (after its half-life or timezone changed)."""
    points, cells, hours = expected(session, tenant_id)
    repository = SafetyRepository(session)
    repository.clear(tenant_id)
    repository.replace_points([], list(points.values()))
    _add(repository, cells, hours)
    return len(points)
