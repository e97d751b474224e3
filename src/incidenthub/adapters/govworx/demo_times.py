"""Call and unit times of a demo incident, as a CAD of a busy centre would report them. Pure.

Answer (received -> picked up): mostly 2-15 s (lognormal, median 7 s), 3 % abandoned-then-answered calls
20-90 s. Call processing (picked up -> queued for dispatch): median 45 s; queue (queued -> first unit
dispatched): median 20 s. 1-3 units (fire sends more), each dispatched within 30 s of the first; turnout
about 60-90 s; travel lognormal around 4-6 min (median 5 min); on scene 10-60 min. A few milestones are
missing, as in real feeds: 4 % no en route, 3 % no arrival (cancelled on the way), 5 % no clear.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

POSITIONS = 12
UNIT_PREFIX = {"EMS": "M", "Fire": "E", "Police": "P"}
UNITS_PER_TYPE = 60
_UNITS = {"EMS": (0.55, 0.35, 0.10), "Fire": (0.2, 0.4, 0.4), "Police": (0.6, 0.3, 0.1)}


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def call_times(rng: random.Random, received: datetime, agency_type: str) -> dict[str, Any]:
    """GovWorx fields for the call and its responders, the call received at `received` (whole seconds)."""
    if rng.random() < 0.03:
        answer = rng.uniform(20, 90)
    else:
        answer = min(max(_lognormal(rng, 7, 0.45), 2), 19)
    picked = received + timedelta(seconds=round(answer))
    queued = picked + timedelta(seconds=round(min(_lognormal(rng, 45, 0.5), 600)))
    dispatched = queued + timedelta(seconds=round(min(_lognormal(rng, 20, 0.8), 900)))
    hung_up = picked + timedelta(seconds=round(min(_lognormal(rng, 90, 0.5), 1800)))
    shares = _UNITS.get(agency_type, _UNITS["Police"])
    count = rng.choices((1, 2, 3), weights=shares)[0]
    prefix = UNIT_PREFIX.get(agency_type, "P")
    numbers = rng.sample(range(1, UNITS_PER_TYPE + 1), count)
    responders = []
    for index, number in enumerate(numbers):
        sent = dispatched + timedelta(seconds=0 if index == 0 else rng.randrange(1, 31))
        enroute = sent + timedelta(seconds=round(min(max(rng.gauss(75, 12), 20), 240)))
        arrived = enroute + timedelta(seconds=round(min(_lognormal(rng, 300, 0.35), 3600)))
        cleared = arrived + timedelta(seconds=round(rng.uniform(600, 3600)))
        unit: dict[str, Any] = {"unitName": f"{prefix}{number}", "dispatchedAt": _stamp(sent)}
        if rng.random() >= 0.04:
            unit["enrouteAt"] = _stamp(enroute)
        if rng.random() >= 0.03:
            unit["arrivedAt"] = _stamp(arrived)
        if rng.random() >= 0.05:
            unit["clearedAt"] = _stamp(cleared)
        responders.append(unit)
    return {
        "callPickupTime": _stamp(picked),
        "callHangupTime": _stamp(hung_up),
        "dispatchQueueAt": _stamp(queued),
        "callPosition": f"Position-{rng.randrange(1, POSITIONS + 1):02d}",
        "responders": responders,
    }
