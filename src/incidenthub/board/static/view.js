// Small pure helpers: DOM building (text only, never HTML from data), labels, times, ordering.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const LIFECYCLE = ["created", "dispatching", "assigned", "responding", "on_scene", "resolved"];
export const ACTIVE = LIFECYCLE.slice(0, 5);
export const FINAL = ["resolved", "cancelled"];
export const UNIT_STATUSES = ["available", "busy", "enroute", "on_scene", "unavailable", "offline"];

export const SOURCES = { govworx: "GovWorx", sonoran: "Sonoran", devrev: "DevRev", native: "Native/Sety", eido: "EIDO" };

export function sourceLabel(source) {
  return SOURCES[source] || source || "unknown";
}

export function statusLabel(status) {
  return String(status || "").replace(/_/g, " ");
}

// What the lifecycle allows from `status`: any later step (CADs skip steps), or cancelled; none from a final one.
export function nextStatuses(status) {
  if (FINAL.includes(status)) return [];
  const at = LIFECYCLE.indexOf(status);
  if (at < 0) return ["cancelled"];
  return [...LIFECYCLE.slice(at + 1), "cancelled"];
}

const RANK_WORDS = { critical: 1, emergency: 1, urgent: 1, high: 2, medium: 3, moderate: 3, normal: 3, low: 4 };

// 1 is the most urgent: a CAD's priority number ("Priority 1", "P2", "3"), else its word, else the severity.
export function priorityRank(incident) {
  const priority = String(incident.priority || "").toLowerCase();
  const number = priority.match(/\d+/);
  if (number) return Number(number[0]);
  for (const [word, rank] of Object.entries(RANK_WORDS)) if (priority.includes(word)) return rank;
  return RANK_WORDS[String(incident.severity || "").toLowerCase()] ?? 9;
}

export function startedAt(incident) {
  return incident.call_received_at || incident.source_created_at || incident.created_at;
}

export function byPriorityThenNewest(a, b) {
  return priorityRank(a) - priorityRank(b) || String(startedAt(b)).localeCompare(String(startedAt(a)));
}

export function byNewest(a, b) {
  return String(startedAt(b)).localeCompare(String(startedAt(a)));
}

export function age(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function seconds(value) {
  if (value === null || value === undefined) return "–";
  return value < 10 ? `${value.toFixed(1)} s` : `${Math.round(value)} s`;
}

export function address(incident) {
  const where = incident.location || {};
  if (where.address) return where.address;
  if (where.landmark) return where.landmark;
  if (Array.isArray(where.coordinates)) return `${where.coordinates[1]}, ${where.coordinates[0]}`;
  return "";
}

export function incidentKind(incident) {
  return incident.incident_type || incident.title || incident.category || "incident";
}

// Units on the incident now: assigned and not cleared.
export function activeUnits(incident) {
  return (incident.responders || []).filter((r) => !r.cleared_at && r.unit).map((r) => r.unit.call_sign);
}
