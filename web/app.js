// Woonplek Sitefinder: the map page.
//
// Plain ES2020 module, no build step. Leaflet (global `L`) is loaded by index.html first.
// Organisation:
//   1. constants and state          7. selection and detail panel
//   2. DOM and formatting helpers   8. scoring profiles and live weights
//   3. API access, loading, banner  9. own site: draw and score (ad hoc)
//   4. map, basemap, legend        10. layer toggles (overlays)
//   5. site markers                11. filters, municipalities, language
//   6. ranked list                 12. start-up

import { t, pick, getLang, setLang, locale, applyTranslations } from "./i18n.js";

/* ---------------------------------------------------------------- 1. constants and state */

const LIST_LIMIT = 100;
const MOVE_DEBOUNCE_MS = 250; // also used while dragging the score slider
const REWEIGHT_DEBOUNCE_MS = 150; // while dragging a weight slider

// Rank stability: share of ±20 % weight variations in which a site stays in the top k.
const STABILITY_K = 10;
const STABILITY_ROBUST = 0.9;
const STABILITY_SHAKY = 0.5;
const WEIGHT_EPSILON = 1e-6;

const WEIGHTS_OPEN_KEY = "sitefinder.weightsOpen"; // the user folded the sliders away: remember
const DRAW_SNAP_PX = 8; // a click this close to the first corner closes the polygon
const ADHOC_STROKE = "#0b4f9c";

// Five equal score classes, red (poor) → yellow → green (good); ColorBrewer RdYlGn.
const SCORE_COLOURS = ["#d7191c", "#fdae61", "#fee08b", "#a6d96a", "#1a9641"];
const EXCLUDED_FILL = "#c8c8c8";
const EXCLUDED_STROKE = "#5f5f5f";
const HOVER_STROKE = "#0b4f9c";
const SELECTED_STROKE = "#000000";

const KINDS = ["kantoor", "vakantiepark", "kavel"];
const KIND_SHAPES = { kantoor: "square", vakantiepark: "triangle", kavel: "circle" };

const OVERLAY_KINDS = ["criterion", "constraint", "boundary", "reference"];
const ALWAYS_ON_LAYER = "gemeenten";

const DEFAULT_VIEW = { center: [52.2, 5.3], zoom: 8 }; // the Netherlands, until /api/config answers

const state = {
  map: null,
  config: null,
  filters: { kind: "", gemeente: "", minScore: 0, includeExcluded: false },
  gemeenten: [], // from /api/gemeenten
  sites: null, // last /api/sites answer (FeatureCollection + total)
  sitesRequest: null, // AbortController of the request in flight
  markers: new Map(), // site id → Leaflet marker
  siteLayer: null,
  hoveredId: null,
  selectedId: null,
  selectedSummary: null, // the list feature of the selected site (shown while the detail loads)
  detail: null, // last /api/sites/{id} answer
  detailRequest: null,
  selectionLayer: null,
  layerCatalogue: [], // from /api/layers
  overlays: new Map(), // layer name → overlay state (see toggleOverlay)
  pendingRequests: 0,
  basemapErrors: 0,
  profiles: null, // from /api/profiles: {default, profiles, criteria}
  profilesFailed: false,
  profile: null, // chosen profile name (null: the API's default)
  weights: {}, // scoring criterion → slider weight; the profile's until the user moves a slider
  rankBefore: null, // site id → rank before the last re-weighting (for the ▲/▼ in the list)
  adhoc: null, // own site: {geometry, places, name, feature}; feature is the /api/score answer
  adhocRequest: null,
  adhocLayer: null,
  draw: null, // while drawing an own site: {mode, vertices, layer, rubber}
};

/* ---------------------------------------------------------------- 2. helpers */

const $ = (selector, root = document) => root.querySelector(selector);

/** Create an element: h("p", {class: "x", title: "y"}, "text", childNode, …). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "style" && typeof value === "object") setStyles(el, value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replace an element's children, skipping null/undefined/false entries. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

function setStyles(el, styles) {
  for (const [prop, value] of Object.entries(styles)) {
    if (prop.startsWith("--")) el.style.setProperty(prop, value);
    else el.style[prop] = value;
  }
}

function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

function fmtNumber(value, digits = 0) {
  if (!isNumber(value)) return "–";
  return new Intl.NumberFormat(locale(), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

function fmtScore(score) {
  return isNumber(score) ? fmtNumber(score, 2) : "–";
}

function fmtPercent(fraction) {
  return isNumber(fraction) ? `${fmtNumber(fraction * 100, 0)}%` : "–";
}

function fmtDistance(metres) {
  if (!isNumber(metres)) return "–";
  if (metres < 1000) return `${fmtNumber(metres, 0)} m`;
  return `${fmtNumber(metres / 1000, metres < 10000 ? 1 : 0)} km`;
}

function fmtArea(m2) {
  if (!isNumber(m2)) return t("detail.unknown");
  const base = `${fmtNumber(m2, 0)} ${t("unit.m2")}`;
  return m2 >= 10000 ? `${base} (${fmtNumber(m2 / 10000, 2)} ha)` : base;
}

/**
 * The measured value behind a criterion, e.g. 412.5 "m" → "413 m". Counts, classes, places and
 * areas are left out (""): their explanation text already says "3 care facilities within 1 km"
 * or "estimated 70 places", and a bare number next to the weight would only confuse.
 */
function fmtRaw(raw, unit) {
  if (raw === null || raw === undefined || raw === "") return "";
  if (["count", "class", "places", "areas"].includes(unit)) return "";
  if (typeof raw === "string") return raw;
  if (typeof raw === "boolean") return raw ? "✓" : "✗";
  if (!isNumber(raw)) return "";
  if (unit === "m") return fmtDistance(raw);
  if (unit === "m2" || unit === "m²") return `${fmtNumber(raw, 0)} ${t("unit.m2")}`;
  const digits = Number.isInteger(raw) ? 0 : Math.abs(raw) < 10 ? 2 : 0;
  return unit ? `${fmtNumber(raw, digits)} ${unit}` : fmtNumber(raw, digits);
}

/** "2023-01-01" → "1 jan. 2023" (nl) / "1 Jan 2023" (en); anything else unchanged. */
function fmtDate(value) {
  if (!value) return "";
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value));
  if (!match) return String(value);
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return new Intl.DateTimeFormat(locale(), {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  }).format(date);
}

function scoreClass(score) {
  if (!isNumber(score)) return null;
  return Math.max(0, Math.min(SCORE_COLOURS.length - 1, Math.floor(score * SCORE_COLOURS.length)));
}

function scoreColour(score) {
  const cls = scoreClass(score);
  return cls === null ? EXCLUDED_FILL : SCORE_COLOURS[cls];
}

function kindLabel(kind) {
  return KINDS.includes(kind) ? t(`kind.${kind}`) : kind || "";
}

function siteId(feature) {
  return String(feature.id ?? feature.properties?.id ?? "");
}

function bboxParam(bounds) {
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
  return [
    clamp(bounds.getWest(), -180, 180),
    clamp(bounds.getSouth(), -90, 90),
    clamp(bounds.getEast(), -180, 180),
    clamp(bounds.getNorth(), -90, 90),
  ]
    .map((v) => v.toFixed(5))
    .join(",");
}

function boundsFromBbox(bbox) {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(isNumber)) return null;
  return L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]);
}

/* ---------------------------------------------------------------- 3. API, loading, banner */

class ApiError extends Error {}

/** GET a JSON resource; throws ApiError with a readable message. Aborts are re-thrown as is. */
function apiGet(path, params = {}, { signal } = {}) {
  return apiFetch("GET", path, params, { signal });
}

/** POST a JSON body, answer JSON; errors as for apiGet. */
function apiPost(path, params, body, { signal } = {}) {
  return apiFetch("POST", path, params, { signal, body });
}

async function apiFetch(method, path, params, { signal, body } = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== null && value !== undefined && value !== "") query.set(key, String(value));
  }
  const url = query.toString() ? `${path}?${query}` : path;
  const init = { method, signal, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  setLoading(+1);
  try {
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(t("banner.network", { url: path }));
    }
    const answer = await response.json().catch((err) => {
      if (isAbort(err)) throw err; // superseded while the body was arriving
      return null;
    });
    if (!response.ok) throw new ApiError(errorMessage(answer) || t("banner.http", { status: response.status }));
    if (answer === null) throw new ApiError(t("banner.http", { status: response.status }));
    return answer;
  } finally {
    setLoading(-1);
  }
}

/** FastAPI errors: {"detail": "text"} or, for validation errors, {"detail": [{"msg": …}]}. */
function errorMessage(body) {
  const detail = body?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => d?.msg ?? JSON.stringify(d)).join("; ");
  return null;
}

function isAbort(err) {
  return err?.name === "AbortError";
}

function setLoading(delta) {
  state.pendingRequests = Math.max(0, state.pendingRequests + delta);
  $("#loading").hidden = state.pendingRequests === 0;
}

function showError(err) {
  if (isAbort(err)) return;
  console.warn(err); // for developers; users get the banner
  $("#banner-text").textContent = err instanceof ApiError ? err.message : String(err?.message ?? err);
  $("#banner").hidden = false;
}

function hideBanner() {
  $("#banner").hidden = true;
}

/* ---------------------------------------------------------------- 4. map, basemap, legend */

function createMap() {
  const map = L.map("map", {
    center: DEFAULT_VIEW.center,
    zoom: DEFAULT_VIEW.zoom,
    minZoom: 6,
    maxZoom: 19,
    zoomSnap: 0.5,
  });
  // Panes, bottom to top: outlines, overlay polygons, overlay points, selection, sites, drawing.
  const panes = { boundaries: 380, overlayPolygons: 400, overlayPoints: 420, selection: 440, sites: 450, draft: 460 };
  for (const [name, zIndex] of Object.entries(panes)) map.createPane(name).style.zIndex = zIndex;
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" title="Leaflet, a JavaScript library for interactive maps">Leaflet</a>',
  );
  return map;
}

/** PDOK BRT-Achtergrondkaart. If tiles fail (offline), the plain map background remains. */
function addBasemap(basemap) {
  if (!basemap?.url) return;
  const layer = L.tileLayer(basemap.url, {
    attribution: basemap.attribution || "",
    maxZoom: 19,
    maxNativeZoom: 19,
    crossOrigin: false,
  });
  layer.on("tileerror", (event) => {
    event.tile.style.visibility = "hidden"; // no broken-image icons
    state.basemapErrors += 1;
    if (state.basemapErrors === 4) $("#basemap-note")?.removeAttribute("hidden");
  });
  layer.on("tileload", () => {
    if (state.basemapErrors > 0) {
      state.basemapErrors = 0;
      $("#basemap-note")?.setAttribute("hidden", "");
    }
  });
  layer.addTo(state.map);
}

function addAttribution(config) {
  const control = state.map.attributionControl;
  const text = config?.attribution || "";
  if (!/openstreetmap/i.test(text)) control.addAttribution("© OpenStreetMap contributors");
  if (text) control.addAttribution(text);
}

function createLegend() {
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    div.id = "legend";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(state.map);
  renderLegend();
}

/** Compact legend: a five-class score ramp with tick labels, excluded, and the shape per kind. */
function renderLegend() {
  const div = $("#legend");
  if (!div) return;
  const step = 1 / SCORE_COLOURS.length;
  const ramp = SCORE_COLOURS.map((colour, i) =>
    h("span", {
      class: "legend-ramp-step",
      style: { background: colour },
      title: `${fmtNumber(i * step, 1)}–${fmtNumber((i + 1) * step, 1)}`,
    }),
  );
  const ticks = SCORE_COLOURS.map((_, i) => h("span", {}, fmtNumber(i * step, 1)));
  ticks.push(h("span", {}, fmtNumber(1, 1)));
  const kinds = KINDS.map((kind) => h("li", {}, shapeIcon(KIND_SHAPES[kind]), kindLabel(kind)));
  fill(
    div,
    h("h3", {}, t("legend.heading")),
    h("div", { class: "legend-ramp", role: "img", "aria-label": `${t("legend.heading")} 0–1` }, ramp),
    h("div", { class: "legend-ticks", "aria-hidden": "true" }, ticks),
    h(
      "ul",
      { class: "legend-items" },
      h("li", {}, h("span", { class: "legend-swatch excluded", "aria-hidden": "true" }), t("legend.excluded")),
      kinds,
    ),
    h("p", { id: "basemap-note", class: "basemap-note", hidden: state.basemapErrors < 4 }, t("legend.basemap_offline")),
  );
}

/** An SVG element with the given attributes and children (``h`` for inline icons). */
function svgElement(tag, attrs = {}, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

/** A small inline SVG of a marker shape, for the legend, list and detail panel. */
function shapeIcon(shape, colour = "#ffffff") {
  return svgElement(
    "svg",
    { viewBox: "0 0 14 14", class: "shape-icon", "aria-hidden": "true" },
    svgElement("path", { d: shapePath(shape, 7, 7, 5.5), fill: colour, stroke: "#1f2937", "stroke-width": "1.3" }),
  );
}

/** SVG path data for a marker shape centred on (x, y) with "radius" r. */
function shapePath(shape, x, y, r) {
  if (shape === "square") {
    const s = r * 0.85;
    return `M${x - s},${y - s}H${x + s}V${y + s}H${x - s}Z`;
  }
  if (shape === "triangle") {
    const top = y - r * 1.05;
    const bottom = y + r * 0.8;
    const half = r * 1.05;
    return `M${x},${top}L${x + half},${bottom}L${x - half},${bottom}Z`;
  }
  // circle
  return `M${x - r},${y}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`;
}

/* ---------------------------------------------------------------- 5. site markers */

/**
 * A circle marker that can also be drawn as a square or triangle (shape per kind).
 * It stays an SVG path element, so `className` ("site-marker") and events work as usual.
 */
const ShapeMarker = L.CircleMarker.extend({
  options: { shape: "circle" },
  _updatePath() {
    const renderer = this._renderer;
    if (this.options.shape === "circle" || typeof renderer._setPath !== "function") {
      L.CircleMarker.prototype._updatePath.call(this);
      return;
    }
    const p = this._point;
    const d = this._empty() ? "M0 0" : shapePath(this.options.shape, p.x, p.y, Math.max(this._radius, 1));
    renderer._setPath(this, d);
  },
});

function markerStyle(props, { hover = false, selected = false } = {}) {
  const excluded = Boolean(props.excluded) || !isNumber(props.score);
  const style = excluded
    ? {
        radius: 6,
        color: EXCLUDED_STROKE,
        weight: 1.5,
        dashArray: "3 2",
        fillColor: EXCLUDED_FILL,
        fillOpacity: 0.75,
      }
    : {
        radius: 7,
        color: "#1f2937",
        weight: 1.2,
        dashArray: null,
        fillColor: scoreColour(props.score),
        fillOpacity: 0.95,
      };
  if (hover) Object.assign(style, { radius: style.radius + 2, color: HOVER_STROKE, weight: 3 });
  if (selected) Object.assign(style, { radius: style.radius + 3, color: SELECTED_STROKE, weight: 3 });
  return style;
}

function renderSiteMarkers() {
  state.siteLayer.clearLayers();
  state.markers.clear();
  const features = state.sites?.features ?? [];
  // Draw the weakest first so the best sites end up on top.
  for (const feature of [...features].reverse()) {
    if (feature.geometry?.type !== "Point") continue;
    const [lon, lat] = feature.geometry.coordinates;
    const id = siteId(feature);
    const props = feature.properties ?? {};
    const marker = new ShapeMarker([lat, lon], {
      pane: "sites",
      shape: KIND_SHAPES[props.kind] ?? "circle",
      className: `site-marker kind-${props.kind ?? "unknown"}${props.excluded ? " is-excluded" : ""}`,
      ...markerStyle(props, { selected: id === state.selectedId }),
    });
    marker.feature = feature;
    marker.bindTooltip(markerTooltip(props), { direction: "top", offset: [0, -8] });
    marker.on("click", () => selectSite(id, { from: "map" }));
    marker.on("mouseover", () => setHovered(id));
    marker.on("mouseout", () => setHovered(null));
    marker.addTo(state.siteLayer);
    const el = marker.getElement();
    if (el) {
      el.dataset.siteId = id;
      el.dataset.kind = props.kind ?? "";
      keepOutOfTabOrder(el);
    }
    state.markers.set(id, marker);
  }
  state.markers.get(state.selectedId)?.bringToFront();
}

/**
 * Chromium makes SVG paths with focus listeners (Leaflet adds them for tooltips) tabbable, which
 * would put every marker in the tab order. Keyboard users select sites through the list instead.
 */
function keepOutOfTabOrder(el) {
  el?.setAttribute("tabindex", "-1");
}

function markerTooltip(props) {
  const score = props.excluded ? t("list.excluded") : fmtScore(props.score);
  const name = escapeHtml(props.name ?? "");
  return `<strong>${name}</strong><br>${escapeHtml(kindLabel(props.kind))} · ${escapeHtml(score)}`;
}

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** For the few places Leaflet wants an HTML string (tooltips); everything else uses textContent. */
function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

function restyleMarker(id) {
  const marker = state.markers.get(id);
  if (!marker) return;
  const hover = id === state.hoveredId;
  const selected = id === state.selectedId;
  marker.setStyle(markerStyle(marker.feature.properties ?? {}, { hover, selected }));
  if (hover || selected) marker.bringToFront();
}

function setHovered(id) {
  const previous = state.hoveredId;
  state.hoveredId = id;
  if (previous && previous !== id) restyleMarker(previous);
  if (id) restyleMarker(id);
  for (const row of document.querySelectorAll("#site-list .site-row.is-hover")) row.classList.remove("is-hover");
  if (id) rowFor(id)?.classList.add("is-hover");
}

/* ---------------------------------------------------------------- 6. ranked list */

function siteQuery() {
  const f = state.filters;
  return {
    kind: f.kind,
    gemeente: f.gemeente,
    min_score: f.minScore > 0 ? f.minScore.toFixed(2) : "",
    include_excluded: f.includeExcluded ? "true" : "false",
    bbox: bboxParam(state.map.getBounds()),
    limit: LIST_LIMIT,
    offset: 0,
    stability_k: STABILITY_K,
    ...scoringParams(),
  };
}

/**
 * Fetch the ranked sites in view. `compare`: remember the current ranks, so the new list can
 * show how far each site moved (after a change of weights or profile, not after a map move).
 */
async function loadSites({ compare = false } = {}) {
  state.sitesRequest?.abort();
  const controller = new AbortController();
  state.sitesRequest = controller;
  const before = compare ? currentRanks() : null;
  $("#results").classList.add("is-loading");
  try {
    const data = await apiGet("/api/sites", siteQuery(), { signal: controller.signal });
    state.sites = data;
    state.rankBefore = before;
    updateSelectedSummary();
    renderSiteMarkers();
    renderSiteList();
    if (state.detail) renderDetail(); // the list rank and stability shown there
  } catch (err) {
    if (!isAbort(err)) {
      state.sites = null;
      renderSiteMarkers();
      renderSiteListError();
    }
    showError(err);
  } finally {
    if (state.sitesRequest === controller) {
      state.sitesRequest = null;
      $("#results").classList.remove("is-loading");
    }
  }
}

const loadSitesSoon = debounce(() => loadSites(), MOVE_DEBOUNCE_MS);

/** Site id → rank in the list as it is now (ranked sites only). */
function currentRanks() {
  const ranks = new Map();
  for (const feature of state.sites?.features ?? []) {
    const rank = feature.properties?.rank;
    if (isNumber(rank)) ranks.set(siteId(feature), rank);
  }
  return ranks;
}

function listFeature(id) {
  return state.sites?.features?.find((f) => siteId(f) === id) ?? null;
}

function rowFor(id) {
  return document.querySelector(`#site-list .site-row[data-id="${CSS.escape(id)}"]`);
}

function renderSiteList() {
  const list = $("#site-list");
  const focusedId = document.activeElement?.closest?.("#site-list .site-row")?.dataset.id ?? null;
  const features = state.sites?.features ?? [];
  renderResultCount(features.length, state.sites?.total ?? features.length);

  if (features.length === 0) {
    fill(list, listMessage(h("p", {}, t("list.empty")), h("p", { class: "muted" }, t("list.empty_hint"))));
    return;
  }
  fill(list, ...features.map(siteRow));

  // Roving tab stop: the selected row, the previously focused row, or the first row.
  const tabRow = rowFor(focusedId ?? "") ?? rowFor(state.selectedId ?? "") ?? list.querySelector(".site-row");
  tabRow?.setAttribute("tabindex", "0");
  if (focusedId && rowFor(focusedId)) rowFor(focusedId).focus({ preventScroll: true });
}

/** A non-selectable message inside the list (it is a listbox, so give it an option role). */
function listMessage(...children) {
  const attrs = { class: "list-empty", role: "option", "aria-disabled": "true", "aria-selected": "false" };
  return h("li", attrs, ...children);
}

function renderSiteListError() {
  fill($("#result-count"));
  fill($("#site-list"), listMessage(h("p", {}, t("list.error"))));
}

function renderResultCount(shown, total) {
  const el = $("#result-count");
  const main = total === 1 ? t("list.count_one") : t("list.count", { n: fmtNumber(total) });
  fill(
    el,
    h("span", { class: "count-main" }, main),
    total > shown ? h("span", { class: "count-note" }, t("list.count_shown", { shown, n: fmtNumber(total) })) : null,
  );
}

function siteRow(feature) {
  const props = feature.properties ?? {};
  const id = siteId(feature);
  const excluded = Boolean(props.excluded) || !isNumber(props.score);
  const missing = Array.isArray(props.missing) ? props.missing.length : 0;
  const label = excluded
    ? t("list.row_label_excluded", { name: props.name, kind: kindLabel(props.kind), gemeente: props.gemeentenaam ?? "" })
    : t("list.row_label", {
        rank: props.rank,
        name: props.name,
        kind: kindLabel(props.kind),
        gemeente: props.gemeentenaam ?? "",
        score: fmtScore(props.score),
      });

  const stability = excluded ? null : stabilityBadge(props.stability, props.rank);
  const fullLabel = stability ? `${label}, ${stabilityLabel(props.stability)}` : label;

  const scoreBlock = excluded
    ? h("span", { class: "row-excluded-tag" }, t("list.excluded"))
    : h(
        "span",
        { class: "row-score" },
        h(
          "span",
          { class: "row-score-line" },
          rankMove(id, props.rank),
          h("span", { class: "row-score-value" }, fmtScore(props.score)),
        ),
        h(
          "span",
          { class: "score-bar", "aria-hidden": "true" },
          h("span", {
            class: "score-bar-fill",
            style: { width: `${Math.round(props.score * 100)}%`, background: scoreColour(props.score) },
          }),
        ),
      );

  return h(
    "li",
    {
      class: `site-row${excluded ? " is-excluded" : ""}${id === state.selectedId ? " is-selected" : ""}`,
      role: "option",
      tabindex: "-1",
      "aria-selected": id === state.selectedId ? "true" : "false",
      "aria-label": fullLabel,
      dataset: { id, kind: props.kind ?? "" },
      onclick: () => selectSite(id, { from: "list" }),
      onkeydown: onRowKeydown,
      onmouseenter: () => setHovered(id),
      onmouseleave: () => setHovered(null),
      onfocus: () => setHovered(id),
      onblur: () => setHovered(null),
    },
    h(
      "span",
      { class: "row-rank-cell" },
      h("span", { class: "row-rank" }, excluded ? "–" : String(props.rank ?? "")),
      stability,
    ),
    h(
      "span",
      { class: "row-main" },
      h("span", { class: "row-name" }, props.name || id),
      h(
        "span",
        { class: "row-meta" },
        shapeIcon(KIND_SHAPES[props.kind] ?? "circle", excluded ? EXCLUDED_FILL : scoreColour(props.score)),
        `${kindLabel(props.kind)} · ${props.gemeentenaam ?? ""}`,
        missing
          ? h(
              "span",
              {
                class: "row-missing",
                title: missing === 1 ? t("list.missing_one") : t("list.missing", { n: missing }),
              },
              "!",
            )
          : null,
      ),
    ),
    scoreBlock,
  );
}

/**
 * "83%" beside the rank: in how many of the ±20 % weight variations the site stays in the top k.
 * Green when robust, amber when a top-k site is shaky; sites below the top k that rarely get in
 * are shown quietly (grey) rather than as a warning on every row.
 */
function stabilityBadge(stability, rank) {
  if (!isNumber(stability?.in_top_k)) return null;
  const share = stability.in_top_k;
  const k = stability.k ?? STABILITY_K;
  let level = "is-medium";
  if (share >= STABILITY_ROBUST) level = "is-robust";
  else if (share < STABILITY_SHAKY) level = isNumber(rank) && rank > k ? "is-outside" : "is-shaky";
  return h(
    "span",
    {
      class: `stability ${level}`,
      title: t("stability.title", { pct: fmtPercent(share), k }),
      dataset: { share: String(share) },
      "aria-hidden": "true", // the row's aria-label says it in words
    },
    fmtPercent(share),
  );
}

function stabilityLabel(stability) {
  return t("list.row_stability", { k: stability.k ?? STABILITY_K, pct: fmtPercent(stability.in_top_k) });
}

/** ▲3 / ▼2 after a change of weights or profile: how far the site moved in the list. */
function rankMove(id, rank) {
  if (!state.rankBefore || !isNumber(rank)) return null;
  const was = state.rankBefore.get(id);
  if (was === undefined) return h("span", { class: "rank-move is-new", title: t("list.moved_new") }, "•");
  const delta = was - rank;
  if (delta === 0) return null;
  const up = delta > 0;
  const title = t(up ? "list.moved_up" : "list.moved_down", { n: Math.abs(delta), was });
  return h("span", { class: `rank-move ${up ? "is-up" : "is-down"}`, title }, `${up ? "▲" : "▼"}${Math.abs(delta)}`);
}

function onRowKeydown(event) {
  const row = event.currentTarget;
  const rows = [...document.querySelectorAll("#site-list .site-row")];
  const index = rows.indexOf(row);
  let target = null;
  switch (event.key) {
    case "Enter":
    case " ":
      event.preventDefault();
      selectSite(row.dataset.id, { from: "list" });
      return;
    case "ArrowDown":
      target = rows[Math.min(rows.length - 1, index + 1)];
      break;
    case "ArrowUp":
      target = rows[Math.max(0, index - 1)];
      break;
    case "Home":
      target = rows[0];
      break;
    case "End":
      target = rows[rows.length - 1];
      break;
    default:
      return;
  }
  event.preventDefault();
  focusRow(target);
}

function focusRow(row) {
  if (!row) return;
  for (const other of document.querySelectorAll("#site-list .site-row[tabindex='0']")) {
    other.setAttribute("tabindex", "-1");
  }
  row.setAttribute("tabindex", "0");
  row.focus();
}

function markSelectedRow() {
  for (const row of document.querySelectorAll("#site-list .site-row")) {
    const selected = row.dataset.id === state.selectedId;
    row.classList.toggle("is-selected", selected);
    row.setAttribute("aria-selected", selected ? "true" : "false");
  }
}

/* ---------------------------------------------------------------- 7. selection and detail */

async function selectSite(id, { from = "list" } = {}) {
  if (!id) return;
  stopDrawing(); // a row clicked while drawing: the user chose a site after all
  const previous = state.selectedId;
  clearAdhoc();
  state.selectedId = id;
  state.selectedSummary = listFeature(id) ?? state.selectedSummary;
  state.detail = null;
  if (previous && previous !== id) restyleMarker(previous);
  restyleMarker(id);
  markSelectedRow();
  if (from === "map") {
    const row = rowFor(id);
    if (row) {
      row.scrollIntoView({ block: "nearest" });
      focusRow(row);
    }
  }
  clearSelectionLayer();
  openDetail();
  renderDetail();
  await loadDetail(id);
}

/**
 * Fetch the selected site's breakdown with the current profile and weights. On a refresh (the
 * weights changed) the old breakdown stays on screen until the new one arrives.
 */
async function loadDetail(id) {
  state.detailRequest?.abort();
  const controller = new AbortController();
  state.detailRequest = controller;
  try {
    const params = scoringParams();
    const feature = await apiGet(`/api/sites/${encodeURIComponent(id)}`, params, { signal: controller.signal });
    if (state.selectedId !== id) return;
    const first = !state.detail;
    state.detail = feature;
    renderDetail();
    if (first) {
      drawSelection(feature);
      ensureVisible(feature);
    }
  } catch (err) {
    if (!isAbort(err) && state.selectedId === id && !state.detail) closeDetail();
    showError(err);
  } finally {
    if (state.detailRequest === controller) state.detailRequest = null;
  }
}

/** After a new list: the selected site's list entry (score, rank, stability) may have changed. */
function updateSelectedSummary() {
  if (!state.selectedId) return;
  const feature = listFeature(state.selectedId);
  if (feature) state.selectedSummary = feature;
}

/** The weights or profile changed: re-score whatever the detail panel shows. */
function refreshDetail() {
  if (state.adhoc) scoreAdhoc();
  else if (state.selectedId) loadDetail(state.selectedId);
}

function clearSelectionLayer() {
  state.selectionLayer?.clearLayers();
}

/** Highlight the selected site: its full geometry for plots, a ring for points. */
function drawSelection(feature) {
  clearSelectionLayer();
  const geometry = feature?.geometry;
  if (!geometry) return;
  if (geometry.type === "Point") {
    const [lon, lat] = geometry.coordinates;
    L.circleMarker([lat, lon], {
      pane: "selection",
      radius: 16,
      color: SELECTED_STROKE,
      weight: 2,
      opacity: 0.8,
      fill: true,
      fillColor: "#ffffff",
      fillOpacity: 0.35,
      interactive: false,
      className: "selection-ring",
    }).addTo(state.selectionLayer);
    return;
  }
  L.geoJSON(feature, {
    pane: "selection",
    interactive: false,
    style: { color: SELECTED_STROKE, weight: 3, fillColor: "#ffd23f", fillOpacity: 0.3, className: "selection-shape" },
  }).addTo(state.selectionLayer);
}

function selectionBounds(feature) {
  if (!feature?.geometry) return null;
  const bounds = L.geoJSON(feature).getBounds();
  return bounds.isValid() ? bounds : null;
}

/** The part of the map not covered by the detail panel, in container pixels. */
function visibleMapBox() {
  const size = state.map.getSize();
  const detail = $("#detail");
  const overlaps = !detail.hidden && detail.offsetLeft > size.x / 3;
  const right = overlaps ? detail.offsetLeft - 8 : size.x;
  return { left: 0, top: 0, right, bottom: size.y };
}

/** Pan (not zoom) so the selected site is not hidden behind the detail panel or off-screen. */
function ensureVisible(feature) {
  const bounds = selectionBounds(feature);
  if (!bounds) return;
  const box = visibleMapBox();
  const margin = 40;
  const p = state.map.latLngToContainerPoint(bounds.getCenter());
  const inside =
    p.x >= box.left + margin &&
    p.x <= box.right - margin &&
    p.y >= box.top + margin &&
    p.y <= box.bottom - margin;
  if (inside) return;
  const target = L.point((box.left + box.right) / 2, (box.top + box.bottom) / 2);
  state.map.panBy(p.subtract(target), { animate: true });
}

/** The feature the detail panel shows: the own site's score or the selected site's detail. */
function detailFeature() {
  return state.adhoc ? state.adhoc.feature ?? { geometry: state.adhoc.geometry } : state.detail;
}

function zoomToSelection() {
  const bounds = selectionBounds(detailFeature());
  if (!bounds) return;
  const box = visibleMapBox();
  const size = state.map.getSize();
  state.map.fitBounds(bounds, {
    paddingTopLeft: [40, 40],
    paddingBottomRight: [size.x - box.right + 40, 40],
    maxZoom: 17,
  });
}

function openDetail() {
  $("#detail").hidden = false;
}

function closeDetail() {
  const id = state.selectedId;
  clearSiteSelection();
  clearAdhoc();
  $("#detail").hidden = true;
  const row = id ? rowFor(id) : null;
  if (row) focusRow(row);
}

function clearSiteSelection() {
  const id = state.selectedId;
  state.detailRequest?.abort();
  state.selectedId = null;
  state.selectedSummary = null;
  state.detail = null;
  clearSelectionLayer();
  if (id) restyleMarker(id);
  markSelectedRow();
}

function renderDetail() {
  $("#detail").classList.toggle("is-adhoc", Boolean(state.adhoc));
  if (state.adhoc) {
    renderAdhocDetail();
    return;
  }
  if (!state.selectedId) return;
  const feature = state.detail ?? state.selectedSummary;
  const props = feature?.properties ?? {};
  fill(
    $("#detail-kind"),
    shapeIcon(KIND_SHAPES[props.kind] ?? "circle", props.excluded ? EXCLUDED_FILL : scoreColour(props.score)),
    kindLabel(props.kind),
  );
  $("#detail-name").textContent = props.name || state.selectedId;
  $("#detail-gemeente").textContent = props.gemeentenaam ?? "";

  if (!state.detail) {
    fillDetailBody(feature ? detailScore({ ...props, rank: null }) : null, detailLoading()); // list rank ≠ overall rank
    return;
  }
  const summary = listFeature(state.selectedId)?.properties ?? null;
  fillDetailBody(
    detailScore(props, summary),
    detailReasons(props),
    detailBreakdown(props.breakdown ?? []),
    detailConstraints(props.breakdown ?? []),
    detailSurroundings(props),
    detailSize(props),
    detailSources(props.sources ?? []),
    detailProps(props),
  );
}

/** Replace the detail body, keeping its scroll position (re-scoring re-renders it in place). */
function fillDetailBody(...children) {
  const body = $("#detail-body");
  const scrollTop = body.scrollTop;
  const openDetails = [...body.querySelectorAll("details[open]")].map((d) => d.className);
  fill(body, ...children);
  for (const details of body.querySelectorAll("details")) {
    if (openDetails.includes(details.className)) details.open = true;
  }
  body.scrollTop = scrollTop;
}

function detailLoading() {
  const spinner = h("span", { class: "spinner", "aria-hidden": "true" });
  return h("p", { class: "detail-loading" }, spinner, t("detail.loading"));
}

/**
 * The big score, the site's rank among all sites, and — from the list, if the site is in it —
 * its place in the list and its rank stability.
 */
function detailScore(props, summary = null) {
  const excluded = Boolean(props.excluded) || !isNumber(props.score);
  const listRank = summary?.rank;
  const rankText =
    excluded || !isNumber(props.rank)
      ? null
      : [
          t("detail.rank", { rank: props.rank }),
          isNumber(listRank) && listRank !== props.rank ? t("detail.rank_list", { rank: listRank }) : null,
        ]
          .filter(Boolean)
          .join(" · ");
  const stability = excluded ? null : summary?.stability;
  return h(
    "div",
    { class: `detail-score${excluded ? " is-excluded" : ""}` },
    h(
      "div",
      { class: "score-big", style: { "--score-colour": scoreColour(props.score) } },
      h("span", { class: "score-big-label" }, t("detail.score")),
      h(
        "span",
        { id: "detail-score", class: "score-big-value" },
        excluded ? t("detail.excluded") : fmtScore(props.score),
      ),
    ),
    rankText ? h("span", { class: "score-rank" }, rankText) : null,
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        { type: "button", id: "detail-zoom", class: "button-secondary", onclick: zoomToSelection },
        t("detail.zoom"),
      ),
    ),
    h(
      "p",
      { class: "detail-profile" },
      detailProfileText(props),
      isNumber(stability?.in_top_k)
        ? h(
            "span",
            { class: "detail-stability" },
            stabilityBadge(stability, listRank),
            " ",
            t("detail.stability", { k: stability.k ?? STABILITY_K }),
          )
        : null,
    ),
  );
}

/** "Profiel: Standaard" or "Profiel: Standaard, eigen weging" — what the score was computed with. */
function detailProfileText(props) {
  const name = props.profile ?? state.profile;
  const profile = state.profiles?.profiles?.find((p) => p.name === name);
  const title = pick(profile?.title) || name || "";
  if (!title) return null;
  const custom = props.weights ? !sameWeights(props.weights, profile?.weights) : weightsAreCustom();
  return t(custom ? "detail.profile_custom" : "detail.profile", { profile: title });
}

function detailReasons(props) {
  const reasons = Array.isArray(props.reasons) ? props.reasons : [];
  if (!reasons.length) return null;
  return h(
    "section",
    { class: "detail-section detail-reasons", "aria-label": t("detail.excluded_heading") },
    h("h3", {}, t("detail.excluded_heading")),
    h("ul", {}, reasons.map((reason) => h("li", {}, pick(reason)))),
  );
}

/** Is this breakdown item an exclusion-only criterion (Natura 2000, other constraints)? */
function isConstraintItem(item) {
  const criterion = state.profiles?.criteria?.find((c) => c.name === item.criterion);
  return criterion ? Boolean(criterion.constraint) : item.unit === "areas" || item.criterion === "natura2000";
}

function detailBreakdown(breakdown) {
  const items = breakdown.filter((item) => !isConstraintItem(item));
  if (!items.length) return null;
  // Weights arrive as given (custom weights need not add up to 1): show each as a share.
  const total = items.reduce((sum, item) => sum + (isNumber(item.weight) ? item.weight : 0), 0);
  return h(
    "section",
    { class: "detail-section" },
    h("h3", {}, t("detail.breakdown")),
    h("p", { class: "muted small" }, t("detail.breakdown_hint")),
    h("ul", { class: "breakdown", id: "detail-breakdown" }, items.map((item) => breakdownRow(item, total))),
  );
}

function breakdownRow(item, total) {
  const missing = Boolean(item.missing) || !isNumber(item.value);
  const unweighted = !(item.weight > 0);
  const title = pick(item.title) || item.criterion;
  const raw = fmtRaw(item.raw, item.unit);
  const share = total > 0 && isNumber(item.weight) ? item.weight / total : item.weight;
  let weights = t("detail.weight", { w: fmtPercent(share) });
  if (unweighted) weights = t("detail.weight_zero");
  else if (isNumber(item.effective_weight) && Math.abs(item.effective_weight - share) > 0.005) {
    weights = t("detail.weight_eff", { w: fmtPercent(share), e: fmtPercent(item.effective_weight) });
  }

  const bar = missing
    ? h("span", { class: "breakdown-nodata" }, t("detail.no_data"))
    : h(
        "span",
        { class: "breakdown-bar", role: "img", "aria-label": `${title}: ${fmtScore(item.value)}` },
        h("span", {
          class: "breakdown-bar-fill",
          style: { width: `${Math.max(0, Math.min(1, item.value)) * 100}%`, background: scoreColour(item.value) },
        }),
      );

  let figures = [h("span", {}, weights), h("span", {}, t("detail.contribution", { c: fmtScore(item.contribution) }))];
  if (unweighted) figures = [h("span", {}, weights)];
  else if (missing) figures = [item.explanation ? null : h("span", {}, t("detail.no_data_note"))];

  return h(
    "li",
    {
      class: [
        "breakdown-row",
        missing ? "is-missing" : null,
        unweighted ? "is-unweighted" : null,
        item.excluded ? "is-excluding" : null,
      ]
        .filter(Boolean)
        .join(" "),
      dataset: { criterion: item.criterion ?? "" },
    },
    h(
      "div",
      { class: "breakdown-head" },
      h(
        "span",
        { class: "breakdown-title" },
        title,
        item.excluded ? h("span", { class: "tag tag-warn" }, t("detail.criterion_excluded")) : null,
      ),
      h("span", { class: "breakdown-value" }, missing ? "" : fmtScore(item.value)),
    ),
    bar,
    h("div", { class: "breakdown-figures" }, raw ? h("span", {}, raw) : null, ...figures),
    item.explanation ? h("p", { class: "breakdown-explanation" }, pick(item.explanation)) : null,
  );
}

/** Natura 2000 and other constraints: no bar and no weight, only "no obstacle" or "excludes". */
function detailConstraints(breakdown) {
  const items = breakdown.filter(isConstraintItem);
  if (!items.length) return null;
  const row = (item) => {
    const status = item.excluded
      ? h("span", { class: "tag tag-warn" }, t("detail.criterion_excluded"))
      : item.missing
        ? h("span", { class: "tag tag-muted" }, t("detail.no_data"))
        : h("span", { class: "tag tag-ok" }, t("detail.constraint_ok"));
    return h(
      "li",
      {
        class: `breakdown-row constraint-row${item.excluded ? " is-excluding" : ""}`,
        dataset: { criterion: item.criterion ?? "" },
      },
      h(
        "div",
        { class: "breakdown-head" },
        h("span", { class: "breakdown-title" }, pick(item.title) || item.criterion),
        status,
      ),
      item.explanation ? h("p", { class: "breakdown-explanation" }, pick(item.explanation)) : null,
    );
  };
  return h(
    "section",
    { class: "detail-section detail-constraints" },
    h("h3", {}, t("detail.constraints")),
    h("p", { class: "muted small" }, t("detail.constraints_hint")),
    h("ul", { class: "constraints" }, items.map(row)),
  );
}

function detailSurroundings(props) {
  const place = (label, nearest) =>
    h(
      "div",
      { class: "kv" },
      h("dt", {}, label),
      h(
        "dd",
        {},
        nearest
          ? [
              h("span", { class: "kv-strong" }, nearest.name || "–"),
              nearest.category ? ` (${nearest.category})` : "",
              ` · ${fmtDistance(nearest.distance_m)}`,
            ]
          : h("span", { class: "muted" }, t("detail.none_found")),
      ),
    );
  return h(
    "section",
    { class: "detail-section" },
    h("h3", {}, t("detail.surroundings")),
    h(
      "dl",
      { class: "kv-list" },
      place(t("detail.nearest_stop"), props.nearest_stop),
      place(t("detail.nearest_care"), props.nearest_care),
      "nearest_supermarket" in props ? place(t("detail.nearest_supermarket"), props.nearest_supermarket) : null,
    ),
  );
}

function detailSize(props) {
  const places = isNumber(props.places) ? `${fmtNumber(props.places)} ${t("unit.places")}` : t("detail.unknown");
  const rows = [
    [t("detail.area"), fmtArea(props.area_m2)],
    "floor_area_m2" in props ? [t("detail.floor_area"), fmtArea(props.floor_area_m2)] : null,
    [t("detail.places"), places],
  ].filter(Boolean);
  return h(
    "section",
    { class: "detail-section" },
    h("h3", {}, t("detail.size")),
    h("dl", { class: "kv-list" }, rows.map(([k, v]) => h("div", { class: "kv" }, h("dt", {}, k), h("dd", {}, v)))),
  );
}

function detailSources(sources) {
  if (!sources.length) return null;
  const layerTitle = (name) => pick(state.layerCatalogue.find((l) => l.name === name)?.title) || name;
  const item = (src) => {
    const ref = src.source_ref && /^https?:\/\//.test(src.source_ref)
      ? h("a", { href: src.source_ref, target: "_blank", rel: "noopener noreferrer" }, src.source || src.source_ref)
      : src.source || src.source_ref || "";
    const meta = [
      src.publisher,
      src.licence ? t("detail.licence", { licence: src.licence }) : null,
      src.data_as_of ? t("detail.as_of", { date: fmtDate(src.data_as_of) }) : null,
    ].filter(Boolean);
    return h(
      "li",
      {},
      h("span", { class: "kv-strong" }, layerTitle(src.layer)),
      ": ",
      ref,
      meta.length ? h("span", { class: "source-meta" }, meta.join(" · ")) : null,
    );
  };
  return h(
    "section",
    { class: "detail-section detail-sources" },
    h("h3", {}, t("detail.sources")),
    h("ul", {}, sources.map(item)),
  );
}

function detailProps(props) {
  const entries = Object.entries(props.props ?? {}).filter(([, v]) => v !== null && v !== "");
  const kv = (dt, dd) => h("div", { class: "kv" }, dt, dd);
  const idRow = kv(h("dt", {}, t("detail.id")), h("dd", { class: "mono" }, props.id ?? state.selectedId));
  const rows = entries.map(([key, value]) =>
    kv(h("dt", { class: "mono" }, key), h("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value))),
  );
  return h(
    "details",
    { class: "detail-section detail-props" },
    h("summary", {}, t("detail.props")),
    h("dl", { class: "kv-list" }, idRow, rows),
  );
}

/* ---------------------------------------------------------------- 8. scoring profiles and live weights */

async function loadProfiles() {
  try {
    state.profiles = await apiGet("/api/profiles");
    const names = (state.profiles.profiles ?? []).map((p) => p.name);
    applyProfile(names.includes(state.profiles.default) ? state.profiles.default : names[0] ?? null);
  } catch (err) {
    state.profiles = null; // the API's default profile still ranks the list
    state.profilesFailed = true;
    showError(err);
  }
  renderProfilePanel();
}

function currentProfile() {
  return state.profiles?.profiles?.find((p) => p.name === state.profile) ?? null;
}

/** The criteria that get a slider; constraints (Natura 2000, …) only exclude. */
function scoringCriteria() {
  return (state.profiles?.criteria ?? []).filter((c) => !c.constraint);
}

function constraintCriteria() {
  return (state.profiles?.criteria ?? []).filter((c) => c.constraint);
}

function profileWeights(profile) {
  return Object.fromEntries(scoringCriteria().map((c) => [c.name, profile?.weights?.[c.name] ?? 0]));
}

function applyProfile(name) {
  state.profile = name;
  state.weights = profileWeights(currentProfile());
}

function sameWeights(a, b) {
  if (!a || !b) return true;
  return scoringCriteria().every((c) => Math.abs((a[c.name] ?? 0) - (b[c.name] ?? 0)) <= WEIGHT_EPSILON);
}

function weightsAreCustom() {
  return Boolean(currentProfile()) && !sameWeights(state.weights, profileWeights(currentProfile()));
}

function weightTotal() {
  return scoringCriteria().reduce((sum, c) => sum + (state.weights[c.name] ?? 0), 0);
}

/** Query parameters for every scoring request: the profile, plus own weights if any. */
function scoringParams() {
  return { profile: state.profile, weights: weightsParam() };
}

/** "transit:0.5,care_distance:0.3,…" — only when the sliders differ from the profile (and not all 0). */
function weightsParam() {
  if (!weightsAreCustom() || weightTotal() <= 0) return "";
  return scoringCriteria()
    .map((c) => `${c.name}:${Number((state.weights[c.name] ?? 0).toFixed(4))}`)
    .join(",");
}

function renderProfilePanel() {
  renderProfileOptions();
  renderWeights();
}

function renderProfileOptions() {
  const select = $("#profile-select");
  const profiles = state.profiles?.profiles ?? [];
  const options = profiles.length
    ? profiles.map((p) => h("option", { value: p.name }, pick(p.title) || p.name))
    : [h("option", { value: "" }, state.profilesFailed ? t("profile.unavailable") : t("status.loading"))];
  fill(select, ...options);
  select.value = state.profile ?? "";
  select.disabled = !profiles.length;
  $("#profile-description").textContent = pick(currentProfile()?.description);
}

function renderWeights() {
  fill($("#weights"), ...scoringCriteria().map(weightRow));
  const constraints = constraintCriteria().map((c) => pick(c.title) || c.name);
  $("#weights-constraints").textContent = constraints.length
    ? t("weights.constraints", { list: constraints.join(" · ") })
    : "";
  renderWeightState();
}

function weightRow(criterion) {
  const id = `weight-${criterion.name}`;
  return h(
    "div",
    { class: "weight-row", dataset: { criterion: criterion.name } },
    h("label", { for: id, class: "weight-label" }, pick(criterion.title) || criterion.name),
    h("input", {
      type: "range",
      id,
      class: "weight-slider",
      min: "0",
      max: "1",
      step: "0.05",
      value: String(state.weights[criterion.name] ?? 0),
      dataset: { criterion: criterion.name },
      oninput: onWeightInput,
    }),
    h("output", { class: "weight-value", for: id }),
    h("span", { class: "weight-share", title: t("weights.share_title") }),
  );
}

/** Values, shares after normalisation, and the "custom weights" state; sliders stay in place. */
function renderWeightState() {
  const total = weightTotal();
  for (const row of document.querySelectorAll("#weights .weight-row")) {
    const weight = state.weights[row.dataset.criterion] ?? 0;
    const share = total > 0 ? fmtPercent(weight / total) : "–";
    const slider = row.querySelector(".weight-slider");
    if (Number(slider.value) !== weight) slider.value = String(weight);
    slider.setAttribute("aria-valuetext", t("weights.valuetext", { value: fmtNumber(weight, 2), share }));
    row.querySelector(".weight-value").textContent = fmtNumber(weight, 2);
    row.querySelector(".weight-share").textContent = share;
    row.classList.toggle("is-zero", weight <= 0);
  }
  const custom = weightsAreCustom();
  $("#weights-custom").hidden = !custom;
  $("#weights-reset").hidden = !custom;
  $("#weights-note").hidden = !(custom && total <= 0);
  $("#profile-panel").classList.toggle("is-custom", custom);
}

function onWeightInput(event) {
  const slider = event.currentTarget;
  state.weights[slider.dataset.criterion] = Number(slider.value);
  renderWeightState();
  reweightSoon();
}

/** Re-rank with the current profile and weights: the list, the markers and the detail panel. */
function reweight() {
  reweightSoon.cancel();
  loadSitesSoon.cancel();
  loadSites({ compare: true });
  refreshDetail();
}

const reweightSoon = debounce(reweight, REWEIGHT_DEBOUNCE_MS);

/** The sliders start unfolded, unless the user folded them away last time. */
function wireWeightsPanel() {
  const panel = $("#weights-panel");
  try {
    if (window.localStorage.getItem(WEIGHTS_OPEN_KEY) === "false") panel.open = false;
  } catch {
    /* storage blocked: keep the default */
  }
  panel.addEventListener("toggle", () => {
    try {
      window.localStorage.setItem(WEIGHTS_OPEN_KEY, String(panel.open));
    } catch {
      /* not remembered; harmless */
    }
  });
}

function wireProfile() {
  wireWeightsPanel();
  const select = $("#profile-select");
  select.addEventListener("change", () => {
    applyProfile(select.value);
    renderProfilePanel();
    reweight();
  });
  $("#weights-reset").addEventListener("click", () => {
    applyProfile(state.profile);
    renderWeightState();
    reweight();
    $("#profile-select").focus(); // the reset button has just been hidden
  });
}

/* ---------------------------------------------------------------- 9. own site: draw and score (ad hoc) */

/**
 * "Score your own site": the user clicks a point, or clicks the corners of a polygon and
 * double-clicks (or clicks the first corner) to finish. Plain Leaflet, no drawing plugin.
 * Escape or the cancel button stops. The result appears in the detail panel.
 */
function createAdhocControl() {
  const control = L.control({ position: "topleft" });
  control.onAdd = () => {
    const div = $("#adhoc-control");
    div.classList.add("leaflet-control");
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  control.addTo(state.map);
}

function wireAdhoc() {
  $("#adhoc-start").addEventListener("click", () => (state.draw ? stopDrawing() : startDrawing()));
  $("#adhoc-cancel").addEventListener("click", stopDrawing);
  $("#adhoc-finish").addEventListener("click", finishPolygon);
  for (const radio of document.querySelectorAll('input[name="adhoc-mode"]')) {
    radio.addEventListener("change", () => setDrawMode(radio.value));
  }
}

function drawMode() {
  return document.querySelector('input[name="adhoc-mode"]:checked')?.value === "polygon" ? "polygon" : "point";
}

function startDrawing() {
  stopDrawing();
  state.draw = { mode: drawMode(), vertices: [], layer: L.featureGroup().addTo(state.map), rubber: null };
  state.map.doubleClickZoom.disable();
  state.map.getContainer().classList.add("is-drawing");
  state.map.on("click", onDrawClick);
  state.map.on("dblclick", onDrawDoubleClick);
  state.map.on("mousemove", onDrawMove);
  $("#adhoc-panel").hidden = false;
  $("#adhoc-start").setAttribute("aria-pressed", "true");
  renderDrawHint();
}

function stopDrawing() {
  const draw = state.draw;
  if (!draw) return;
  draw.layer.remove();
  state.map.off("click", onDrawClick);
  state.map.off("dblclick", onDrawDoubleClick);
  state.map.off("mousemove", onDrawMove);
  state.map.doubleClickZoom.enable();
  state.map.getContainer().classList.remove("is-drawing");
  $("#adhoc-panel").hidden = true;
  $("#adhoc-start").setAttribute("aria-pressed", "false");
  state.draw = null;
}

function setDrawMode(mode) {
  if (!state.draw) return;
  state.draw.mode = mode;
  state.draw.vertices = [];
  renderDraft();
  renderDrawHint();
}

function renderDrawHint() {
  const draw = state.draw;
  if (!draw) return;
  const n = draw.vertices.length;
  let hint = t("adhoc.hint_point");
  if (draw.mode === "polygon") hint = n > 0 && n < 3 ? t("adhoc.hint_more", { n }) : t("adhoc.hint_polygon");
  $("#adhoc-hint").textContent = hint;
  $("#adhoc-finish").hidden = draw.mode !== "polygon" || n < 3;
}

function onDrawClick(event) {
  const draw = state.draw;
  if (draw.mode === "point") {
    finishDrawing({ type: "Point", coordinates: lonLat(event.latlng) });
    return;
  }
  if (draw.vertices.length >= 3 && nearVertex(event.latlng, draw.vertices[0])) {
    finishPolygon();
    return;
  }
  draw.vertices.push(event.latlng);
  renderDraft();
  renderDrawHint();
}

/** A double-click also fired two clicks, which each added a corner: keep one of them. */
function onDrawDoubleClick(event) {
  const draw = state.draw;
  if (draw.mode !== "polygon") return;
  const v = draw.vertices;
  while (v.length >= 2 && nearVertex(v[v.length - 1], v[v.length - 2])) v.pop();
  if (v.length && !nearVertex(event.latlng, v[v.length - 1])) v.push(event.latlng);
  if (v.length >= 3) finishPolygon();
  else {
    renderDraft();
    renderDrawHint();
  }
}

function onDrawMove(event) {
  const draw = state.draw;
  if (!draw?.rubber || !draw.vertices.length) return;
  const v = draw.vertices;
  draw.rubber.setLatLngs(v.length >= 2 ? [v[v.length - 1], event.latlng, v[0]] : [v[0], event.latlng]);
}

function nearVertex(a, b) {
  return state.map.latLngToContainerPoint(a).distanceTo(state.map.latLngToContainerPoint(b)) <= DRAW_SNAP_PX;
}

/** The polygon so far: corners, edges, a faint fill, and a dashed line following the mouse. */
function renderDraft() {
  const draw = state.draw;
  draw.layer.clearLayers();
  const v = draw.vertices;
  const common = { pane: "draft", interactive: false, color: ADHOC_STROKE };
  if (v.length >= 3) L.polygon(v, { ...common, weight: 0, fillOpacity: 0.15 }).addTo(draw.layer);
  if (v.length >= 2) L.polyline(v, { ...common, weight: 2.5, className: "draw-edge" }).addTo(draw.layer);
  draw.rubber = L.polyline([], { ...common, weight: 1.5, dashArray: "4 4", className: "draw-rubber" });
  draw.rubber.addTo(draw.layer);
  v.forEach((latlng, i) =>
    L.circleMarker(latlng, {
      ...common,
      radius: i === 0 && v.length >= 3 ? 6 : 4,
      weight: 2,
      fillColor: "#ffffff",
      fillOpacity: 1,
      className: "draw-vertex",
    }).addTo(draw.layer),
  );
}

function finishPolygon() {
  const draw = state.draw;
  if (!draw || draw.vertices.length < 3) {
    renderDrawHint();
    return;
  }
  const ring = draw.vertices.map(lonLat);
  ring.push(ring[0]);
  finishDrawing({ type: "Polygon", coordinates: [ring] });
}

function lonLat(latlng) {
  const wrapped = latlng.wrap();
  return [Number(wrapped.lng.toFixed(6)), Number(wrapped.lat.toFixed(6))];
}

function readPlaces() {
  const input = $("#adhoc-places");
  const value = input.value.trim() === "" ? NaN : Number(input.value);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

function finishDrawing(geometry) {
  const places = readPlaces();
  stopDrawing();
  showAdhoc({ geometry, places, name: t("adhoc.name"), feature: null });
}

function showAdhoc(adhoc) {
  clearSiteSelection();
  clearAdhoc();
  hideBanner();
  state.adhoc = adhoc;
  drawAdhocShape(adhoc);
  openDetail();
  renderDetail();
  scoreAdhoc();
}

function clearAdhoc() {
  state.adhocRequest?.abort();
  state.adhocRequest = null;
  state.adhoc = null;
  state.adhocLayer?.clearLayers();
  $("#detail").classList.remove("is-adhoc");
}

/** POST the own site to /api/score with the current profile and weights. */
async function scoreAdhoc() {
  const adhoc = state.adhoc;
  if (!adhoc) return;
  state.adhocRequest?.abort();
  const controller = new AbortController();
  state.adhocRequest = controller;
  const body = { geometry: adhoc.geometry, places: adhoc.places, name: adhoc.name };
  try {
    const feature = await apiPost("/api/score", scoringParams(), body, { signal: controller.signal });
    if (state.adhoc !== adhoc) return;
    const first = !adhoc.feature;
    adhoc.feature = feature;
    drawAdhocShape(adhoc);
    renderDetail();
    if (first) ensureVisible(feature);
  } catch (err) {
    if (isAbort(err)) return;
    if (state.adhoc === adhoc && !adhoc.feature) closeDetail();
    showError(err instanceof ApiError ? new ApiError(t("adhoc.error", { message: err.message })) : err);
  } finally {
    if (state.adhocRequest === controller) state.adhocRequest = null;
  }
}

/** The own site on the map: dashed blue outline, filled with its score colour once scored. */
function drawAdhocShape(adhoc) {
  state.adhocLayer.clearLayers();
  const props = adhoc.feature?.properties;
  const fillColor = props ? (props.excluded ? EXCLUDED_FILL : scoreColour(props.score)) : "#ffffff";
  const style = {
    pane: "selection",
    interactive: false,
    color: ADHOC_STROKE,
    weight: 3,
    dashArray: "6 4",
    fillColor,
    className: "adhoc-shape",
  };
  const geometry = adhoc.geometry;
  if (geometry.type === "Point") {
    const [lon, lat] = geometry.coordinates;
    L.circleMarker([lat, lon], { ...style, radius: 10, fillOpacity: 0.95 }).addTo(state.adhocLayer);
  } else {
    L.geoJSON(geometry, { ...style, style: () => ({ ...style, fillOpacity: 0.45 }) }).addTo(state.adhocLayer);
  }
}

function renderAdhocDetail() {
  const adhoc = state.adhoc;
  const props = adhoc.feature?.properties ?? {};
  const isPoint = adhoc.geometry.type === "Point";
  fill($("#detail-kind"), crosshairIcon(), t("adhoc.kind"));
  $("#detail-name").textContent = isPoint ? t("adhoc.point") : t("adhoc.polygon");
  $("#detail-gemeente").textContent = adhocWhere(adhoc);
  if (!adhoc.feature) {
    fillDetailBody(detailLoading());
    return;
  }
  fillDetailBody(
    detailScore(props),
    h(
      "p",
      { class: "adhoc-note" },
      t("adhoc.note"),
      " ",
      h("button", { type: "button", id: "adhoc-again", class: "link-button", onclick: startDrawing }, t("adhoc.again")),
    ),
    detailReasons(props),
    detailBreakdown(props.breakdown ?? []),
    detailConstraints(props.breakdown ?? []),
    detailSurroundings(props),
    detailSize(props),
  );
}

/** The own-site symbol (a crosshair), as on the "score your own site" button. */
function crosshairIcon() {
  const stroke = { stroke: "currentColor", "stroke-width": "1.6" };
  return svgElement(
    "svg",
    { viewBox: "0 0 16 16", class: "adhoc-kind-icon", "aria-hidden": "true" },
    svgElement("circle", { cx: 8, cy: 8, r: 4.5, fill: "none", ...stroke }),
    svgElement("path", { d: "M8 0.5v4M8 11.5v4M0.5 8h4M11.5 8h4", ...stroke }),
  );
}

function adhocWhere(adhoc) {
  const geometry = adhoc.geometry;
  if (geometry.type === "Point") {
    const [lon, lat] = geometry.coordinates;
    return t("adhoc.where_point", { lat: fmtNumber(lat, 5), lon: fmtNumber(lon, 5) });
  }
  const area = adhoc.feature?.properties?.area_m2;
  return isNumber(area) ? fmtArea(area) : "";
}

/* ---------------------------------------------------------------- 10. layer toggles */

async function loadLayerCatalogue() {
  try {
    const data = await apiGet("/api/layers");
    state.layerCatalogue = data.layers ?? [];
    renderLayerList();
    for (const layer of overlayLayers()) if (layer.visible && layer.loaded) toggleOverlay(layer.name, true);
    if (state.detail) renderDetail(); // source titles
  } catch (err) {
    showError(err);
  }
}

function overlayLayers() {
  return state.layerCatalogue.filter((l) => OVERLAY_KINDS.includes(l.kind) && l.name !== ALWAYS_ON_LAYER);
}

function isPointLayer(layer) {
  return /point/i.test(layer.geometry_type ?? "");
}

function sourceName(loaded) {
  const source = loaded?.source ?? "";
  const technical = !source || /^etl\.|^https?:|[\\/]|\.(geojson|gpkg|gml|zip|csv)$/i.test(source);
  return technical ? loaded?.publisher || source : source;
}

function layerSourceText(loaded) {
  if (!loaded) return t("layers.not_loaded");
  const source = sourceName(loaded);
  return loaded.data_as_of
    ? t("layers.source", { source, date: fmtDate(loaded.data_as_of) })
    : t("layers.source_nodate", { source });
}

function layerTooltip(layer) {
  const loaded = layer.loaded;
  return [
    pick(layer.description),
    loaded?.source ? `${t("layers.source_nodate", { source: loaded.source })}` : null,
    loaded?.publisher ? t("layers.publisher", { publisher: loaded.publisher }) : null,
    loaded?.licence ? t("layers.licence", { licence: loaded.licence }) : null,
    loaded?.data_as_of ? t("detail.as_of", { date: fmtDate(loaded.data_as_of) }) : null,
    isNumber(loaded?.count) ? t("layers.features", { n: fmtNumber(loaded.count) }) : null,
  ]
    .filter(Boolean)
    .join("\n");
}

function renderLayerList() {
  const container = $("#layer-list");
  const groups = OVERLAY_KINDS.map((kind) => {
    const layers = overlayLayers().filter((l) => l.kind === kind);
    if (!layers.length) return null;
    return h(
      "fieldset",
      { class: "layer-group" },
      h("legend", {}, t(`layers.group.${kind}`)),
      layers.map(layerItem),
    );
  });
  fill(container, ...groups.filter(Boolean));
}

function layerItem(layer) {
  const overlay = state.overlays.get(layer.name);
  const inputId = `layer-${layer.name}`;
  const style = layer.style ?? {};
  const swatchStyle = isPointLayer(layer)
    ? { background: style.fillColor ?? style.color ?? "#666", borderRadius: "50%" }
    : {
        background: style.fill === false ? "transparent" : style.fillColor ?? style.color ?? "#666",
        borderColor: style.color ?? "#666",
        borderStyle: style.dashArray ? "dashed" : "solid",
        opacity: style.fill === false ? 1 : 0.8,
      };
  return h(
    "div",
    { class: "layer-item", title: layerTooltip(layer), dataset: { layer: layer.name } },
    h("input", {
      type: "checkbox",
      id: inputId,
      class: "layer-toggle",
      dataset: { layer: layer.name },
      checked: Boolean(overlay?.on),
      disabled: !layer.loaded,
      "aria-describedby": `${inputId}-meta ${inputId}-note`,
      onchange: (event) => toggleOverlay(layer.name, event.target.checked),
    }),
    h(
      "label",
      { for: inputId },
      h("span", {
        class: `layer-swatch${isPointLayer(layer) ? " is-point" : ""}`,
        style: swatchStyle,
        "aria-hidden": "true",
      }),
      pick(layer.title) || layer.name,
    ),
    h("p", { id: `${inputId}-meta`, class: "layer-meta" }, layerSourceText(layer.loaded)),
    h(
      "p",
      {
        id: `${inputId}-note`,
        class: `layer-note${isWarningNote(overlay?.note) ? " is-warning" : ""}`,
        "aria-live": "polite",
      },
      noteText(overlay?.note),
    ),
  );
}

/** A layer's status line; `note` is {key, params} (re-translated on language change) or null. */
function setOverlayNote(name, note) {
  const overlay = state.overlays.get(name);
  if (overlay) overlay.note = note;
  const el = document.getElementById(`layer-${name}-note`);
  if (!el) return;
  el.textContent = noteText(note);
  el.classList.toggle("is-warning", isWarningNote(note));
}

function isWarningNote(note) {
  return note?.key === "layers.no_data_here" || note?.key === "layers.truncated";
}

function noteText(note) {
  if (!note) return "";
  const params = Object.fromEntries(
    Object.entries(note.params ?? {}).map(([k, v]) => [k, isNumber(v) ? fmtNumber(v) : v]),
  );
  return t(note.key, params);
}

/** Turn an overlay on or off. Point layers follow the view (bbox); polygon layers load whole. */
function toggleOverlay(name, on) {
  const layer = state.layerCatalogue.find((l) => l.name === name);
  if (!layer) return;
  let overlay = state.overlays.get(name);
  if (!overlay) {
    overlay = {
      layer,
      on: false,
      group: L.layerGroup(),
      mode: isPointLayer(layer) ? "bbox" : "whole",
      loadedWhole: false,
      bounds: null,
      request: null,
      note: null,
    };
    state.overlays.set(name, overlay);
  }
  overlay.on = on;
  const checkbox = document.getElementById(`layer-${name}`);
  if (checkbox) checkbox.checked = on;
  if (!on) {
    overlay.request?.abort();
    overlay.group.remove();
    setOverlayNote(name, null);
    return;
  }
  overlay.group.addTo(state.map);
  if (overlay.mode === "whole" && overlay.loadedWhole) {
    keepOverlayOutOfTabOrder(overlay);
    updateWholeOverlayNote(overlay);
  } else fetchOverlay(overlay);
}

async function fetchOverlay(overlay) {
  const name = overlay.layer.name;
  overlay.request?.abort();
  const controller = new AbortController();
  overlay.request = controller;
  const params = overlay.mode === "bbox" ? { bbox: bboxParam(state.map.getBounds()), limit: 5000 } : { limit: 5000 };
  try {
    const data = await apiGet(`/api/layers/${encodeURIComponent(name)}`, params, { signal: controller.signal });
    if (!overlay.on) return;
    if (overlay.mode === "whole" && data.truncated) {
      overlay.mode = "bbox"; // too big to load at once: follow the view instead
      fetchOverlay(overlay);
      return;
    }
    drawOverlay(overlay, data);
    const shown = data.features?.length ?? 0;
    const total = isNumber(data.total) ? data.total : shown;
    if (overlay.mode === "whole") {
      overlay.loadedWhole = true;
      updateWholeOverlayNote(overlay);
    } else if (total === 0) setOverlayNote(name, { key: "layers.no_data_here" });
    else if (data.truncated) setOverlayNote(name, { key: "layers.truncated", params: { shown, total } });
    else setOverlayNote(name, { key: "layers.count", params: { n: total } });
  } catch (err) {
    showError(err);
  } finally {
    if (overlay.request === controller) overlay.request = null;
  }
}

function drawOverlay(overlay, data) {
  const style = { ...(overlay.layer.style ?? {}) };
  delete style.shape;
  const radius = style.radius ?? 4;
  delete style.radius;
  overlay.group.clearLayers();
  const geojson = L.geoJSON(data, {
    pane: isPointLayer(overlay.layer) ? "overlayPoints" : "overlayPolygons",
    style: () => ({ weight: 1, ...style }),
    pointToLayer: (feature, latlng) =>
      L.circleMarker(latlng, {
        pane: "overlayPoints",
        radius,
        color: "#ffffff",
        weight: 1,
        fillColor: style.fillColor ?? style.color ?? "#555555",
        fillOpacity: 0.9,
        className: `overlay-point overlay-${overlay.layer.name}`,
      }),
    onEachFeature: (feature, layer) => {
      const p = feature.properties ?? {};
      const label = [p.name || p.code, p.category].filter(Boolean).map(escapeHtml).join(" · ");
      if (label) layer.bindTooltip(label, { sticky: !isPointLayer(overlay.layer) });
    },
  });
  overlay.group.addLayer(geojson);
  overlay.bounds = geojson.getBounds();
  keepOverlayOutOfTabOrder(overlay);
}

/** Leaflet creates new path elements whenever a layer is (re-)added, so call after each add. */
function keepOverlayOutOfTabOrder(overlay) {
  overlay.group.eachLayer((geojson) => geojson.eachLayer((layer) => keepOutOfTabOrder(layer.getElement?.())));
}

/** For whole-loaded polygon layers: say so when nothing of the layer is in the current view. */
function updateWholeOverlayNote(overlay) {
  const inView = overlay.bounds?.isValid() && state.map.getBounds().intersects(overlay.bounds);
  setOverlayNote(overlay.layer.name, inView ? null : { key: "layers.no_data_here" });
}

function refreshOverlaysForView() {
  for (const overlay of state.overlays.values()) {
    if (!overlay.on) continue;
    if (overlay.mode === "bbox") fetchOverlay(overlay);
    else if (overlay.loadedWhole) updateWholeOverlayNote(overlay);
  }
}

const refreshOverlaysSoon = debounce(refreshOverlaysForView, MOVE_DEBOUNCE_MS);

/** Municipality outlines: always on, thin grey lines, loaded once for the whole country. */
async function loadGemeenteOutlines() {
  try {
    const data = await apiGet(`/api/layers/${ALWAYS_ON_LAYER}`);
    L.geoJSON(data, {
      pane: "boundaries",
      interactive: false,
      style: { color: "#6b6b6b", weight: 1, opacity: 0.8, fill: false, className: "gemeente-outline" },
    }).addTo(state.map);
  } catch (err) {
    showError(err);
  }
}

/* ---------------------------------------------------------------- 11. filters, gemeenten, language */

async function loadGemeenteList() {
  try {
    const data = await apiGet("/api/gemeenten");
    state.gemeenten = data.gemeenten ?? [];
    renderGemeenteOptions();
  } catch (err) {
    showError(err);
  }
}

function renderGemeenteOptions() {
  const select = $("#filter-gemeente");
  const options = state.gemeenten.map((g) =>
    h("option", { value: g.code }, isNumber(g.n_sites) ? `${g.name} (${fmtNumber(g.n_sites)})` : g.name),
  );
  fill(select, h("option", { value: "", "data-i18n": "filters.gemeente_all" }, t("filters.gemeente_all")), ...options);
  select.value = state.filters.gemeente;
}

function zoomToGemeente(code) {
  const gemeente = state.gemeenten.find((g) => g.code === code);
  const bounds = gemeente ? boundsFromBbox(gemeente.bbox) : boundsFromBbox(state.config?.bounds);
  if (bounds) state.map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16, animate: false });
}

function renderMinScore() {
  $("#filter-min-score-value").textContent = fmtScore(state.filters.minScore);
}

function wireFilters() {
  const kind = $("#filter-kind");
  const gemeente = $("#filter-gemeente");
  const minScore = $("#filter-min-score");
  const excluded = $("#filter-excluded");

  kind.addEventListener("change", () => {
    state.filters.kind = kind.value;
    loadSitesNow();
  });
  gemeente.addEventListener("change", () => {
    state.filters.gemeente = gemeente.value;
    zoomToGemeente(gemeente.value);
    loadSitesNow();
  });
  minScore.addEventListener("input", () => {
    state.filters.minScore = Number(minScore.value);
    renderMinScore();
    loadSitesSoon(); // debounced while dragging
  });
  excluded.addEventListener("change", () => {
    state.filters.includeExcluded = excluded.checked;
    loadSitesNow();
  });
  $("#filter-reset").addEventListener("click", () => {
    state.filters = { kind: "", gemeente: "", minScore: 0, includeExcluded: false };
    kind.value = "";
    gemeente.value = "";
    minScore.value = "0";
    excluded.checked = false;
    renderMinScore();
    loadSitesNow();
  });
}

function loadSitesNow() {
  loadSitesSoon.cancel();
  loadSites();
}

function wireLanguage() {
  for (const button of document.querySelectorAll("#lang-toggle button[data-lang]")) {
    button.addEventListener("click", () => switchLanguage(button.dataset.lang));
  }
}

function switchLanguage(lang) {
  setLang(lang);
  renderLanguageState();
  // Re-render everything that holds translated or locale-formatted text.
  renderMinScore();
  renderProfilePanel();
  renderDrawHint();
  renderGemeenteOptions();
  renderLegend();
  renderLayerList();
  if (state.sites) {
    renderSiteMarkers();
    renderSiteList();
  }
  renderDetail();
}

function renderLanguageState() {
  for (const button of document.querySelectorAll("#lang-toggle button[data-lang]")) {
    button.setAttribute("aria-pressed", button.dataset.lang === getLang() ? "true" : "false");
  }
}

function wireGlobalKeys() {
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (state.draw) {
      event.preventDefault();
      stopDrawing();
      $("#adhoc-start").focus();
      return;
    }
    if ($("#detail").hidden || event.target.closest?.("select, input")) return;
    closeDetail();
  });
  $("#detail-close").addEventListener("click", closeDetail);
  $("#banner-close").addEventListener("click", hideBanner);
}

/* ---------------------------------------------------------------- 12. start-up */

async function loadConfig() {
  try {
    state.config = await apiGet("/api/config");
  } catch (err) {
    showError(err);
    state.config = null;
  }
  addBasemap(state.config?.basemap);
  addAttribution(state.config);
  const bounds = boundsFromBbox(state.config?.bounds);
  if (bounds) state.map.fitBounds(bounds, { padding: [20, 20], animate: false });
}

async function init() {
  applyTranslations(document);
  renderLanguageState();
  renderMinScore();

  state.map = createMap();
  state.siteLayer = L.featureGroup().addTo(state.map);
  state.selectionLayer = L.featureGroup().addTo(state.map);
  state.adhocLayer = L.featureGroup().addTo(state.map);
  createLegend();
  createAdhocControl();
  renderProfilePanel(); // "loading…" until /api/profiles answers

  wireProfile();
  wireFilters();
  wireAdhoc();
  wireLanguage();
  wireGlobalKeys();

  await Promise.all([loadConfig(), loadProfiles()]);
  state.map.on("moveend", () => {
    loadSitesSoon();
    refreshOverlaysSoon();
  });
  loadSitesNow();
  loadGemeenteList();
  loadGemeenteOutlines();
  loadLayerCatalogue();
}

init();
