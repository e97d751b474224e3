"""The import's batches, spread over processes that take turns to write, in the order of the file.

Decoding, validating and mapping a record costs about as much as writing it, and Python runs one of
them at a time per process. So the import runs in `workers` processes (the CLI: one per core, two at
most): batch k goes to process k mod workers, which prepares it while the others prepare or write
theirs, then waits for its turn, writes it in one transaction and passes the turn on. Batches commit in
the order of the file, each after the one before it, exactly as one process would commit them: a
record repeated later in the file updates the earlier one, and a batch sees everything before it.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import orjson

from incidenthub.adapters.govworx import mapping
from incidenthub.db import Database, is_transient, is_unstorable_value
from incidenthub.errors import AppError
from incidenthub.incidents import batch
from incidenthub.incidents.commands import SourceIncident
from incidenthub.inputs import MAX_DEPTH, MAX_ITEMS, MAX_NAME
from incidenthub.recordings.service import MatchRules


@dataclass(frozen=True)
class Record:
    """One record of the input: where it was (line, or position in an array) and what it held.

    A JSON line travels as its bytes (`payload` is `bytes`) and is decoded by the process that imports it."""

    where: str
    number: int
    payload: Any
    error: str | None = None


@dataclass(frozen=True)
class Work:
    """What every process needs to import a batch (sent to the helpers, so plain values only)."""

    database_url: str
    tenant_id: str
    local: tzinfo | None
    actor: str
    rules: MatchRules


@dataclass
class Done:
    """What a batch came to: counts, and its rejects in the order of the file."""

    index: int
    seen: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejects: list[dict[str, Any]] = field(default_factory=list)


# A 20-digit run may be an integer beyond 64 bits, which orjson reads as a float: the standard library keeps it.
_LONG_NUMBER = re.compile(rb"\d{19}")


def _longest_quoted(line: bytes) -> int:
    """At least the characters of the line's longest string or member name: the bytes between two real quotes
    (escaped backslashes and quotes masked, each as long as it was)."""
    return max(map(len, line.replace(b"\\\\", b"__").replace(b'\\"', b"__").split(b'"')))


def decode_line(record: Record) -> tuple[Any, bool] | str:
    """The line's JSON value and whether it is known storable (no NUL, NaN, deep nesting, string, member name or
    array over its limit), or why not JSON."""
    line: bytes = record.payload
    if not _LONG_NUMBER.search(line):
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            pass  # the standard library's reading (NaN, lone surrogates) and its error message decide
        else:
            # orjson refuses NaN, Infinity and raw control characters, so a NUL can only be an escape,
            # no value can nest deeper than the line has brackets, no array or object holds more items than the
            # line has commas plus one, and no string or name is longer than the bytes between two quotes.
            shallow = line.count(b"{") + line.count(b"[") <= MAX_DEPTH
            # A line with a string longer than a member name may be (a narrative) gets the full check.
            short = len(line) <= MAX_NAME or _longest_quoted(line) <= MAX_NAME
            small = short and line.count(b",") < MAX_ITEMS
            return value, shallow and small and b"\\u0000" not in line
    try:
        return json.loads(line), False
    except ValueError as error:
        return f"not valid JSON: {error}"


def _entry(record: Record, reason: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    payload = record.payload
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", "replace").rstrip("\n")
    return {record.where: record.number, "reason": reason, "errors": errors or [], "record": payload}


def prepare(work: Work, records: list[Record], done: Done) -> list[tuple[Record, SourceIncident]]:
    """The batch's records as commands; those that cannot be read or validated go to `done.rejects`."""
    out: list[tuple[Record, SourceIncident]] = []
    for record in records:
        if record.error is not None:
            done.rejects.append(_entry(record, record.error))
            continue
        payload, checked = record.payload, False
        if isinstance(payload, bytes):
            decoded = decode_line(record)
            if isinstance(decoded, str):
                done.rejects.append(_entry(record, decoded))
                continue
            payload, checked = decoded
        try:
            command = mapping.to_command(mapping.parse_upload(payload, checked=checked), payload, work.local)
        except AppError as error:
            errors = [{"field": e.field, "message": e.message} for e in error.errors]
            done.rejects.append(_entry(record, error.detail, errors))
            continue
        out.append((Record(record.where, record.number, payload), command))
    return out


def write(database: Database, work: Work, pending: list[tuple[Record, SourceIncident]], done: Done) -> None:
    """One transaction for the batch, set-based; if a record fails, again with each record on its own."""
    if not pending:
        return
    items = [batch.Upsert(work.tenant_id, command, actor=work.actor, rules=work.rules) for _, command in pending]
    try:
        outcomes: list[batch.Written | str] = list(_with_retries(database, items))
    except Exception as error:
        if not (isinstance(error, AppError) or is_unstorable_value(error)):
            raise
        outcomes = [_upsert_alone(database, item) for item in items]
    for (record, _), outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, str):
            done.rejects.append(_entry(record, outcome))
        elif outcome.result.created:
            done.created += 1
        elif outcome.result.updated:
            done.updated += 1
        else:
            done.unchanged += 1


_ATTEMPTS = 3


def _with_retries(database: Database, items: list[batch.Upsert]) -> list[batch.Written]:
    """The items in one transaction, run again if the database chose it as a deadlock's victim (the server
    writing the same tenant's incidents meanwhile)."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with database.transaction() as session:
                return batch.upsert_many(session, items)
        except Exception as error:
            if not (is_transient(error) and attempt < _ATTEMPTS):
                raise
    raise AssertionError("unreachable")


def _upsert_alone(database: Database, item: batch.Upsert) -> batch.Written | str:
    """One record in a transaction of its own: what it wrote, or why it was refused."""
    try:
        return _with_retries(database, [item])[0]
    except AppError as error:
        return error.detail
    except Exception as error:
        if not is_unstorable_value(error):
            raise
        return "a value cannot be stored: too long for its field, out of range, NUL, or NaN"


class Aborted(Exception):
    """Another process's batch failed: nothing after it may commit."""


_ABORTED = -1
_WAIT_S = 1.0


class Turns:
    """Whose batch writes next, shared by the processes (a counter under a condition)."""

    def __init__(self, context: Any) -> None:
        self._next = context.Value("q", 0, lock=False)
        self._changed = context.Condition()

    @contextmanager
    def turn(self, index: int, alive: Callable[[], bool] = lambda: True) -> Iterator[None]:
        """Wait until every batch before `index` is written; pass the turn on after ours (or abort all)."""
        with self._changed:
            while self._next.value not in (index, _ABORTED):
                self._changed.wait(_WAIT_S)
                if not alive():
                    self._next.value = _ABORTED
            if self._next.value == _ABORTED:
                raise Aborted
        try:
            yield
        except BaseException:
            self.abort()
            raise
        with self._changed:
            self._next.value = index + 1
            self._changed.notify_all()

    def abort(self) -> None:
        with self._changed:
            self._next.value = _ABORTED
            self._changed.notify_all()


def run_batch(
    database: Database,
    work: Work,
    index: int,
    records: list[Record],
    turns: Turns | None,
    alive: Callable[[], bool] = lambda: True,
) -> Done:
    """Prepare the batch (in parallel with the others), then write it in its turn; `alive`: whether the
    other processes still run (a wait for a turn that will never come ends)."""
    done = Done(index, len(records))
    pending = prepare(work, records, done)
    if turns is None:
        write(database, work, pending, done)
        return done
    with turns.turn(index, alive):
        write(database, work, pending, done)
    return done


def _helper(work: Work, turns: Turns, inbox: Any, outbox: Any) -> None:
    """A helper process: batches from `inbox` until None; each result (or the error that stopped it) to `outbox`."""
    database = Database(work.database_url)
    parent = multiprocessing.parent_process()
    alive = parent.is_alive if parent is not None else lambda: True
    try:
        while (job := inbox.get()) is not None:
            index, records = job
            try:
                outbox.put(run_batch(database, work, index, records, turns, alive))
            except Aborted:
                return
            except BaseException as error:
                outbox.put((index, _picklable(error)))
                raise
    finally:
        database.dispose()


def _picklable(error: BaseException) -> BaseException:
    try:
        multiprocessing.reduction.ForkingPickler.dumps(error)
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def run(
    database: Database, work: Work, batches: Iterator[list[Record]], workers: int, report: Callable[[Done], None]
) -> None:
    """Import every batch over `workers` processes (this one included); `report` hears of each in order."""
    if workers <= 1:
        for index, records in enumerate(batches):
            report(run_batch(database, work, index, records, None))
        return
    context = multiprocessing.get_context("spawn")
    turns = Turns(context)
    inboxes = [context.Queue(maxsize=2) for _ in range(workers - 1)]
    outbox = context.Queue()
    helpers = [
        context.Process(target=_helper, args=(work, turns, inbox, outbox), daemon=True, name="incidenthub-import")
        for inbox in inboxes
    ]
    for helper in helpers:
        helper.start()
    finished: dict[int, Done] = {}
    reported = 0

    def collect(upto: int) -> None:
        """Report, in order, every batch before `upto` (waiting for the helpers' results)."""
        nonlocal reported
        while reported < upto:
            while reported not in finished:
                result = _result(outbox, helpers)
                if isinstance(result, tuple):
                    raise result[1]
                finished[result.index] = result
            report(finished.pop(reported))
            reported += 1

    alive = lambda: all(helper.is_alive() for helper in helpers)  # noqa: E731
    try:
        index = -1
        rounds = _rounds(batches, workers)
        for index, round_ in rounds:
            # The helpers' batches of this round go out first, so they are prepared while this one is.
            for offset, records in enumerate(round_[1:], start=1):
                inboxes[offset - 1].put((index + offset, records))
            done = run_batch(database, work, index, round_[0], turns, alive)
            collect(index)
            report(done)
            reported += 1
            index += len(round_) - 1
        for inbox in inboxes:
            inbox.put(None)
        collect(index + 1)
        for helper in helpers:
            helper.join()
    except Aborted:
        # A helper's batch failed: its error, not our wait, is what the user needs to see.
        turns.abort()
        _stop(helpers)
        while True:
            result = _result(outbox, helpers)
            if isinstance(result, tuple):
                raise result[1] from None
    except BaseException:
        turns.abort()
        _stop(helpers)
        raise


def _rounds(batches: Iterator[list[Record]], workers: int) -> Iterator[tuple[int, list[list[Record]]]]:
    """(index of the first, up to `workers` consecutive batches)."""
    round_: list[list[Record]] = []
    first = 0
    for index, records in enumerate(batches):
        if not round_:
            first = index
        round_.append(records)
        if len(round_) == workers:
            yield first, round_
            round_ = []
    if round_:
        yield first, round_


def _stop(helpers: list[Any]) -> None:
    for helper in helpers:
        helper.join(timeout=30)
        if helper.is_alive():
            helper.terminate()


def _result(outbox: Any, helpers: list[Any]) -> Done | tuple[int, BaseException]:
    """The next result from a helper; an error if every helper stopped without one."""
    while True:
        try:
            result: Done | tuple[int, BaseException] = outbox.get(timeout=_WAIT_S)
            return result
        except queue.Empty:
            if not any(helper.is_alive() for helper in helpers):
                raise RuntimeError("the import's helper process stopped unexpectedly") from None
