"""Draw docs/heatmap.png: the heat map of a synthetic city, as GET /v1/safety/heatmap?format=png answers it.

    .venv/bin/python -m bench.heatmap_picture [--calls 1500] [--out docs/heatmap.png]

A fresh SQLite database, a tenant in Africa/Lagos, and CAD calls uploaded through the GovWorx door (the normal
write path): a few hot spots on Lagos Island and the mainland, a background spread, types and priorities mixed,
received over the last 120 days (so older calls weigh less), a few drills and calls without coordinates that
do not count. Then the PNG is fetched over HTTP like a client would, and written out.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from incidenthub.app import create_app
from incidenthub.auth import service as auth_service
from incidenthub.config import Settings
from incidenthub.db import Database
from incidenthub.migrate import upgrade

HOT_SPOTS = (  # (lat, lon, spread in degrees, share of the calls)
    (6.4541, 3.3947, 0.006, 0.25),  # Lagos Island, Broad Street
    (6.4983, 3.3486, 0.008, 0.20),  # Mushin
    (6.4474, 3.4553, 0.007, 0.15),  # Victoria Island / Lekki Phase 1 edge
    (6.5244, 3.3792, 0.010, 0.15),  # Yaba
)
TYPES = (
    ("Armed Robbery", "Priority 1"),
    ("Assault", "Priority 2"),
    ("Traffic Collision", "Priority 2"),
    ("Structure Fire", "Priority 0"),
    ("Medical Emergency - Cardiac Arrest", "Priority 1"),
    ("Suspicious Person", "Priority 3"),
    ("Burglary", "Priority 3"),
)
BBOX = "3.30,6.40,3.50,6.56"


def _call(rng: random.Random, n: int, now: datetime) -> dict[str, object]:
    pick = rng.random()
    lat, lon, spread = 6.48 + rng.uniform(-0.07, 0.07), 3.40 + rng.uniform(-0.09, 0.09), 0.0
    for spot_lat, spot_lon, spot_spread, share in HOT_SPOTS:
        if pick < share:
            lat, lon, spread = spot_lat, spot_lon, spot_spread
            break
        pick -= share
    incident_type, priority = rng.choice(TYPES)
    at = (now - timedelta(days=rng.uniform(0, 120))).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "sysId": f"DEMO-{n:05d}",
        "number": f"26-{n:06d}",
        "incidentType": incident_type,
        "priority": priority,
        "latitude": round(rng.gauss(lat, spread) if spread else lat, 6),
        "longitude": round(rng.gauss(lon, spread) if spread else lon, 6),
        "incidentDate": at,
        "callReceivedTime": at,
        "callTakerId": "CT-1",
        "closedAt": at,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=Path("docs/heatmap.png"))
    args = parser.parse_args()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'demo.db'}"
        database = Database(url)
        upgrade(database)
        with database.transaction() as session:
            auth_service.create_tenant(session, name="Lagos Demo", slug="lagos", timezone="Africa/Lagos")
            secret = auth_service.create_key(session, "lagos", ["*"]).secret
        headers = {"Authorization": f"Bearer {secret}"}
        now = datetime.now(UTC)
        with TestClient(create_app(Settings(database_url=url))) as client:
            for n in range(args.calls):
                answer = client.put("/api/v1/external/incident", json=_call(rng, n, now), headers=headers)
                assert answer.status_code == 200, answer.text
            picture = client.get(
                "/v1/safety/heatmap", params={"bbox": BBOX, "resolution": 8, "format": "png"}, headers=headers
            )
            picture.raise_for_status()
        database.dispose()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(picture.content)
    print(f"{args.out}: {len(picture.content):,} bytes, {args.calls} calls, bbox {BBOX}, resolution 8")


if __name__ == "__main__":
    main()
