// The live event stream read with fetch(): EventSource cannot send an Authorization header, and the key must
// never be in a URL. Parses server-sent event frames, resumes with Last-Event-ID after a disconnect.

const QUIET_LIMIT_MS = 45000; // the server sends a heartbeat every 15 s; three missed: the connection is dead
const MAX_DELAY_MS = 2000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class LiveStream {
  constructor({ key, onEvent, onState, onConnected, path = "/v1/events/stream" }) {
    this.key = key;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onConnected = onConnected;
    this.path = path;
    this.lastId = null; // the last event's seq seen: sent back as Last-Event-ID on reconnecting
    this.stopped = true;
    this.controller = null;
  }

  start() {
    this.stopped = false;
    this.loop();
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
  }

  async loop() {
    let delay = 250;
    let first = true;
    while (!this.stopped) {
      this.controller = new AbortController();
      this.onState(first ? "connecting" : "reconnecting");
      try {
        const headers = { Authorization: `Bearer ${this.key}`, Accept: "text/event-stream" };
        if (this.lastId !== null) headers["Last-Event-ID"] = this.lastId;
        const response = await fetch(this.path, { headers, signal: this.controller.signal, cache: "no-store" });
        if (response.status === 401 || response.status === 403) {
          this.onState("refused", response.status);
          return;
        }
        if (!response.ok || !response.body) throw new Error(`the stream answered ${response.status}`);
        this.onState("connected");
        delay = 250;
        await this.onConnected(this.lastId === null);
        await this.read(response.body);
      } catch (error) {
        if (this.stopped) return;
      }
      if (this.stopped) return;
      first = false;
      this.onState("reconnecting");
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let watchdog = null;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => this.controller.abort(), QUIET_LIMIT_MS);
    };
    arm();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return; // the server ended the answer (it is stopping): reconnect and resume
        arm();
        buffer += value;
        // The server ends lines with "\r\n": a chunk may end between the two. A "\r" at the end waits for the
        // next chunk, or it would read as a line of its own and cut the event in two.
        const held = buffer.endsWith("\r") ? "\r" : "";
        buffer = buffer.slice(0, buffer.length - held.length).replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.frame(frame);
        }
        buffer += held;
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  frame(text) {
    let id = null;
    let type = "message";
    const data = [];
    for (const line of text.split("\n")) {
      if (!line || line.startsWith(":")) continue; // a comment: the heartbeat
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "id") id = value;
      else if (field === "event") type = value;
      else if (field === "data") data.push(value);
    }
    if (id !== null) this.lastId = id;
    if (!data.length) return;
    let event;
    try {
      event = JSON.parse(data.join("\n"));
    } catch {
      return;
    }
    this.onEvent(type, event);
  }
}
