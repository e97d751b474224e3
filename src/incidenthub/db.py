"""Engines, sessions, and the single write path that group-commits.

Reads use ordinary sessions. Writes are functions handed to `WritePath`: one thread runs them, many
to a transaction, commits once, and only then resolves each caller's future. A batch first runs
without savepoints; if one of its writes raises, the transaction is rolled back and the batch runs
again with a savepoint around each write, so the failing one is answered with its error and the
others still commit. On SQLite that thread is the only writer of the process, so concurrent requests
never fight over the database lock.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from incidenthub.audit import context as audit_context
from incidenthub.audit.context import COLLECTED, Actor
from incidenthub.errors import FieldError, Invalid

log = logging.getLogger(__name__)

T = TypeVar("T")

# The door a request came in by (set by the app per route); a write queued by the request carries it, and
# its session holds it under SESSION_DOOR while the write runs, so the events it makes name their door.
DOOR: ContextVar[str | None] = ContextVar("incidenthub_door", default=None)
SESSION_DOOR = "door"


class _NoRows(logging.Filter):
    """SQLAlchemy's engine logs each result row at DEBUG: incidents' names, phone numbers and narratives. They
    never reach a log, whatever level an operator sets (statements' parameters are hidden by the engines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


logging.getLogger("sqlalchemy.engine.Engine").addFilter(_NoRows())


def _json_text(value: Any) -> str:
    """JSON columns are written with orjson: raw payloads are most of an intake's bytes, and the standard
    library's encoder was a large share of every write. Same output for what the columns hold."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        # What orjson refuses (an integer beyond 64 bits in a client's unknown field) the standard library keeps.
        return json.dumps(value)


def _sqlite_engine(url: str, begin: str) -> Engine:
    # pysqlite's own transaction handling breaks SAVEPOINT; take it over (SQLAlchemy docs' recipe).
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        hide_parameters=True,
        json_serializer=_json_text,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


@dataclass
class Database:
    """The engines and session factories of one database URL."""

    url: str
    read_engine: Engine = field(init=False)
    write_engine: Engine = field(init=False)
    read_sessions: sessionmaker[Session] = field(init=False)
    write_sessions: sessionmaker[Session] = field(init=False)
    # SQLite file databases: a lock file beside the database that writers of every process take in turn.
    _writer_lock: Path | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            if url.database and url.database != ":memory:":
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
                self._writer_lock = Path(url.database + ".writer-lock")
            self.read_engine = _sqlite_engine(self.url, "BEGIN")
            # Writers take the lock up front so a read-then-write never fails half way.
            self.write_engine = _sqlite_engine(self.url, "BEGIN IMMEDIATE")
        else:
            # hide_parameters: request values (names, phone numbers) stay out of error logs.
            self.read_engine = create_engine(
                self.url,
                pool_size=10,
                max_overflow=20,
                pool_pre_ping=True,
                hide_parameters=True,
                json_serializer=_json_text,
            )
            self.write_engine = self.read_engine
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        self.write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.read_engine.dialect.name

    @contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the right to write (SQLite: across processes; PostgreSQL: nothing to hold, rows lock).

        SQLite lets one writer in at a time and makes the others poll with growing sleeps, which left a
        core idle and stretched p99 to seconds with one server process per core. A blocking `flock`
        hands the turn over the moment the writer before commits, in the order the kernel queues them.
        """
        if self._writer_lock is None:
            yield
            return
        with self._writer_lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed on success, rolled back on error (CLI and start-up use this)."""
        with self.writer(), self.write_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.read_engine.dispose()
        self.write_engine.dispose()


# A set-based handler: applies many payloads of one kind in the session's transaction, one result each.
BatchHandler = Callable[[Session, list[Any]], list[Any]]
# What one payload's write touched, from the payload and its result: incident ids (`inc_...`) or source ids.
# Lets the audit trail tell apart the changes of the writes one handler call applied together.
Touched = Callable[[Any, Any], list[str]]
# Records the actor and changes of every committed write of a transaction, in it (audit.trail.record).
Recorder = Callable[[Session, list[tuple[Actor, Any, list[dict[str, Any]]]]], None]


@dataclass
class _Job:
    work: Callable[[Session], Any] | None
    alone: bool = False
    kind: str | None = None
    payload: Any = None
    future: Future[Any] = field(default_factory=Future)
    door: str | None = field(default_factory=DOOR.get)
    # Who queued it (None: bookkeeping, or no request): its changes are recorded with it in the audit trail.
    actor: Actor | None = None


class _JobFailed(Exception):
    """A job of an optimistic batch raised: the batch runs again with a savepoint around each job."""


def _groups(batch: list[_Job]) -> Iterator[list[_Job]]:
    """The batch cut so that every job that must run alone gets a transaction of its own."""
    current: list[_Job] = []
    for job in batch:
        if job.alone:
            if current:
                yield current
                current = []
            yield [job]
        else:
            current.append(job)
    if current:
        yield current


class WritePath:
    """One writer thread; queued units of work are group-committed, each answered after the commit."""

    def __init__(self, database: Database, batch_max: int = 256) -> None:
        self._database = database
        self._batch_max = batch_max
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, BatchHandler] = {}
        self._touched: dict[str, Touched] = {}
        # Set by the app: the audit trail of every write queued by a request with a verified key.
        self.recorder: Recorder | None = None
        self.batches = 0
        self.jobs = 0

    def register(self, kind: str, handler: BatchHandler, touched: Touched | None = None) -> None:
        """Payloads submitted as `kind` are applied together, many in one call of `handler`; `touched` names
        what each payload's write changed, so that the audit trail gives each write its own changes."""
        self._handlers[kind] = handler
        if touched is not None:
            self._touched[kind] = touched

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="incidenthub-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Finish what is queued, then stop the thread; False when writes were still running after `timeout`
        seconds (a transaction cut off by the process's exit is rolled back: its callers were never answered)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            if self._thread.is_alive():
                return False
            self._thread = None
        return True

    def submit(self, work: Callable[[Session], T], *, alone: bool = False) -> Future[T]:
        """Queue `work`; `alone` gives it a transaction of its own (bookkeeping that must not hold locks
        while other writes run, such as an API key's last use)."""
        # Bookkeeping (`alone`, such as a key's last use) is not a write of the caller's: no audit row.
        job = _Job(work, alone, actor=None if alone else audit_context.current(DOOR.get()))
        self._queue.put(job)
        return job.future

    def submit_batched(self, kind: str, payload: Any) -> Future[Any]:
        """Queue a payload for the set-based handler of `kind` (see `register`)."""
        if kind not in self._handlers:
            raise KeyError(f"no batch handler registered for {kind!r}")
        job = _Job(None, kind=kind, payload=payload, actor=audit_context.current(DOOR.get()))
        self._queue.put(job)
        return job.future

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run `work` in the next transaction and return its result once that is committed."""
        return await self._answer(self.submit(work))

    async def run_batched(self, kind: str, payload: Any) -> Any:
        """Apply `payload` with the others of its kind in the next transaction; its result once committed."""
        return await self._answer(self.submit_batched(kind, payload))

    async def _answer(self, future: Future[T]) -> T:
        try:
            # Shielded: a request cancelled while its write waits (the shutdown bound cut it) leaves the write
            # queued, and it is committed; only the answer is lost, and every door's write is idempotent.
            result: T = await asyncio.shield(asyncio.wrap_future(future))
        except Exception as error:
            if is_unstorable_value(error):
                # A value the database cannot hold is the client's error, not ours: name it as such.
                raise Invalid(_UNSTORABLE, [FieldError("body", _UNSTORABLE)]) from error
            raise
        return result

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self._batch_max:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            for group in _groups(batch):
                try:
                    self._commit(group)
                except Exception:
                    # Never let one batch stop the only writer: every later write would hang.
                    log.exception("write batch failed unexpectedly")
                    for job in group:
                        if not job.future.done():
                            job.future.set_exception(RuntimeError("the write could not be completed"))

    def _commit(self, batch: list[_Job]) -> None:
        running = [job for job in batch if job.future.set_running_or_notify_cancel()]
        if not running:
            return
        try:
            try:
                # Optimistic first: the whole batch, no savepoints. If a job raises, that transaction is
                # rolled back and the batch runs again with a savepoint around each job.
                outcomes = self._with_retries(running, isolated=len(running) == 1)
            except _JobFailed:
                outcomes = self._with_retries(running, isolated=True)
        except Exception as exc:
            # Nothing of this batch was committed: every caller hears why.
            for job in running:
                job.future.set_exception(exc)
            return
        self.batches += 1
        self.jobs += len(outcomes)
        for job, result, error in outcomes:
            if error is None:
                job.future.set_result(result)
            else:
                job.future.set_exception(error)

    def _with_retries(self, jobs: list[_Job], *, isolated: bool) -> list[tuple[_Job, Any, Exception | None]]:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return self._attempt(jobs, isolated=isolated)
            except Exception as exc:
                if not (is_transient(exc) and attempt < _ATTEMPTS):
                    raise
                log.info("write batch of %d hit %s; retrying", len(jobs), type(exc.__cause__).__name__)
        raise AssertionError("unreachable")

    def _attempt(self, jobs: list[_Job], *, isolated: bool) -> list[tuple[_Job, Any, Exception | None]]:
        """Run the jobs in one transaction and commit; `isolated`: each in a savepoint, failures kept apart."""
        outcomes: list[tuple[_Job, Any, Exception | None]] = []
        trail: list[tuple[Actor, Any, list[dict[str, Any]]]] = []
        with self._database.writer(), self._database.write_sessions() as session, session.begin():
            if not isolated:
                # Set-based first: every payload of a kind in one call of its handler.
                kinds: dict[tuple[str, str | None], list[_Job]] = {}
                for job in jobs:
                    if job.kind is not None:
                        kinds.setdefault((job.kind, job.door), []).append(job)
                for (kind, door), group in kinds.items():
                    session.info[SESSION_DOOR] = door
                    collected = session.info[COLLECTED] = []
                    try:
                        results = self._handlers[kind](session, [job.payload for job in group])
                    except Exception as exc:
                        if is_transient(exc) or len(jobs) == 1:
                            raise
                        raise _JobFailed from exc
                    outcomes.extend((job, result, None) for job, result in zip(group, results, strict=True))
                    trail.extend(self._changes_of(kind, group, results, collected))
            for job in jobs:
                if job.kind is not None and not isolated:
                    continue
                collected = session.info[COLLECTED] = []
                if len(jobs) == 1:
                    result = self._run_one(session, job)
                    outcomes.append((job, result, None))
                    trail.extend(self._changes_of(job.kind, [job], [result], collected))
                    continue
                try:
                    if isolated:
                        with session.begin_nested():
                            result = self._run_one(session, job)
                            # Flushed inside the savepoint: a failing flush undoes this job alone, and
                            # the job is answered with that error, never with the result computed before.
                            session.flush()
                    else:
                        result = self._run_one(session, job)
                    outcomes.append((job, result, None))
                    trail.extend(self._changes_of(job.kind, [job], [result], collected))
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    if not isolated:
                        raise _JobFailed from exc
                    outcomes.append((job, None, exc))  # its savepoint is undone: nothing of it is recorded
            session.info.pop(COLLECTED, None)
            if trail and self.recorder is not None:
                # The audit rows of every write of this transaction: one statement, committed with them.
                self.recorder(session, trail)
        return outcomes

    def _changes_of(
        self, kind: str | None, group: list[_Job], results: list[Any], collected: list[dict[str, Any]]
    ) -> list[tuple[Actor, Any, list[dict[str, Any]]]]:
        """Each write of one handler call (or one unit of work) with the changes that were its own."""
        touched = self._touched.get(kind) if kind is not None else None
        out: list[tuple[Actor, Any, list[dict[str, Any]]]] = []
        for job, result in zip(group, results, strict=True):
            if job.actor is None:
                continue
            names = touched(job.payload, result) if touched is not None else []
            if len(group) == 1:
                own = collected
            else:
                wanted = set(names)
                ids = {c["incident_id"] for c in collected if c["incident_id"] in wanted or c["external_id"] in wanted}
                own = [c for c in collected if c["incident_id"] in ids]
            if not own:
                # A repeat that changed nothing is still a write the key sent: recorded against what it named.
                own = [_untouched(name) for name in names]
            out.append((job.actor, result, own))
        return out

    def _run_one(self, session: Session, job: _Job) -> Any:
        session.info[SESSION_DOOR] = job.door
        if job.kind is not None:
            return self._handlers[job.kind](session, [job.payload])[0]
        assert job.work is not None  # noqa: S101 - a job is either work or a payload of a kind
        return job.work(session)


def _untouched(name: str) -> dict[str, Any]:
    incident = name.startswith("inc_")
    return {
        "incident_id": name if incident else None,
        "event": None,
        "fields": [],
        "external_id": None,
        "record_id": None if incident else name,
    }


_UNSTORABLE = (
    "a value cannot be stored: too long for its field, a number out of range, a NUL character, text that is not "
    "Unicode (a lone surrogate), or NaN/Infinity"
)


def is_unstorable_value(error: BaseException) -> bool:
    """Whether the database refused a value for what it is (length, range, NUL, NaN), not for a fault of ours."""
    original = error.orig if isinstance(error, StatementError) else error
    if isinstance(error, DataError) or isinstance(original, OverflowError | UnicodeEncodeError):
        return True
    # psycopg refuses NUL characters before sending anything.
    return isinstance(original, ValueError) and "NUL" in str(original)


_ATTEMPTS = 3
# PostgreSQL's deadlock_detected and serialization_failure: the whole transaction may simply be retried.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the whole transaction may simply be run again."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES
