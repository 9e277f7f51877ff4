// Woonplek Sitefinder: the map page.
//
// Plain ES2020 module, no build step. Leaflet (global `L`) is loaded by index.html first.
// Organisation:
//   1. constants and state          6. ranked list
//   2. DOM and formatting helpers   7. selection and detail panel
//   3. API access, loading, banner  8. layer toggles (overlays)
//   4. map, basemap, legend         9. filters, municipalities, language
//   5. site markers                10. start-up

import { t, pick, getLang, setLang, locale, applyTranslations } from "./i18n.js";

/* ---------------------------------------------------------------- 1. constants and state */

const LIST_LIMIT = 100;
const MOVE_DEBOUNCE_MS = 250; // also used while dragging the score slider

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
 * The measured value behind a criterion, e.g. 412.5 "m" → "413 m". Counts and classes are left
 * out (""): their explanation text already says "3 care facilities within 1 km" and a bare
 * number next to the weight would only confuse.
 */
function fmtRaw(raw, unit) {
  if (raw === null || raw === undefined || raw === "") return "";
  if (unit === "count" || unit === "class") return "";
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
async function apiGet(path, params = {}, { signal } = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(key, String(value));
  }
  const url = query.toString() ? `${path}?${query}` : path;
  setLoading(+1);
  try {
    let response;
    try {
      response = await fetch(url, { signal, headers: { Accept: "application/json" } });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(t("banner.network", { url: path }));
    }
    const body = await response.json().catch((err) => {
      if (isAbort(err)) throw err; // superseded while the body was arriving
      return null;
    });
    if (!response.ok) throw new ApiError(errorMessage(body) || t("banner.http", { status: response.status }));
    if (body === null) throw new ApiError(t("banner.http", { status: response.status }));
    return body;
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
  // Panes, bottom to top: outlines, overlay polygons, overlay points, selection, sites.
  const panes = { boundaries: 380, overlayPolygons: 400, overlayPoints: 420, selection: 440, sites: 450 };
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

/** A small inline SVG of a marker shape, for the legend, list and detail panel. */
function shapeIcon(shape, colour = "#ffffff") {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 14 14");
  svg.setAttribute("class", "shape-icon");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", shapePath(shape, 7, 7, 5.5));
  path.setAttribute("fill", colour);
  path.setAttribute("stroke", "#1f2937");
  path.setAttribute("stroke-width", "1.3");
  svg.append(path);
  return svg;
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
  };
}

async function loadSites() {
  state.sitesRequest?.abort();
  const controller = new AbortController();
  state.sitesRequest = controller;
  $("#results").classList.add("is-loading");
  try {
    const data = await apiGet("/api/sites", siteQuery(), { signal: controller.signal });
    state.sites = data;
    renderSiteMarkers();
    renderSiteList();
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

const loadSitesSoon = debounce(loadSites, MOVE_DEBOUNCE_MS);

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

  const scoreBlock = excluded
    ? h("span", { class: "row-excluded-tag" }, t("list.excluded"))
    : h(
        "span",
        { class: "row-score" },
        h("span", { class: "row-score-value" }, fmtScore(props.score)),
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
      "aria-label": label,
      dataset: { id, kind: props.kind ?? "" },
      onclick: () => selectSite(id, { from: "list" }),
      onkeydown: onRowKeydown,
      onmouseenter: () => setHovered(id),
      onmouseleave: () => setHovered(null),
      onfocus: () => setHovered(id),
      onblur: () => setHovered(null),
    },
    h("span", { class: "row-rank" }, excluded ? "–" : String(props.rank ?? "")),
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
  const previous = state.selectedId;
  state.selectedId = id;
  state.selectedSummary = state.sites?.features?.find((f) => siteId(f) === id) ?? state.selectedSummary;
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

  state.detailRequest?.abort();
  const controller = new AbortController();
  state.detailRequest = controller;
  try {
    const feature = await apiGet(`/api/sites/${encodeURIComponent(id)}`, {}, { signal: controller.signal });
    if (state.selectedId !== id) return;
    state.detail = feature;
    drawSelection(feature);
    renderDetail();
    ensureVisible(feature);
  } catch (err) {
    if (!isAbort(err) && state.selectedId === id) closeDetail();
    showError(err);
  } finally {
    if (state.detailRequest === controller) state.detailRequest = null;
  }
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

function zoomToSelection() {
  const bounds = selectionBounds(state.detail);
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
  state.detailRequest?.abort();
  state.selectedId = null;
  state.selectedSummary = null;
  state.detail = null;
  $("#detail").hidden = true;
  clearSelectionLayer();
  if (id) restyleMarker(id);
  markSelectedRow();
  const row = id ? rowFor(id) : null;
  if (row) focusRow(row);
}

function renderDetail() {
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

  const body = $("#detail-body");
  if (!state.detail) {
    fill(
      body,
      feature ? detailScore(props) : null,
      h("p", { class: "detail-loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("detail.loading")),
    );
    return;
  }
  fill(
    body,
    detailScore(props),
    detailReasons(props),
    detailBreakdown(props.breakdown ?? []),
    detailSurroundings(props),
    detailSize(props),
    detailSources(props.sources ?? []),
    detailProps(props),
  );
}

function detailScore(props) {
  const excluded = Boolean(props.excluded) || !isNumber(props.score);
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
    excluded || !isNumber(props.rank)
      ? null
      : h("span", { class: "score-rank" }, t("detail.rank", { rank: props.rank })),
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        { type: "button", id: "detail-zoom", class: "button-secondary", onclick: zoomToSelection },
        t("detail.zoom"),
      ),
    ),
  );
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

function detailBreakdown(breakdown) {
  if (!breakdown.length) return null;
  return h(
    "section",
    { class: "detail-section" },
    h("h3", {}, t("detail.breakdown")),
    h("p", { class: "muted small" }, t("detail.breakdown_hint")),
    h("ul", { class: "breakdown", id: "detail-breakdown" }, breakdown.map(breakdownRow)),
  );
}

function breakdownRow(item) {
  const missing = Boolean(item.missing) || !isNumber(item.value);
  const title = pick(item.title) || item.criterion;
  const raw = fmtRaw(item.raw, item.unit);
  const weights =
    isNumber(item.effective_weight) && Math.abs(item.effective_weight - (item.weight ?? 0)) > 0.005
      ? t("detail.weight_eff", { w: fmtPercent(item.weight), e: fmtPercent(item.effective_weight) })
      : t("detail.weight", { w: fmtPercent(item.weight) });

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

  const figures = missing
    ? [item.explanation ? null : h("span", {}, t("detail.no_data_note"))]
    : [h("span", {}, weights), h("span", {}, t("detail.contribution", { c: fmtScore(item.contribution) }))];

  return h(
    "li",
    {
      class: `breakdown-row${missing ? " is-missing" : ""}${item.excluded ? " is-excluding" : ""}`,
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
    ),
  );
}

function detailSize(props) {
  const places = isNumber(props.places) ? `${fmtNumber(props.places)} ${t("unit.places")}` : t("detail.unknown");
  const rows = [
    [t("detail.area"), fmtArea(props.area_m2)],
    [t("detail.floor_area"), fmtArea(props.floor_area_m2)],
    [t("detail.places"), places],
  ];
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

/* ---------------------------------------------------------------- 8. layer toggles */

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

/* ---------------------------------------------------------------- 9. filters, gemeenten, language */

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
    if (event.key !== "Escape" || $("#detail").hidden) return;
    if (event.target.closest?.("select, input")) return;
    closeDetail();
  });
  $("#detail-close").addEventListener("click", closeDetail);
  $("#banner-close").addEventListener("click", hideBanner);
}

/* ---------------------------------------------------------------- 10. start-up */

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
  createLegend();

  wireFilters();
  wireLanguage();
  wireGlobalKeys();

  await loadConfig();
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
