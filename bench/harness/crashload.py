"""The clients of `make crash`: threads writing through every door, and a ledger of what each write was answered.

Every write is recorded with its outcome:
- `ok`: a 2xx answer. The server said it is stored: it must be there, intact, after any crash.
- `unknown`: no answer (the connection broke, the server was killed) or a 5xx. It may or may not be stored.
- `not_sent`: the connection was refused (the server was down): it cannot be stored.
- `refused`: a 4xx answer. The server said nothing changed: it must not be stored.

Each record (one incident) belongs to one client thread, which sends its writes one after another, so the
versions of a record are in send order and the checks can say exactly which states are allowed.
A client that got no answer to an idempotent write (GovWorx PUT, native create with its idempotency key)
sends it again at its next turn, as a CAD does; Sonoran and DevRev creates and notes have no idempotency,
so they are not sent twice.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.harness.scenarios import BY_NAME, GOVWORX_PATH

STATUSES = ["dispatching", "assigned", "responding", "on_scene", "resolved"]
CREATE_DOORS = ("govworx", "native", "sonoran", "devrev")
# What a client does at each turn, with its weight.
ACTIONS = {"govworx": 15, "native": 15, "sonoran": 10, "devrev": 10, "govworx_update": 10, "note": 25, "status": 15}
SONORAN_ANSWER = re.compile(r"NEW DISPATCH CREATED - ID: (\d+)")


@dataclass
class Write:
    door: str  # govworx, native, sonoran, devrev, govworx_update, note, status
    expect: dict[str, Any]  # what the stored incident shows if this write committed
    outcome: str = "unknown"  # ok / unknown / not_sent / refused
    status_code: int | None = None
    answer: str = ""


@dataclass
class Record:
    """One incident as its client knows it: how to find it, and every write sent to it, in order."""

    door: str
    uid: str
    source: str
    external_id: str | None = None  # known from the start (GovWorx sysId, native key) or from the answer
    incident_id: str | None = None
    versions: list[Write] = field(default_factory=list)  # the create, then GovWorx updates
    notes: list[Write] = field(default_factory=list)
    statuses: list[Write] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)  # the last body sent (GovWorx: updated from it)
    resend: bool = False  # an idempotent write got no answer: send it again

    @property
    def created(self) -> bool:
        return any(w.outcome == "ok" for w in self.versions)

    def writes(self) -> list[Write]:
        return [*self.versions, *self.notes, *self.statuses]


@dataclass
class Ledger:
    records: list[Record] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: Record) -> Record:
        with self.lock:
            self.records.append(record)
        return record

    def counts(self) -> dict[str, Counter[str]]:
        """Per door: writes by outcome."""
        found: dict[str, Counter[str]] = {}
        for record in self.records:
            for write in record.writes():
                found.setdefault(write.door, Counter())[write.outcome] += 1
        return found


def _post(client: httpx.Client, write: Write, method: str, path: str, body: dict[str, Any]) -> httpx.Response | None:
    """Send one write and set its outcome; the answer when there was one."""
    try:
        response = client.request(method, path, json=body)
    except httpx.ConnectError:
        write.outcome = "not_sent"
        return None
    except httpx.TransportError:
        write.outcome = "unknown"
        return None
    write.status_code, write.answer = response.status_code, response.text[:300]
    if response.is_success:
        write.outcome = "ok"
    elif response.status_code >= 500:
        write.outcome = "unknown"
    else:
        write.outcome = "refused"
    return response


class Client:
    """One client thread's records and the writes it sends, in turns, until told to stop."""

    def __init__(self, number: int, key: str, ledger: Ledger, seed: int) -> None:
        self.number, self.key, self.ledger = number, key, ledger
        self.random = random.Random(seed)
        self.records: list[Record] = []
        self.counter = 0

    def run(self, base_url: str, stop: threading.Event) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(base_url=base_url, headers=headers, trust_env=False, timeout=15) as client:
            while not stop.is_set():
                self.turn(client)

    def turn(self, client: httpx.Client) -> None:
        waiting = [r for r in self.records if r.resend]
        if waiting:
            self.send_version(client, waiting[0], dict(waiting[0].body), waiting[0].versions[-1].door)
            return
        action = self.random.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
        if action in CREATE_DOORS:
            self.create(client, action)
        elif action == "govworx_update":
            self.govworx_update(client)
        elif action == "note":
            self.note(client)
        else:
            self.status(client)

    def uid(self) -> str:
        self.counter += 1
        return f"c{self.number}-{self.counter}-{self.random.randrange(16**6):06x}"

    # --- creates, one per door -----------------------------------------------------------------------------

    def create(self, client: httpx.Client, door: str) -> None:
        uid = self.uid()
        record = self.ledger.add(Record(door, uid, door))
        self.records.append(record)
        if door == "govworx":
            body = BY_NAME["govworx_new"].body(self.key, uid, self.counter)
            body.update(incidentType=f"Fire - {uid}", priority=f"Priority {self.counter % 5}")
            body["location"] = f"{self.counter} Main Street"
            body["notes"] = [_govworx_note(uid, 0)]
            record.external_id = uid
        elif door == "native":
            body = BY_NAME["native"].body(self.key, uid, self.counter)
            body.update(title=f"Native {uid}", severity=self.random.choice(["low", "medium", "high"]))
            body["location"]["address"] = f"{self.counter} Native Road"
            record.external_id = body["idempotency_key"]
        elif door == "sonoran":
            body = BY_NAME["sonoran"].body(self.key, uid, self.counter)
            body["data"][0].update(title=f"Sonoran {uid}", address=f"{self.counter} Sonoran Ave", priority=2)
        else:
            body = BY_NAME["devrev"].body(self.key, uid, self.counter)
            body.update(title=f"DevRev {uid}", severity=self.counter % 4)
        self.send_version(client, record, body, door)

    def govworx_update(self, client: httpx.Client) -> None:
        """Upload an own GovWorx incident again, changed: new type and priority, one note more."""
        records = [r for r in self.records if r.door == "govworx" and r.created]
        if not records:
            return
        record = self.random.choice(records)
        body = dict(record.body)
        revision = len(record.versions)
        body.update(incidentType=f"Fire - {record.uid} rev {revision}", priority=f"Priority {revision % 5}")
        body["notes"] = [*body["notes"], _govworx_note(record.uid, revision)]
        self.send_version(client, record, body, "govworx_update")

    def send_version(self, client: httpx.Client, record: Record, body: dict[str, Any], door: str) -> None:
        write = Write(door, _expected(record.door, body))
        record.versions.append(write)
        record.body, record.resend = body, False
        if record.door == "govworx":
            response = _post(client, write, "PUT", GOVWORX_PATH, body)
        elif record.door == "native":
            response = _post(client, write, "POST", "/v1/incidents", body)
        elif record.door == "sonoran":
            response = _post(client, write, "POST", "/emergency/new_dispatch", body)
        else:
            response = _post(client, write, "POST", "/incidents.create", body)
        # No answer: resend what is idempotent (a CAD does); the others are lost to the client, as in life.
        record.resend = write.outcome in ("unknown", "not_sent") and record.door in ("govworx", "native")
        if response is None or write.outcome != "ok":
            return
        if record.door == "govworx":
            record.incident_id = response.json()["id"]
        elif record.door == "native":
            record.incident_id = response.json()["incident"]["incident_id"]
        elif record.door == "sonoran":
            found = SONORAN_ANSWER.search(response.text)
            record.external_id = found.group(1) if found else None
            record.incident_id = _look_up(client, record)
        else:
            record.external_id = response.json()["incident"]["id"]
            record.incident_id = _look_up(client, record)

    # --- notes and status changes through the native API --------------------------------------------------

    def note(self, client: httpx.Client) -> None:
        records = [r for r in self.records if r.door != "govworx" and r.incident_id and not _final(r)]
        if not records:
            return
        record = self.random.choice(records)
        text = f"note {record.uid} #{len(record.notes) + 1}"
        write = Write("note", {"note": text})
        record.notes.append(write)
        _post(client, write, "POST", f"/v1/incidents/{record.incident_id}/notes", {"note": text, "author": "crash"})

    def status(self, client: httpx.Client) -> None:
        records = [r for r in self.records if r.door == "native" and r.incident_id and not _final(r)]
        if not records:
            return
        record = self.random.choice(records)
        sent = [w.expect["status"] for w in record.statuses if w.outcome != "refused" and w.outcome != "not_sent"]
        following = STATUSES[STATUSES.index(sent[-1]) + 1 :] if sent else STATUSES
        status = following[0] if len(following) == 1 else self.random.choice(following[:2])
        write = Write("status", {"status": status})
        record.statuses.append(write)
        _post(client, write, "POST", f"/v1/incidents/{record.incident_id}/status", {"status": status})


def _look_up(client: httpx.Client, record: Record) -> str | None:
    """The native id of a Sonoran call or DevRev incident (their doors answer with their own ids)."""
    try:
        params = {"source": record.source, "external_id": str(record.external_id)}
        found = client.get("/v1/incidents", params=params).json()["data"]
    except (httpx.TransportError, ValueError, KeyError):
        return None
    return str(found[0]["incident_id"]) if len(found) == 1 else None


def _final(record: Record) -> bool:
    return any(w.expect["status"] == "resolved" and w.outcome in ("ok", "unknown") for w in record.statuses)


def _govworx_note(uid: str, number: int) -> dict[str, str]:
    return {"noteId": f"N-{uid}-{number}", "note": f"govworx note {uid} #{number}", "noteBy": "CT-456",
            "noteAt": "2026-01-06T10:24:00Z"}  # fmt: skip


def _expected(door: str, body: dict[str, Any]) -> dict[str, Any]:
    """The fields of the stored incident (as `GET /v1/incidents/{id}` shows it) this body must give."""
    if door == "govworx":
        return {
            "title": body["incidentType"],
            "incident_type": body["incidentType"],
            "priority": body["priority"],
            "address": body["location"],
            "external_id": body["sysId"],
            "govworx_notes": sorted(note["note"] for note in body["notes"]),
        }
    if door == "native":
        return {
            "title": body["title"],
            "severity": body["severity"],
            "category": body["category"],
            "address": body["location"]["address"],
            "external_id": body["idempotency_key"],
        }
    if door == "sonoran":
        item = body["data"][0]
        return {"title": item["title"], "address": item["address"], "priority": str(item["priority"])}
    return {"title": body["title"], "description": body["body"], "priority": f"Sev{body['severity']}"}
