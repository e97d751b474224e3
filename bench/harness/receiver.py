"""A real local webhook receiver for `make crash`: it takes every POST, answers 204 and remembers its ids.

Standard Webhooks has the sender name each message in `webhook-id` (the same id on every retry, so a
receiver deduplicates by it); the body's `id` is the event's. Both are kept, so the check "every committed
event reached the receiver at least once" holds whichever of the two the delivery worker puts the event id in.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class Receiver:
    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.posts = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers: a new connection per POST measured TCP

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    event_id = json.loads(body).get("id")
                except (ValueError, AttributeError):
                    event_id = None
                with receiver.lock:
                    receiver.posts += 1
                    receiver.ids.update(str(i) for i in (self.headers.get("webhook-id"), event_id) if i)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def missing(self, event_ids: list[str]) -> list[str]:
        with self.lock:
            return [event_id for event_id in event_ids if event_id not in self.ids]


def register(base_url: str, key: str, url: str) -> str | None:
    """Subscribe the receiver to every event; None when the server has no webhooks (404), else why it is on."""
    headers = {"Authorization": f"Bearer {key}"}
    body = {"url": url, "events": ["*"], "description": "make crash receiver"}
    response = httpx.post(f"{base_url}/v1/webhooks", json=body, headers=headers, trust_env=False, timeout=30)
    if response.status_code == 404:
        return None
    if not response.is_success:
        raise SystemExit(f"crash: POST /v1/webhooks answered {response.status_code}: {response.text[:500]}")
    return f"endpoint {response.json().get('webhook_id', '?')} -> {url}"
