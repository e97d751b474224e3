// A small map without tiles: the listed incidents that have coordinates as SVG points, over the H3 heat layer
// of GET /v1/safety/heatmap (GeoJSON cells) when the key may read it.

const NS = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 360;
const MAX_SPAN = 2; // degrees: the heat map's largest box side

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

export function located(incidents) {
  return incidents
    .filter((i) => i.location && Array.isArray(i.location.coordinates) && i.location.coordinates.length === 2)
    .map((i) => ({ incident: i, lon: i.location.coordinates[0], lat: i.location.coordinates[1] }));
}

// The box around the points, padded, at least ~2 km a side; null when it would exceed the heat map's limit.
export function boxOf(points) {
  const lons = points.map((p) => p.lon);
  const lats = points.map((p) => p.lat);
  let [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const pad = Math.max(0.01, 0.1 * Math.max(maxLon - minLon, maxLat - minLat));
  [minLon, maxLon, minLat, maxLat] = [minLon - pad, maxLon + pad, minLat - pad, maxLat + pad];
  const round = (v) => Math.round(v * 1000) / 1000;
  return {
    minLon: round(Math.max(-180, minLon)),
    maxLon: round(Math.min(180, maxLon)),
    minLat: round(Math.max(-90, minLat)),
    maxLat: round(Math.min(90, maxLat)),
  };
}

export function heatQuery(box) {
  const span = Math.max(box.maxLon - box.minLon, box.maxLat - box.minLat);
  if (span > MAX_SPAN) return null;
  const resolution = span <= 0.1 ? 8 : span <= 0.5 ? 7 : 6;
  return `/v1/safety/heatmap?bbox=${box.minLon},${box.minLat},${box.maxLon},${box.maxLat}&resolution=${resolution}`;
}

export function drawMap(container, { points, box, heat, selected, onSelect, statusColor }) {
  const midLat = ((box.minLat + box.maxLat) / 2) * (Math.PI / 180);
  const kx = Math.cos(midLat);
  const scale = Math.min(WIDTH / ((box.maxLon - box.minLon) * kx), HEIGHT / (box.maxLat - box.minLat));
  const offsetX = (WIDTH - (box.maxLon - box.minLon) * kx * scale) / 2;
  const offsetY = (HEIGHT - (box.maxLat - box.minLat) * scale) / 2;
  const at = (lon, lat) => [offsetX + (lon - box.minLon) * kx * scale, offsetY + (box.maxLat - lat) * scale];
  const cells = (heat ? heat.features : []).map((feature) => {
    const ring = feature.geometry && feature.geometry.coordinates ? feature.geometry.coordinates[0] : [];
    const d = ring.map(([lon, lat], n) => `${n ? "L" : "M"}${at(lon, lat).map((v) => v.toFixed(1)).join(",")}`).join("") + "Z";
    const intensity = Number(feature.properties && feature.properties.intensity) || 0;
    return svg("path", { d, class: "cell", fill: "#dc2626", "fill-opacity": (0.12 + 0.5 * intensity).toFixed(2) },
      svg("title", {}, `${feature.properties.count} incident(s) in this cell`));
  });
  const dots = points.map(({ incident, lon, lat }) => {
    const [x, y] = at(lon, lat);
    const label = `${incident.incident_type || incident.title || incident.category || "incident"}, ${String(incident.status).replace(/_/g, " ")}`;
    const group = svg("g", { class: "point", role: "button", tabindex: 0, "aria-label": label,
      "data-id": incident.incident_id, "aria-current": incident.incident_id === selected ? "true" : "false" },
    svg("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: incident.incident_id === selected ? 10 : 7,
      fill: statusColor(incident.status), stroke: "#111827", "stroke-width": 2 }),
    svg("title", {}, label));
    group.addEventListener("click", () => onSelect(incident.incident_id));
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onSelect(incident.incident_id);
      }
    });
    return group;
  });
  const frame = svg("rect", { x: 0, y: 0, width: WIDTH, height: HEIGHT, fill: "#f8fafc", stroke: "#d1d5db" });
  const picture = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "group", "aria-label": "Map of the listed incidents" },
    frame, svg("g", { class: "heat" }, ...cells), svg("g", { class: "points" }, ...dots));
  container.replaceChildren(picture);
}
