"""Synthetic incidents for demos, tests and benchmarks: a simulated GovWorx CAD of Lagos or New York.

Each incident is a GovWorx upload (what `incidenthub import` reads), written through the write path's
set-based `batch.upsert_many`, a batch per transaction, so classification turns its type into a category and
its priority into a severity and the safety aggregates are kept before each commit, exactly as in
production. Where: named hot spots (a Gaussian spread around each) and a background spread over the whole
city's box. When: the last `days` days, with a daily rhythm per category (threats and SOS at night and in the
evening, vehicles at the rush hours, medical and other calls by day) and a weekly one (Friday and Saturday
nights busier, fewer weekend rush hours), in the city's own time zone. A few are drills and a few are closed
as false alarms (the aggregates leave both out). Call and unit times (answer, processing, queue, 1-3 units
with their milestones) come from demo_times, drawn from a second generator so that the places, types and
times of day stay what they were for a seed. The same seed and `until` give the same incidents.
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from incidenthub.adapters.govworx import mapping
from incidenthub.adapters.govworx.demo_times import call_times
from incidenthub.auth.repository import TenantRepository
from incidenthub.db import Database
from incidenthub.errors import NotFound
from incidenthub.incidents import batch

BATCH = 2000
DRILL_SHARE = 0.003
FALSE_ALARM_SHARE = 0.01
_M_PER_DEGREE = 111_320.0

# What a CAD calls each kind of call (the default classification maps each to the category it is listed under).
TYPES: dict[str, tuple[str, ...]] = {
    "sos": ("Panic Alarm", "SOS Activation", "Officer Needs Assistance"),
    "location_threat": (
        "Armed Robbery",
        "Assault",
        "Burglary in Progress",
        "Shots Fired",
        "Suspicious Person",
        "Domestic Disturbance",
        "Stabbing",
    ),
    "vehicle": ("Traffic Collision", "Multi-Vehicle Crash", "Hit and Run", "Vehicle Pursuit"),
    "medical": (
        "Medical Emergency - Cardiac Arrest",
        "Breathing Problems",
        "Overdose",
        "Unconscious Person",
        "Fall Injury",
    ),
    "fire": ("Structure Fire", "Vehicle Fire", "Smoke Investigation", "Hazmat Spill"),
    "other": ("Noise Complaint", "Animal Control", "Welfare Check", "Lost Property"),
}
# Priority 0..4 per category (0 is critical, 1 high, 2 medium, 3 and 4 low).
PRIORITIES: dict[str, tuple[float, ...]] = {
    "sos": (0.3, 0.5, 0.2, 0.0, 0.0),
    "location_threat": (0.1, 0.35, 0.35, 0.2, 0.0),
    "vehicle": (0.05, 0.25, 0.45, 0.25, 0.0),
    "medical": (0.15, 0.4, 0.3, 0.15, 0.0),
    "fire": (0.2, 0.4, 0.3, 0.1, 0.0),
    "other": (0.0, 0.05, 0.35, 0.4, 0.2),
}
AGENCY_TYPES = {"medical": "EMS", "fire": "Fire"}  # the rest: Police
# Calls per local hour of day (0..23), relative.
_NIGHT = (9, 8, 7, 6, 4, 3, 2, 2, 2, 3, 3, 4, 4, 4, 4, 5, 5, 6, 7, 8, 10, 11, 12, 11)
_RUSH = (1, 1, 1, 1, 1, 2, 4, 9, 10, 6, 4, 4, 5, 4, 4, 6, 9, 10, 8, 5, 3, 2, 2, 1)
_DAY = (3, 2, 2, 2, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 5, 5, 4, 4)
_EVENING = (4, 3, 3, 2, 2, 2, 3, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 8, 9, 9, 8, 7, 6, 5)
HOURLY: dict[str, tuple[int, ...]] = {
    "sos": _NIGHT,
    "location_threat": _NIGHT,
    "vehicle": _RUSH,
    "medical": _DAY,
    "fire": _EVENING,
    "other": _DAY,
}
CATEGORY_MIX = {"location_threat": 0.27, "vehicle": 0.2, "medical": 0.25, "fire": 0.06, "sos": 0.07, "other": 0.15}
_THREATS = {"location_threat": 0.6, "sos": 0.12, "medical": 0.15, "vehicle": 0.05, "fire": 0.03, "other": 0.05}
_TRAFFIC = {"vehicle": 0.75, "medical": 0.12, "fire": 0.05, "location_threat": 0.05, "sos": 0.03}
_MARKET = {"location_threat": 0.45, "medical": 0.15, "fire": 0.12, "sos": 0.08, "vehicle": 0.1, "other": 0.1}


def _weekly(category: str, weekday: int, hour: int) -> float:
    """How much busier this local hour of the week is than the same hour on a Tuesday."""
    weekend_night = (weekday == 4 and hour >= 18) or weekday == 5 or (weekday == 6 and hour < 5)
    if category in ("location_threat", "sos", "fire") and weekend_night and (hour >= 18 or hour < 5):
        return 1.8
    if category == "vehicle":
        if weekday >= 5:
            return 0.6 if 6 <= hour <= 10 or 15 <= hour <= 19 else 1.1
        return 1.0
    return 1.0


@dataclass(frozen=True, eq=False)  # known by identity: a dictionary key
class HotSpot:
    name: str
    latitude: float
    longitude: float
    spread_m: float  # one standard deviation of the Gaussian around the centre
    share: float  # of all incidents
    mix: dict[str, float]


@dataclass(frozen=True)
class City:
    name: str
    timezone: str
    agency: str
    box: tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
    hot_spots: tuple[HotSpot, ...]

    @property
    def background(self) -> float:
        return 1.0 - sum(spot.share for spot in self.hot_spots)


CITIES: dict[str, City] = {
    "lagos": City(
        "Lagos",
        "Africa/Lagos",
        "LASEMA",
        (3.10, 6.40, 3.70, 6.70),
        (
            HotSpot("Oshodi Interchange", 6.5536, 3.3436, 600, 0.11, {**_THREATS, "vehicle": 0.25}),
            HotSpot("Computer Village, Ikeja", 6.5959, 3.3421, 400, 0.08, _MARKET),
            HotSpot("Balogun Market, Lagos Island", 6.4574, 3.3880, 450, 0.09, _MARKET),
            HotSpot("Mile 12 Market", 6.6050, 3.3960, 500, 0.07, _MARKET),
            HotSpot("Ajegunle", 6.4590, 3.3290, 700, 0.08, _THREATS),
            HotSpot("Mushin", 6.5270, 3.3540, 600, 0.07, _THREATS),
            HotSpot("Third Mainland Bridge", 6.4920, 3.4000, 900, 0.06, _TRAFFIC),
            HotSpot("Lekki Toll Gate", 6.4300, 3.4650, 500, 0.05, _TRAFFIC),
            HotSpot("Ojuelegba", 6.5090, 3.3660, 400, 0.05, _THREATS),
        ),
    ),
    "nyc": City(
        "New York",
        "America/New_York",
        "NYPD-FDNY",
        (-74.25, 40.50, -73.70, 40.91),
        (
            HotSpot("Times Square", 40.7580, -73.9855, 350, 0.08, {**_MARKET, "other": 0.2}),
            HotSpot("Fordham Road, Bronx", 40.8616, -73.8905, 600, 0.08, _THREATS),
            HotSpot("Brownsville, Brooklyn", 40.6622, -73.9090, 600, 0.09, _THREATS),
            HotSpot("Harlem 125th Street", 40.8090, -73.9482, 500, 0.08, _THREATS),
            HotSpot("East New York", 40.6664, -73.8823, 600, 0.06, _THREATS),
            HotSpot("Jamaica Center, Queens", 40.7027, -73.7890, 500, 0.06, _MARKET),
            HotSpot("Cross Bronx Expressway", 40.8410, -73.8700, 1200, 0.06, _TRAFFIC),
            HotSpot("BQE, Williamsburg", 40.7080, -73.9570, 800, 0.05, _TRAFFIC),
            HotSpot("Port Authority Bus Terminal", 40.7570, -73.9903, 250, 0.04, _MARKET),
            HotSpot("Downtown Brooklyn", 40.6928, -73.9903, 500, 0.05, _MARKET),
        ),
    ),
}


@dataclass(frozen=True)
class Demo:
    """One generated incident: its upload payload and what the CAD would mark it as."""

    payload: dict[str, Any]
    category: str  # what its type is meant to classify as
    drill: bool = False
    false_alarm: bool = False


class _Picker:
    """A weighted choice by bisection of cumulative weights (`random.choices` rebuilds them at every call)."""

    def __init__(self, items: dict[Any, float]) -> None:
        self.keys = list(items)
        self.cumulative = list(accumulate(items.values()))

    def __call__(self, rng: random.Random) -> Any:
        return self.keys[bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])]


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(city: City, count: int, days: int, seed: int, until: datetime) -> Iterator[Demo]:
    """`count` incidents in `city` over the `days` days before `until`; deterministic for `seed` and `until`."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    timing = random.Random(f"{seed}-times")  # noqa: S311 - the same
    zone = ZoneInfo(city.timezone)
    start = until - timedelta(days=days)
    local_start = start.astimezone(zone)
    monday = (local_start - timedelta(days=local_start.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = math.ceil(days / 7) + 1
    places = _Picker({**{spot: spot.share for spot in city.hot_spots}, None: city.background})
    mixes = {spot: _Picker(spot.mix) for spot in city.hot_spots} | {None: _Picker(CATEGORY_MIX)}
    slots = {
        category: _Picker({(d, h): HOURLY[category][h] * _weekly(category, d, h) for d in range(7) for h in range(24)})
        for category in TYPES
    }
    priorities = {category: _Picker(dict(enumerate(PRIORITIES[category]))) for category in TYPES}
    min_lon, min_lat, max_lon, max_lat = city.box
    for n in range(count):
        spot = places(rng)
        category = mixes[spot](rng)
        while True:
            if spot is None:
                latitude, longitude = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon)
            else:
                latitude = spot.latitude + rng.gauss(0.0, spot.spread_m) / _M_PER_DEGREE
                longitude = spot.longitude + rng.gauss(0.0, spot.spread_m) / (
                    _M_PER_DEGREE * math.cos(math.radians(spot.latitude))
                )
            if min_lat <= latitude <= max_lat and min_lon <= longitude <= max_lon:
                break
        day, hour = slots[category](rng)
        while True:  # a week in the window, the slot's local hour in it
            local = monday + timedelta(weeks=rng.randrange(weeks), days=day, hours=hour, seconds=rng.randrange(3600))
            received = local.replace(tzinfo=zone).astimezone(UTC)
            if start <= received < until:
                break
        incident_type = rng.choice(TYPES[category])
        priority = priorities[category](rng)
        drill = rng.random() < DRILL_SHARE
        false_alarm = not drill and rng.random() < FALSE_ALARM_SHARE
        closed = received + timedelta(minutes=10 + rng.randrange(110))
        payload = {
            "sysId": f"demo-{seed}-{n}",
            "number": f"D{seed}-{n:07d}",
            "incidentType": incident_type,
            "incidentDate": _stamp(received),
            "callReceivedTime": _stamp(received),
            "callTakerId": f"CT-{rng.randrange(40):02d}",
            "closedAt": _stamp(closed),
            "priority": f"Priority {priority}",
            "agency": city.agency,
            "agencyType": AGENCY_TYPES.get(category, "Police"),
            "callSource": "E911",
            "disposition": "False Alarm" if false_alarm else "Handled",
            "responseArea": spot.name if spot is not None else city.name,
            "latitude": round(latitude, 6),
            "longitude": round(longitude, 6),
            **call_times(timing, received.replace(microsecond=0), AGENCY_TYPES.get(category, "Police")),
        }
        yield Demo(payload, category, drill, false_alarm)


def as_upsert(tenant_id: str, demo: Demo) -> batch.Upsert:
    """The upload as the GovWorx door maps it; a drill or a false alarm marked as a native create would mark it."""
    command = mapping.to_command(mapping.parse_upload(demo.payload, checked=True), demo.payload, None)
    if demo.drill:
        command = replace(command, fields={**command.fields, "is_drill": True})
    elif demo.false_alarm:
        command = replace(command, fields={**command.fields, "resolution_outcome": "false_alarm"})
    return batch.Upsert(tenant_id, command, actor="demo-data", message="Demo incident created")


@dataclass
class Summary:
    created: int = 0
    unchanged: int = 0
    drills: int = 0
    false_alarms: int = 0
    seconds: float = 0.0


def write(
    database: Database,
    tenant_slug: str,
    city: City,
    count: int,
    days: int,
    seed: int,
    until: datetime,
    on_batch: Callable[[int], None] | None = None,
) -> Summary:
    """Generate and write the incidents, `BATCH` to a transaction; what was written."""
    with database.read_sessions() as session:
        tenant = TenantRepository(session).by_slug(tenant_slug)
    if tenant is None:
        raise NotFound(f"no tenant with slug {tenant_slug!r}")
    summary = Summary()
    started = time.perf_counter()
    stream = generate(city, count, days, seed, until)
    while True:
        demos = [demo for _, demo in zip(range(BATCH), stream, strict=False)]
        if not demos:
            break
        chunk = [as_upsert(tenant.id, demo) for demo in demos]
        with database.transaction() as session:
            written = batch.upsert_many(session, chunk)
        for demo, outcome in zip(demos, written, strict=True):
            if outcome.result.created:
                summary.created += 1
                summary.drills += demo.drill
                summary.false_alarms += demo.false_alarm
            else:
                summary.unchanged += 1
        if on_batch is not None:
            on_batch(summary.created + summary.unchanged)
    summary.seconds = time.perf_counter() - started
    return summary
