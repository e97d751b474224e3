"""A server-sent events client for the tests: reads a stream in a thread, as a browser's EventSource would."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Event:
    id: str | None
    event: str | None
    data: str

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.data)
        return parsed


@dataclass
class Stream:
    """One open `GET .../events/stream`: the events and comment lines received so far."""

    url: str
    headers: dict[str, str]
    events: list[Event] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    status: int | None = None
    ended: bool = False  # the server ended the stream (not us)
    error: BaseException | None = None
    _opened: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def open(self, timeout: float = 30) -> Stream:
        """Connect; returns once the answer's headers arrived (from then on every new commit is sent)."""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._opened.wait(timeout), "the stream never answered"
        assert self.error is None, self.error
        return self

    def _read(self) -> None:
        try:
            with (
                httpx.Client(timeout=httpx.Timeout(30, read=60)) as client,
                client.stream("GET", self.url, headers=self.headers) as response,
            ):
                self.status = response.status_code
                self._opened.set()
                fields: dict[str, str] = {}
                data: list[str] = []
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line == "":
                        if data:
                            self.events.append(Event(fields.get("id"), fields.get("event"), "\n".join(data)))
                        fields, data = {}, []
                    elif line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "data":
                            data.append(value)
                        else:
                            fields[name] = value
                self.ended = True
        except BaseException as error:  # reported by the test that waits
            self.error = error
        finally:
            self._opened.set()

    def wait_for(self, count: int, timeout: float = 20) -> list[Event]:
        """The first `count` events, once they arrived."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, f"{len(self.events)} events of {count}: {self.events}"
            time.sleep(0.02)
        return self.events[:count]

    def close(self) -> None:
        """Hang up (at the next line the server sends: a heartbeat at the latest)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            assert not self._thread.is_alive(), "the stream reader did not stop"

    def __enter__(self) -> Stream:
        return self.open()

    def __exit__(self, *_exc: object) -> None:
        self.close()
