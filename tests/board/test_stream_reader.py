"""The board's SSE reader (`board/static/stream.js`) in Node: an event reads the same however the network cuts
the stream into chunks, even between the "\\r" and "\\n" that end the server's lines (sse-starlette's separator)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

STREAM_JS = Path(__file__).parents[2] / "src" / "incidenthub" / "board" / "static" / "stream.js"
NODE = shutil.which("node")

# Every way to cut the stream in two: each cut gives the events the stream holds, with their types and ids.
SCRIPT = """
const { LiveStream } = await import(process.argv[2]);
const text = process.argv[3];
const encoder = new TextEncoder();
const results = [];
for (let cut = 0; cut <= text.length; cut += 1) {
  const got = [];
  const reader = new LiveStream({ key: "k", onEvent: (type, event) => got.push([type, event]), onState() {} });
  reader.controller = new AbortController();
  const chunks = [text.slice(0, cut), text.slice(cut)];
  const body = new ReadableStream({ start(c) { for (const x of chunks) c.enqueue(encoder.encode(x)); c.close(); } });
  await reader.read(body);
  results.push({ cut, got, lastId: reader.lastId });
}
console.log(JSON.stringify(results));
"""


@pytest.mark.skipif(NODE is None, reason="needs node (Debian: apt-get install nodejs)")
def test_every_cut_of_the_stream_reads_the_same_events(tmp_path: Path) -> None:
    stream = (
        'id: 7\r\nevent: access.checked_in\r\ndata: {"site_id": "site_1"}\r\n\r\n'
        ": ping\r\n\r\n"
        'id: 8\r\nevent: unit.updated\r\ndata: {"unit_id": "unit_1"}\r\n\r\n'
    )
    script = tmp_path / "cuts.mjs"
    script.write_text(SCRIPT)
    assert NODE is not None
    done = subprocess.run([NODE, str(script), str(STREAM_JS), stream], capture_output=True, text=True, check=True)
    expected = [["access.checked_in", {"site_id": "site_1"}], ["unit.updated", {"unit_id": "unit_1"}]]
    for result in json.loads(done.stdout):
        assert (result["got"], result["lastId"]) == (expected, "8"), result["cut"]
