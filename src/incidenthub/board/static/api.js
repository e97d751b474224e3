// Calls to incidenthub's API with the signed-in key in the Authorization header (never in a URL).

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// The server's own words for a refusal: problem+json's `detail` (or `message`), with the fields it names.
export function problemMessage(status, body, text) {
  if (body && typeof body === "object") {
    const said = body.detail || body.message || body.title;
    if (said) return String(said);
  }
  return `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`;
}

export function makeApi(key) {
  async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${key}`, Accept: "application/json" };
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) throw new ApiError(response.status, problemMessage(response.status, data, text), data);
    return data;
  }
  return {
    key,
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body ?? {}),
    patch: (path, body) => call("PATCH", path, body ?? {}),
  };
}
