"""What the outbox adds to the cost of a write: the same writes with and without it, in one process, one run.

    python -m bench.outbox [--incidents 4000] [--batch 32] [--rounds 3] [--database-url URL]

Two kinds of write run in the server's own code (the write path's functions, no HTTP: HTTP would hide the
difference in its own cost, and `make bench` measures it separately):
- GovWorx uploads of new incidents, `--batch` per transaction (the write path's set-based `batch.upsert_many`);
- a note on an existing incident, one per transaction (the row-at-a-time `changes.record` path).
Each is timed with the outbox on (as served) and off (`outbox.write` replaced by nothing *in this process
only*: events are still queued, so "off" is a lower bound of the cost without the outbox), alternating
rounds so drift hits both alike. The report is the extra time per write, as a share of the write without it.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from incidenthub import migrate
from incidenthub.adapters.govworx import mapping
from incidenthub.auth import service as auth_service
from incidenthub.db import Database
from incidenthub.events import outbox
from incidenthub.incidents import batch
from incidenthub.incidents import service as incident_service
from incidenthub.incidents.schemas import NoteCreate

SEED = json.loads((Path(__file__).parent.parent / "tests" / "data" / "govworx_seed_example.json").read_text())
REPORT = Path(__file__).parent / "OUTBOX.md"


def _uploads(prefix: str, count: int) -> list[batch.Upsert]:
    return [
        batch.Upsert("", mapping.to_command(mapping.parse_upload(body), body, None))
        for body in ({**copy.deepcopy(SEED), "sysId": f"{prefix}-{n}"} for n in range(count))
    ]


def _timed(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=4000, help="new incidents per round and mode")
    parser.add_argument("--notes", type=int, default=1000, help="notes per round and mode")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="ih-outbox-"))
    database = Database(args.database_url or f"sqlite:///{workdir / 'bench.db'}")
    migrate.upgrade(database)
    with database.transaction() as session:
        tenant_id = auth_service.create_tenant(session, "Bench", f"bench-{int(time.time())}", "UTC", None).id
    served_write = outbox.write

    def mode(on: bool) -> None:
        outbox.write = served_write if on else (lambda session, queued: None)  # type: ignore[assignment]

    def uploads(tag: str) -> Callable[[], None]:
        items = _uploads(tag, args.incidents)
        for item in items:
            item.tenant_id = tenant_id

        def run() -> None:
            for start in range(0, len(items), args.batch):
                with database.transaction() as session:
                    batch.upsert_many(session, items[start : start + args.batch])

        return run

    def notes(incident_ids: list[str]) -> Callable[[], None]:
        def run() -> None:
            for n in range(args.notes):
                with database.transaction() as session:
                    incident_service.add_note(
                        session, tenant_id, incident_ids[n % len(incident_ids)], NoteCreate(note=f"note {n}")
                    )

        return run

    times: dict[tuple[str, bool], list[float]] = {}
    targets: list[str] = []
    for round_ in range(args.rounds):
        for on in (True, False) if round_ % 2 == 0 else (False, True):
            mode(on)
            times.setdefault(("uploads", on), []).append(_timed(uploads(f"r{round_}-{on}")))
            if not targets:
                with database.read_sessions() as session:
                    listing = incident_service.list_incidents(
                        session, tenant_id, incident_service.IncidentFilter(), 1, 100
                    )
                    targets = [incident.incident_id for incident in listing.data]
            times.setdefault(("notes", on), []).append(_timed(notes(targets)))
    mode(True)
    counts = {"uploads": args.incidents, "notes": args.notes}
    result: dict[str, Any] = {"database": database.dialect, "rounds": args.rounds, "batch": args.batch, "kinds": {}}
    lines = [
        "# What the outbox adds to a write",
        "",
        f"`python -m bench.outbox --incidents {args.incidents} --notes {args.notes} --batch {args.batch} "
        f"--rounds {args.rounds}` on {database.dialect}; median of {args.rounds} rounds per mode, modes alternating.",
        "",
        "| write | per second, outbox on | per second, off | extra time per write |",
        "|---|--:|--:|--:|",
    ]
    for kind, count in counts.items():
        on, off = statistics.median(times[(kind, True)]), statistics.median(times[(kind, False)])
        extra = on / off - 1
        result["kinds"][kind] = {"per_second_on": count / on, "per_second_off": count / off, "extra": extra}
        lines.append(f"| {kind} | {count / on:,.0f} | {count / off:,.0f} | {extra:+.1%} |")
        print(f"{kind}: {count / on:,.0f}/s with the outbox, {count / off:,.0f}/s without: {extra:+.1%} per write")
    REPORT.write_text("\n".join(lines) + "\n")
    database.dispose()
    return result


if __name__ == "__main__":
    main()
