// The dispatch board: sign in with a key, the tenant's incidents from every door, one incident's panel,
// the units, all kept current by the live event stream.

import { ApiError, makeApi } from "/board/api.js";
import { boxOf, drawMap, heatQuery, located } from "/board/map.js";
import { LiveStream } from "/board/stream.js";
import {
  ACTIVE,
  FINAL,
  UNIT_STATUSES,
  SOURCES,
  activeUnits,
  address,
  age,
  byNewest,
  byPriorityThenNewest,
  el,
  incidentKind,
  nextStatuses,
  seconds,
  sourceLabel,
  startedAt,
  statusLabel,
  when,
} from "/board/view.js";

const STORAGE = "incidenthub.board.key";
const $ = (id) => document.getElementById(id);

let state = null;

function freshState(api, me) {
  return {
    api,
    me,
    scopes: new Set(me.scopes),
    active: new Map(), // incident_id -> incident
    closed: new Map(),
    showClosed: false,
    units: [],
    unitDrafts: new Map(), // unit_id -> status chosen but not yet sent
    unitControls: new Map(), // unit_id -> its status select and button, kept across renders
    selected: null, // incident_id in the panel
    recordings: new Map(), // incident_id -> the call recordings matched to it
    closedTotal: 0, // closed incidents in all (the list holds the newest page of each final status)
    stream: null,
    pendingIncidents: new Set(),
    pendingUnits: false,
    flushTimer: null,
    ageTimer: null,
    heat: null, // the heat map's answer, and the query it answers
    heatQuery: null,
    complianceTimer: null,
    complianceSoon: null,
    pendingAccess: false,
    sites: [],
  };
}

const may = (scope) => state && (state.scopes.has("*") || state.scopes.has(scope));

// --- signing in and out ----------------------------------------------------------------------------------

async function signIn(key, { quiet = false } = {}) {
  const api = makeApi(key);
  let me;
  try {
    me = await api.get("/v1/whoami");
  } catch (error) {
    sessionStorage.removeItem(STORAGE);
    if (!quiet) $("signin-error").textContent = error instanceof ApiError && error.status === 401
      ? "This key was refused: it is unknown, revoked or expired."
      : `Could not sign in: ${error.message}`;
    return;
  }
  sessionStorage.setItem(STORAGE, key);
  $("key").value = "";
  $("signin-error").textContent = "";
  state = freshState(api, me);
  $("signin").hidden = true;
  $("board").hidden = false;
  $("signout").hidden = false;
  $("tenant").hidden = false;
  $("tenant").textContent = `${me.tenant.name} · key ${me.name || me.prefix}`;
  $("tenant").title = `tenant ${me.tenant.slug}; scopes ${me.scopes.join(", ")}`;
  $("units").hidden = !may("dispatch:read");
  $("access").hidden = !may("access:read");
  $("validate-form").hidden = !may("access:read");
  $("checkin").hidden = !may("access:write");
  $("checkin-gate").hidden = !may("access:write");
  document.querySelector('label[for="checkin-gate"]').hidden = !may("access:write");
  if (may("access:read")) loadSites();
  $("note-form").hidden = !may("incidents:write");
  if (!may("incidents:read")) {
    $("incidents-message").textContent = "This key may not read incidents (scope incidents:read).";
    $("live").hidden = false;
    setLive("off", "Live updates need incidents:read");
    $("incidents").hidden = true;
    await loadUnits();
    return;
  }
  $("incidents").hidden = false;
  $("map").hidden = false;
  if (may("analytics:read")) {
    $("compliance").hidden = false;
    loadCompliance();
    state.complianceTimer = setInterval(loadCompliance, 60000);
  }
  state.ageTimer = setInterval(renderList, 30000);
  $("live").hidden = false;
  state.stream = new LiveStream({
    key,
    onEvent: (type, event) => queueEvent(type, event),
    onState: (liveState) => setLive(liveState),
    onConnected: async (fresh) => {
      // A first connection (or one that never saw an event) starts at "now": read everything once. A resumed
      // one gets the missed events themselves from Last-Event-ID.
      if (fresh) await loadAll();
    },
  });
  state.stream.start();
}

function signOut(message = "") {
  sessionStorage.removeItem(STORAGE);
  if (state) {
    if (state.stream) state.stream.stop();
    clearInterval(state.ageTimer);
    clearInterval(state.complianceTimer);
    clearTimeout(state.complianceSoon);
    clearTimeout(state.flushTimer);
  }
  state = null;
  $("board").hidden = true;
  $("signin").hidden = false;
  $("signout").hidden = true;
  $("tenant").hidden = true;
  $("live").hidden = true;
  $("panel").hidden = true;
  $("map").hidden = true;
  $("map-picture").replaceChildren();
  $("compliance").hidden = true;
  $("compliance-list").replaceChildren();
  $("access").hidden = true;
  $("inside-list").replaceChildren();
  $("validate-result").textContent = "";
  $("incident-list").replaceChildren();
  $("unit-list").replaceChildren();
  $("signin-error").textContent = message;
  $("key").focus();
}

function refused(error) {
  if (error instanceof ApiError && error.status === 401) {
    signOut("The key stopped working (revoked or expired): sign in again.");
    return true;
  }
  return false;
}

function setLive(liveState, text) {
  const labels = {
    connecting: "Connecting…",
    connected: "Live",
    reconnecting: "Reconnecting…",
    refused: "Live updates refused for this key",
    off: "Not connected",
  };
  const node = $("live");
  node.dataset.state = liveState;
  node.textContent = text || labels[liveState] || liveState;
}

// --- loading ----------------------------------------------------------------------------------------------

// Active incidents: every page (a centre has tens open, a disaster hundreds). Closed ones: the newest page of
// each final status, and how many there are (a CAD uploads years of closed calls).
async function fetchStatus(status, everyPage = true) {
  const found = [];
  for (let page = 1; ; page += 1) {
    const answer = await state.api.get(`/v1/incidents?status=${encodeURIComponent(status)}&limit=100&page=${page}`);
    found.push(...answer.data);
    if (!everyPage || !answer.has_more) return { data: found, total: answer.total };
  }
}

async function loadAll() {
  await Promise.all([loadIncidents(), loadUnits()]);
  if (state && state.selected) await refreshIncident(state.selected);
}

async function loadIncidents() {
  if (!state) return;
  try {
    const pages = await Promise.all(ACTIVE.map((status) => fetchStatus(status)));
    state.active = new Map(pages.flatMap((p) => p.data).map((incident) => [incident.incident_id, incident]));
    if (state.showClosed) await loadClosed();
    $("incidents-message").textContent = "";
  } catch (error) {
    if (refused(error)) return;
    $("incidents-message").textContent = `Could not load incidents: ${error.message}`;
  }
  renderFilters();
  renderList();
}

async function loadClosed() {
  const pages = await Promise.all(FINAL.map((status) => fetchStatus(status, false)));
  state.closed = new Map(pages.flatMap((p) => p.data).map((incident) => [incident.incident_id, incident]));
  state.closedTotal = pages.reduce((sum, p) => sum + p.total, 0);
}

async function loadUnits() {
  if (!state || !may("dispatch:read")) return;
  try {
    const page = await state.api.get("/v1/units?limit=1000");
    state.units = page.data;
    $("units-message").textContent = "";
  } catch (error) {
    if (refused(error)) return;
    $("units-message").textContent = `Could not load units: ${error.message}`;
  }
  renderUnits();
  renderAssign();
}

function store(incident) {
  const id = incident.incident_id;
  if (FINAL.includes(incident.status)) {
    state.active.delete(id);
    if (!state.closed.has(id)) state.closedTotal += 1; // closed since the list was read
    state.closed.set(id, incident);
  } else {
    if (state.closed.delete(id)) state.closedTotal -= 1;
    state.active.set(id, incident);
  }
}

function known(id) {
  return state.active.get(id) || state.closed.get(id);
}

async function refreshIncident(id) {
  try {
    const incident = await state.api.get(`/v1/incidents/${encodeURIComponent(id)}`);
    if (!state) return;
    store(incident);
  } catch (error) {
    if (refused(error)) return;
    if (error instanceof ApiError && error.status === 404) {
      state.active.delete(id);
      state.closed.delete(id);
    }
  }
}

// --- live events --------------------------------------------------------------------------------------------

function queueEvent(type, event) {
  if (!state) return;
  if (event.incident_id) state.pendingIncidents.add(event.incident_id);
  if (type.startsWith("access.")) state.pendingAccess = true;
  if (type.startsWith("unit.") || type.startsWith("assignment.")) state.pendingUnits = true;
  if (!state.flushTimer) state.flushTimer = setTimeout(flush, 50); // events of one change arrive together
}

async function flush() {
  if (!state) return;
  state.flushTimer = null;
  const ids = [...state.pendingIncidents];
  const units = state.pendingUnits;
  const access = state.pendingAccess;
  state.pendingIncidents.clear();
  state.pendingUnits = false;
  state.pendingAccess = false;
  if (access) loadInside();
  await Promise.all([...ids.map(refreshIncident), units ? loadUnits() : null]);
  if (!state) return;
  renderFilters();
  renderList();
  if (state.selected && ids.includes(state.selected)) {
    renderPanel();
    loadRecordings(state.selected); // a change (a GovWorx upload's times) may match a recording to it
  }
  if (units && may("analytics:read")) {
    // Read today's figures once the dispatch changes settle (a burst of events: one read).
    clearTimeout(state.complianceSoon);
    state.complianceSoon = setTimeout(loadCompliance, 1000);
  }
}

// --- the incident list -----------------------------------------------------------------------------------------

function setOptions(select, values, labelOf = (v) => v) {
  const signature = JSON.stringify(values);
  if (select.dataset.signature === signature) return; // unchanged: an open list stays as it is
  select.dataset.signature = signature;
  const chosen = select.value;
  const options = [el("option", { value: "" }, "all"), ...values.map((v) => el("option", { value: v }, labelOf(v)))];
  select.replaceChildren(...options);
  select.value = values.includes(chosen) ? chosen : "";
}

function renderFilters() {
  if (!state) return;
  const shown = [...(state.showClosed ? state.closed : state.active).values()];
  setOptions($("filter-status"), state.showClosed ? FINAL : ACTIVE, statusLabel);
  const sources = [...new Set([...Object.keys(SOURCES), ...shown.map((i) => i.source)])];
  setOptions($("filter-source"), sources, sourceLabel);
  setOptions($("filter-agency"), [...new Set(shown.map((i) => i.agency).filter(Boolean))].sort());
}

function badge(className, text, title) {
  return el("span", { className: `badge ${className}`, title }, text);
}

function renderList() {
  if (!state) return;
  const status = $("filter-status").value;
  const source = $("filter-source").value;
  const agency = $("filter-agency").value;
  const all = [...(state.showClosed ? state.closed : state.active).values()];
  const shown = all
    .filter((i) => (!status || i.status === status) && (!source || i.source === source) && (!agency || i.agency === agency))
    .sort(state.showClosed ? byNewest : byPriorityThenNewest);
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : null;
  const now = Date.now();
  const items = shown.map((incident) => {
    const units = activeUnits(incident);
    const button = el(
      "button",
      {
        type: "button",
        className: "incident",
        dataset: { id: incident.incident_id },
        "aria-current": incident.incident_id === state.selected ? "true" : null,
        onclick: () => openIncident(incident.incident_id),
      },
      el("span", { className: "row1" },
        badge(`source source-${incident.source}`, sourceLabel(incident.source)),
        el("span", { className: "kind" }, incidentKind(incident)),
        incident.number ? el("span", { className: "number" }, `#${incident.number}`) : null,
      ),
      el("span", { className: "row2" },
        badge("priority", incident.priority || incident.severity || "no priority", "priority"),
        badge(`status status-${incident.status}`, statusLabel(incident.status)),
        el("span", { className: "age", title: when(startedAt(incident)) }, age(startedAt(incident), now)),
      ),
      el("span", { className: "row3" },
        el("span", { className: "address" }, address(incident) || "no address"),
        el("span", { className: "assigned" }, units.length ? `Units: ${units.join(", ")}` : "no units"),
      ),
    );
    return el("li", {}, button);
  });
  $("incident-list").replaceChildren(...items);
  $("incidents-title").textContent = state.showClosed ? "Closed incidents" : "Active incidents";
  const older = state.showClosed ? state.closedTotal - all.length : 0;
  $("incident-count").textContent = `${shown.length} of ${all.length} shown${older > 0 ? ` (the newest 100 of each status; ${older} older not listed)` : ""}`;
  if (focused) {
    const again = $("incident-list").querySelector(`button[data-id="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  renderMap(shown);
}

const STATUS_COLORS = { created: "#f59e0b", dispatching: "#f59e0b", assigned: "#3b82f6", responding: "#3b82f6",
  on_scene: "#16a34a", resolved: "#9ca3af", cancelled: "#9ca3af" };

function renderMap(shown) {
  const points = located(shown);
  if (!points.length) {
    $("map-picture").replaceChildren();
    $("map-message").textContent = "No listed incident has coordinates.";
    return;
  }
  const box = boxOf(points);
  const query = may("intel:read") ? heatQuery(box) : null;
  $("map-message").textContent = !may("intel:read") ? "The heat layer needs the scope intel:read."
    : query ? "" : "The listed incidents are spread too wide for the heat layer.";
  const heat = query && state.heatQuery === query ? state.heat : null;
  const focusedPoint = document.activeElement && document.activeElement.classList && document.activeElement.classList.contains("point")
    ? document.activeElement.getAttribute("data-id") : null;
  drawMap($("map-picture"), { points, box, heat, selected: state.selected, onSelect: openIncident,
    statusColor: (status) => STATUS_COLORS[status] || "#6b7280" });
  if (focusedPoint) {
    const again = $("map-picture").querySelector(`[data-id="${CSS.escape(focusedPoint)}"]`);
    if (again) again.focus();
  }
  if (query && state.heatQuery !== query) loadHeat(query);
}

async function loadHeat(query) {
  state.heatQuery = query;
  state.heat = null;
  try {
    const heat = await state.api.get(query);
    if (!state || state.heatQuery !== query) return;
    state.heat = heat;
    renderList();
  } catch (error) {
    if (refused(error)) return;
    if (state) $("map-message").textContent = `Heat layer unavailable: ${error.message}`;
  }
}

async function toggleClosed() {
  state.showClosed = !state.showClosed;
  const button = $("toggle-closed");
  button.setAttribute("aria-pressed", String(state.showClosed));
  button.textContent = state.showClosed ? "Show active" : "Show closed";
  if (state.showClosed) {
    try {
      await loadClosed();
    } catch (error) {
      if (refused(error)) return;
      $("incidents-message").textContent = `Could not load closed incidents: ${error.message}`;
    }
  }
  renderFilters();
  renderList();
}

// --- the incident panel ----------------------------------------------------------------------------------------

async function openIncident(id) {
  state.selected = id;
  $("panel-message").textContent = "";
  $("note-text").value = "";
  if (!known(id)) await refreshIncident(id);
  else refreshIncident(id).then(() => state && state.selected === id && renderPanel());
  loadRecordings(id);
  renderPanel();
  renderList();
  $("panel").hidden = false;
  $("panel-title").focus();
}

function field(name, value) {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return [];
  return [el("dt", {}, name), el("dd", {}, value)];
}

const TIMES = [
  ["source created", "source_created_at"],
  ["call received", "call_received_at"],
  ["call picked up", "call_picked_up_at"],
  ["call hung up", "call_hung_up_at"],
  ["dispatch queued", "dispatch_queued_at"],
  ["dispatched", "dispatched_at"],
  ["acknowledged", "acknowledged_at"],
  ["identified", "identified_at"],
  ["mitigated", "mitigated_at"],
  ["target close", "target_close_at"],
  ["closed", "closed_at"],
  ["resolved", "resolved_at"],
  ["cancelled", "cancelled_at"],
  ["created here", "created_at"],
  ["updated", "updated_at"],
];

function renderFields(incident) {
  const where = incident.location || {};
  const caller = incident.caller || {};
  const subject = incident.subject || {};
  const sla = incident.sla;
  const list = [
    ...field("Source", sourceLabel(incident.source)),
    ...field("Source id", incident.external_id),
    ...field("Incident id", incident.incident_id),
    ...field("Number", incident.number),
    ...field("Case number", incident.case_number),
    ...field("Type", incident.incident_type),
    ...field("Initial type", incident.initial_incident_type),
    ...field("Title", incident.title),
    ...field("Category", incident.category),
    ...field("Severity", incident.severity),
    ...field("Priority", incident.priority),
    ...field("Status", statusLabel(incident.status)),
    ...field("Stage", incident.stage),
    ...field("Disposition", incident.disposition),
    ...field("Resolution", [incident.resolution_outcome, incident.resolution_notes].filter(Boolean).join(": ")),
    ...field("Description", incident.description),
    ...field("Address", where.address),
    ...field("Landmark", where.landmark),
    ...field("Block", where.block),
    ...field("Postal code", where.postal),
    ...field("Coordinates", Array.isArray(where.coordinates) ? `${where.coordinates[1]}, ${where.coordinates[0]} (lat, lon)` : null),
    ...field("Caller", [caller.name, caller.number].filter(Boolean).join(", ")),
    ...field("Subject", [subject.name, subject.phone, subject.email, subject.reference].filter(Boolean).join(", ")),
    ...field("Agency", [incident.agency, incident.agency_type].filter(Boolean).join(" · ")),
    ...field("Response area", incident.response_area),
    ...field("Radio channel", incident.radio_channel),
    ...field("Call source", incident.call_source),
    ...field("Call position", incident.call_position),
    ...field("Call taker", incident.call_taker ? incident.call_taker.name || incident.call_taker.personnel_id : null),
    ...TIMES.flatMap(([label, key]) => field(label, when(incident[key]))),
    ...field("Drill", incident.is_drill ? "yes" : null),
    ...field("Tags", (incident.tags || []).map((t) => (typeof t === "string" ? t : JSON.stringify(t))).join(", ")),
    ...field("SLA", sla ? `${sla.breached ? "breached" : "within targets"} (${sla.severity})` : null),
    ...field("Revision", String(incident.revision)),
  ];
  $("panel-fields").replaceChildren(...list);
}

function renderResponders(incident) {
  const rows = (incident.responders || []).map((r) =>
    el("tr", {},
      el("th", { scope: "row" }, r.unit ? r.unit.call_sign : "–", r.is_primary ? " (primary)" : ""),
      el("td", {}, r.personnel ? r.personnel.name || r.personnel.personnel_id : "–"),
      el("td", {}, statusLabel(r.status) || "–"),
      el("td", {}, when(r.dispatched_at) || "–"),
      el("td", {}, when(r.enroute_at) || "–"),
      el("td", {}, when(r.arrived_at) || "–"),
      el("td", {}, when(r.cleared_at) || "–"),
      el("td", {}, seconds(r.turnout_seconds)),
      el("td", {}, seconds(r.travel_seconds)),
      el("td", {}, seconds(r.response_seconds)),
    ));
  if (!rows.length) {
    $("panel-responders").replaceChildren(el("p", { className: "empty" }, "No responders."));
    return;
  }
  const head = ["Unit", "Person", "Status", "Dispatched", "En route", "Arrived", "Cleared", "Turnout", "Travel", "Response"];
  $("panel-responders").replaceChildren(
    el("div", { className: "scroll" },
      el("table", { className: "responders" },
        el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, rows))));
}

function renderAssign() {
  const form = $("assign-form");
  const incident = state && state.selected ? known(state.selected) : null;
  form.hidden = !incident || !may("dispatch:write") || !may("dispatch:read") || FINAL.includes(incident.status);
  if (form.hidden) return;
  const select = $("assign-unit");
  const chosen = select.value;
  const onIt = new Set((incident.responders || []).filter((r) => !r.cleared_at && r.unit).map((r) => r.unit.id));
  const free = state.units.filter((u) => !onIt.has(u.unit_id));
  const options = free.map((u) => [u.unit_id, `${u.call_sign} (${statusLabel(u.status)}${u.incident_id ? ", on another incident" : ""})`]);
  const signature = JSON.stringify(options);
  if (select.dataset.signature === signature) return; // unchanged: leave the dispatcher's open list alone
  select.dataset.signature = signature;
  select.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
  if (free.some((u) => u.unit_id === chosen)) select.value = chosen;
}

function renderPanel() {
  if (!state || !state.selected) return;
  const incident = known(state.selected);
  if (!incident) {
    $("panel-title").textContent = "Incident not found";
    return;
  }
  $("panel-title").textContent = `${incidentKind(incident)}${incident.number ? ` #${incident.number}` : ""}`;
  $("panel-badges").replaceChildren(
    badge(`source source-${incident.source}`, sourceLabel(incident.source)),
    badge("priority", incident.priority || incident.severity || "no priority"),
    el("span", { className: `badge status status-${incident.status}`, id: "panel-status" }, statusLabel(incident.status)),
  );
  const buttons = may("incidents:write")
    ? nextStatuses(incident.status).map((status) =>
      el("button", { type: "button", className: status === "cancelled" ? "danger" : "", dataset: { status },
        onclick: () => changeStatus(incident.incident_id, status) }, status === "cancelled" ? "Cancel incident" : `Mark ${statusLabel(status)}`))
    : [];
  $("panel-actions").replaceChildren(...buttons);
  renderFields(incident);
  renderResponders(incident);
  renderAssign();
  $("panel-notes").replaceChildren(...(incident.notes || []).map((n) =>
    el("li", {}, el("span", { className: "note-meta" }, `${when(n.noted_at)}${n.author ? ` · ${n.author}` : ""}`), el("span", { className: "note-text" }, n.note))));
  if (!(incident.notes || []).length) $("panel-notes").replaceChildren(el("li", { className: "empty" }, "No notes."));
  $("note-form").hidden = !may("incidents:write");
  $("panel-related").replaceChildren(...(incident.related_incidents || []).map((r) =>
    el("li", {}, `${r.kind}: ${sourceLabel(r.source)} ${r.external_id || ""} `,
      r.incident_id ? el("button", { type: "button", className: "link", onclick: () => openIncident(r.incident_id) }, "Open") : el("span", { className: "empty" }, "(not arrived yet)"))));
  if (!(incident.related_incidents || []).length) $("panel-related").replaceChildren(el("li", { className: "empty" }, "None."));
  renderRecordings(incident.incident_id);
  $("panel-timeline").replaceChildren(...(incident.timeline || []).map((t) =>
    el("li", {}, el("span", { className: "note-meta" }, when(t.timestamp)), ` ${t.event}${t.message ? `: ${t.message}` : ""}`)));
}

// Recordings have no events of their own: read when the panel opens and when its incident changes.
async function loadRecordings(id) {
  if (!may("incidents:read")) return;
  try {
    const answer = await state.api.get(`/v1/incidents/${encodeURIComponent(id)}/recordings`);
    if (!state) return;
    state.recordings.set(id, answer.data);
    if (state.selected === id) renderRecordings(id);
  } catch (error) {
    if (refused(error)) return;
  }
}

function renderRecordings(id) {
  const recordings = state.recordings.get(id);
  if (!recordings) {
    $("panel-recordings").replaceChildren(el("li", { className: "empty" }, "Loading…"));
    return;
  }
  if (!recordings.length) {
    $("panel-recordings").replaceChildren(el("li", { className: "empty" }, "None matched."));
    return;
  }
  $("panel-recordings").replaceChildren(...recordings.map((r) => {
    const length = seconds((Date.parse(r.ended_at) - Date.parse(r.started_at)) / 1000);
    const overlap = r.overlap_seconds === null ? "" : `, ${seconds(r.overlap_seconds)} overlapping the call`;
    return el("li", { dataset: { recording: r.recording_id } },
      el("span", { className: "note-meta" }, `${when(r.started_at)} · ${length}${overlap}`),
      el("span", {}, `Position ${r.position}${r.caller_number ? ` · caller ${r.caller_number}` : ""} · ${r.recorder_ref}`));
  }));
}

async function changeStatus(id, status) {
  $("panel-message").textContent = "";
  try {
    const incident = await state.api.post(`/v1/incidents/${encodeURIComponent(id)}/status`, { status });
    store(incident);
    renderList();
    renderPanel();
  } catch (error) {
    if (refused(error)) return;
    $("panel-message").textContent = `Refused: ${error.message}`;
    await refreshIncident(id); // the board's view was out of date: show what the server holds now
    if (state) {
      renderList();
      renderPanel();
    }
  }
}

async function addNote(event) {
  event.preventDefault();
  const text = $("note-text").value.trim();
  if (!text || !state.selected) return;
  const id = state.selected;
  try {
    await state.api.post(`/v1/incidents/${encodeURIComponent(id)}/notes`, { note: text, author: state.me.name || undefined });
    $("note-text").value = "";
    $("panel-message").textContent = "";
    await refreshIncident(id);
    renderPanel();
  } catch (error) {
    if (refused(error)) return;
    $("panel-message").textContent = `Note refused: ${error.message}`;
  }
}

async function assignUnit(event) {
  event.preventDefault();
  const unitId = $("assign-unit").value;
  if (!unitId || !state.selected) return;
  const id = state.selected;
  try {
    await state.api.post(`/v1/incidents/${encodeURIComponent(id)}/assignments`, { unit_id: unitId });
    $("panel-message").textContent = "";
    await Promise.all([refreshIncident(id), loadUnits()]);
    renderList();
    renderPanel();
  } catch (error) {
    if (refused(error)) return;
    $("panel-message").textContent = `Assignment refused: ${error.message}`;
  }
}

// --- units ---------------------------------------------------------------------------------------------------

function renderUnits() {
  if (!state) return;
  const writable = may("dispatch:write");
  const rows = state.units.map((unit) => {
    let control = el("span", { className: `badge unit-status unit-${unit.status}` }, statusLabel(unit.status));
    if (writable) control = unitControl(unit);
    const incident = unit.incident_id ? known(unit.incident_id) : null;
    const onCall = unit.incident_id
      ? el("button", { type: "button", className: "link", onclick: () => openIncident(unit.incident_id) },
        incident ? `${incidentKind(incident)}${incident.number ? ` #${incident.number}` : ""}` : unit.incident_id)
      : el("span", { className: "empty" }, "–");
    return el("tr", { dataset: { unitId: unit.unit_id, status: unit.status } },
      el("th", { scope: "row" }, unit.call_sign, unit.name ? el("span", { className: "unit-name" }, ` ${unit.name}`) : null),
      el("td", {}, control),
      el("td", {}, onCall));
  });
  $("unit-list").replaceChildren(...rows);
  if (!rows.length) $("unit-list").replaceChildren(el("tr", {}, el("td", { colspan: "3", className: "empty" }, "No units.")));
}

// A unit's status control is made once and kept across renders: a live update never swaps a select the
// dispatcher is using, nor drops a choice not yet sent.
function unitControl(unit) {
  let control = state.unitControls.get(unit.unit_id);
  if (!control) {
    const select = el("select", { "aria-label": `Status of ${unit.call_sign}`, dataset: { unit: unit.unit_id },
      onchange: (e) => state.unitDrafts.set(unit.unit_id, e.target.value) },
      UNIT_STATUSES.map((s) => el("option", { value: s }, statusLabel(s))));
    const set = el("button", { type: "button", dataset: { setUnit: unit.unit_id },
      onclick: () => setUnitStatus(unit.unit_id, select.value) }, "Set");
    control = el("span", { className: "unit-control" }, select, set);
    state.unitControls.set(unit.unit_id, control);
  }
  const select = control.querySelector("select");
  if (!state.unitDrafts.has(unit.unit_id) && document.activeElement !== select) select.value = unit.status;
  return control;
}

async function setUnitStatus(unitId, status) {
  $("units-message").textContent = "";
  try {
    await state.api.post(`/v1/units/${encodeURIComponent(unitId)}/status`, { status });
    state.unitDrafts.delete(unitId);
    await loadUnits();
  } catch (error) {
    if (refused(error)) return;
    $("units-message").textContent = `Refused: ${error.message}`;
  }
}

// --- compliance today ---------------------------------------------------------------------------------------

const COMPLIANCE_LEGS = ["call_answer", "turnout"];

function today(timezone) {
  // en-CA writes dates as YYYY-MM-DD; the tenant's day, not the browser's.
  return new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

async function loadCompliance() {
  if (!state || !may("analytics:read")) return;
  const day = today(state.me.tenant.timezone || "UTC");
  try {
    const figures = await state.api.get(`/v1/analytics/intervals?from_date=${day}&to_date=${day}`);
    if (!state) return;
    $("compliance-message").textContent = "";
    renderCompliance(figures);
  } catch (error) {
    if (refused(error)) return;
    if (state) $("compliance-message").textContent = `Could not read today's figures: ${error.message}`;
  }
}

function renderCompliance(figures) {
  const legs = ((figures.groups || [])[0] || { legs: [] }).legs.filter((leg) => COMPLIANCE_LEGS.includes(leg.leg));
  const rows = legs.map((leg) => {
    const judged = leg.standards.filter((standard) => standard.judged > 0);
    const verdicts = judged.map((standard) => {
      const targets = standard.targets.map((t) => `${t.percent_within ?? "–"} % within ${t.within_seconds} s (needs ${t.percent_required} %)`).join("; ");
      return el("li", {}, badge(standard.passed ? "pass" : "fail", standard.passed ? "pass" : "fail"), ` ${standard.name}: ${targets}`);
    });
    return el("tr", { dataset: { leg: leg.leg } },
      el("th", { scope: "row" }, leg.label.split(":")[0]),
      el("td", {}, seconds(leg.p90)),
      el("td", {}, String(leg.count)),
      el("td", {}, verdicts.length ? el("ul", { className: "verdicts" }, verdicts) : el("span", { className: "empty" }, "no standard judged a leg today")));
  });
  $("compliance-list").replaceChildren(...rows);
}

// --- access: the gate -------------------------------------------------------------------------------------

async function loadSites() {
  try {
    const page = await state.api.get("/v1/sites?limit=100");
    if (!state) return;
    state.sites = page.data;
    const select = $("access-site");
    const chosen = select.value;
    select.replaceChildren(...state.sites.map((site) => el("option", { value: site.site_id }, site.name)));
    if (state.sites.some((site) => site.site_id === chosen)) select.value = chosen;
    renderGates();
    await loadInside();
  } catch (error) {
    if (refused(error)) return;
    if (state) $("access-message").textContent = `Could not load sites: ${error.message}`;
  }
}

function renderGates() {
  const site = state.sites.find((s) => s.site_id === $("access-site").value);
  const gates = (site && site.gates) || [];
  $("checkin-gate").replaceChildren(el("option", { value: "" }, "none"), ...gates.map((g) => el("option", { value: g }, g)));
  $("checkin-gate").value = gates.length ? gates[0] : "";
}

async function loadInside() {
  if (!state || !may("access:read")) return;
  const site = $("access-site").value;
  if (!site) {
    $("inside-list").replaceChildren(el("tr", {}, el("td", { colspan: "5", className: "empty" }, "No site.")));
    return;
  }
  try {
    const page = await state.api.get(`/v1/access-logs/current?site_id=${encodeURIComponent(site)}&limit=100`);
    if (!state) return;
    const rows = page.data.map((visit) => el("tr", { dataset: { log: visit.access_log_id } },
      el("th", { scope: "row" }, (visit.visitor && visit.visitor.name) || "visitor"),
      el("td", {}, [visit.host && visit.host.name, visit.host && visit.host.unit].filter(Boolean).join(", ") || "–"),
      el("td", {}, visit.gate || "–"),
      el("td", { title: when(visit.checked_in_at) }, visit.checked_in_at_local || when(visit.checked_in_at)),
      el("td", {}, may("access:write")
        ? el("button", { type: "button", dataset: { checkout: visit.access_log_id }, onclick: () => checkOut(visit.access_log_id) }, "Check out")
        : "")));
    $("inside-list").replaceChildren(...rows);
    if (!rows.length) $("inside-list").replaceChildren(el("tr", {}, el("td", { colspan: "5", className: "empty" }, "Nobody inside.")));
  } catch (error) {
    if (refused(error)) return;
    if (state) $("access-message").textContent = `Could not load who is inside: ${error.message}`;
  }
}

async function checkOut(logId) {
  $("access-message").textContent = "";
  try {
    await state.api.patch(`/v1/access-logs/${encodeURIComponent(logId)}/checkout`, {});
    await loadInside();
  } catch (error) {
    if (refused(error)) return;
    $("access-message").textContent = `Check-out refused: ${error.message}`;
  }
}

// Checking in uses the code once (validating does not); a refusal (revoked, used up, outside its hours) is kept
// in the access log, and the server's reason is shown.
async function checkIn() {
  const code = $("validate-code").value.trim();
  const site = $("access-site").value;
  if (!code || !site) {
    $("access-message").textContent = "Enter the visitor's code to check them in.";
    return;
  }
  $("access-message").textContent = "";
  $("validate-result").textContent = "";
  const gate = $("checkin-gate").value;
  try {
    const log = await state.api.post("/v1/access-logs", { site_id: site, code, ...(gate ? { gate } : {}) });
    const who = log.visitor && log.visitor.name ? log.visitor.name : "visitor";
    $("validate-result").textContent = `Checked in: ${who}${log.gate ? ` at ${log.gate}` : ""}`;
    $("validate-code").value = "";
    await loadInside();
  } catch (error) {
    if (refused(error)) return;
    $("access-message").textContent = `Check-in refused: ${error.message}`;
  }
}

async function validateCode(event) {
  event.preventDefault();
  const code = $("validate-code").value.trim();
  const site = $("access-site").value;
  if (!code || !site) return;
  $("access-message").textContent = "";
  try {
    const result = await state.api.post("/v1/access-codes/validate", { code, site_id: site });
    const who = result.visitor && result.visitor.name ? ` · ${result.visitor.name}` : "";
    const left = result.uses_left !== null && result.uses_left !== undefined ? ` · ${result.uses_left} use(s) left` : "";
    $("validate-result").textContent = `${result.valid ? "Valid" : "Not valid"}: ${result.message || result.reason || ""}${who}${left}`;
    $("validate-result").dataset.valid = String(Boolean(result.valid));
  } catch (error) {
    if (refused(error)) return;
    $("access-message").textContent = `Validation failed: ${error.message}`;
  }
}

// --- wiring ---------------------------------------------------------------------------------------------------

function start() {
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key").value.trim();
    if (key) signIn(key);
  });
  $("signout").addEventListener("click", () => signOut());
  $("toggle-closed").addEventListener("click", toggleClosed);
  for (const id of ["filter-status", "filter-source", "filter-agency"]) $(id).addEventListener("change", renderList);
  $("panel-close").addEventListener("click", () => {
    const id = state.selected;
    state.selected = null;
    $("panel").hidden = true;
    renderList();
    const row = id && $("incident-list").querySelector(`button[data-id="${CSS.escape(id)}"]`);
    if (row) row.focus();
  });
  $("note-form").addEventListener("submit", addNote);
  $("assign-form").addEventListener("submit", assignUnit);
  $("access-site").addEventListener("change", () => {
    renderGates();
    loadInside();
  });
  $("checkin").addEventListener("click", checkIn);
  $("validate-form").addEventListener("submit", validateCode);
  const saved = sessionStorage.getItem(STORAGE);
  if (saved) signIn(saved, { quiet: true });
  else $("key").focus();
}

start();
