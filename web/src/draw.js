/*
 * @module draw
 * "Score your own site": the user clicks a point, or clicks the corners of a polygon and
 * double-clicks (or clicks the first corner, or presses the button) to finish. Plain Leaflet, no
 * drawing plugin. The drawn geometry (WGS84, 6 decimals) is POSTed to /api/score with the
 * current scoring and shown as the own site (store key `adhoc`) in the detail panel, and as a
 * dashed shape filled with its score colour on the map. What the owner fills in afterwards
 * (places, floor area: `rescore`) scores the same geometry again.
 */

import * as L from "leaflet";
import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { ApiError, isAbort } from "./api.js";
import { hideBanner, showError } from "./banner.js";
import { featureBounds } from "./map.js";
import { ADHOC_STROKE, EXCLUDED_FILL, scoreColour } from "./symbols.js";

const SNAP_PX = 8; // a click this close to the first corner closes the polygon

/**
 * @returns {{start: () => void, stop: () => void, isDrawing: () => boolean,
 *   rescore: (size: {places: number|null, floorArea: number|null}) => void}}
 */
export function createDraw(store, api, map) {
  const leaflet = map.leaflet;
  const shapeLayer = L.featureGroup().addTo(leaflet); // the own site once drawn
  let draft = null; // while drawing: {mode, vertices, layer, rubber}
  let request = null;
  let serial = 0; // tells an own site from the one drawn before it

  function mode() {
    return document.querySelector('input[name="adhoc-mode"]:checked')?.value === "polygon" ? "polygon" : "point";
  }

  function start() {
    stop();
    draft = { mode: mode(), vertices: [], layer: L.featureGroup().addTo(leaflet), rubber: null };
    leaflet.doubleClickZoom.disable();
    leaflet.getContainer().classList.add("is-drawing");
    leaflet.on("click", onClick);
    leaflet.on("dblclick", onDoubleClick);
    leaflet.on("mousemove", onMove);
    $("#adhoc-panel").hidden = false;
    $("#adhoc-start").setAttribute("aria-pressed", "true");
    renderHint();
  }

  function stop() {
    if (!draft) return;
    draft.layer.remove();
    leaflet.off("click", onClick);
    leaflet.off("dblclick", onDoubleClick);
    leaflet.off("mousemove", onMove);
    leaflet.doubleClickZoom.enable();
    leaflet.getContainer().classList.remove("is-drawing");
    $("#adhoc-panel").hidden = true;
    $("#adhoc-start").setAttribute("aria-pressed", "false");
    draft = null;
  }

  function setMode(value) {
    if (!draft) return;
    draft.mode = value;
    draft.vertices = [];
    renderDraft();
    renderHint();
  }

  function renderHint() {
    if (!draft) return;
    const n = draft.vertices.length;
    let hint = t("adhoc.hint_point");
    if (draft.mode === "polygon") hint = n > 0 && n < 3 ? t("adhoc.hint_more", { n }) : t("adhoc.hint_polygon");
    $("#adhoc-hint").textContent = hint;
    $("#adhoc-finish").hidden = draft.mode !== "polygon" || n < 3;
  }

  function onClick(event) {
    if (draft.mode === "point") {
      finish({ type: "Point", coordinates: lonLat(event.latlng) });
      return;
    }
    if (draft.vertices.length >= 3 && near(event.latlng, draft.vertices[0])) {
      finishPolygon();
      return;
    }
    draft.vertices.push(event.latlng);
    renderDraft();
    renderHint();
  }

  /** A double-click also fired two clicks, which each added a corner: keep one of them. */
  function onDoubleClick(event) {
    if (draft.mode !== "polygon") return;
    const v = draft.vertices;
    while (v.length >= 2 && near(v[v.length - 1], v[v.length - 2])) v.pop();
    if (v.length && !near(event.latlng, v[v.length - 1])) v.push(event.latlng);
    if (v.length >= 3) finishPolygon();
    else {
      renderDraft();
      renderHint();
    }
  }

  function onMove(event) {
    if (!draft?.rubber || !draft.vertices.length) return;
    const v = draft.vertices;
    draft.rubber.setLatLngs(v.length >= 2 ? [v[v.length - 1], event.latlng, v[0]] : [v[0], event.latlng]);
  }

  function near(a, b) {
    return leaflet.latLngToContainerPoint(a).distanceTo(leaflet.latLngToContainerPoint(b)) <= SNAP_PX;
  }

  /** The polygon so far: corners, edges, a faint fill, and a dashed line following the mouse. */
  function renderDraft() {
    draft.layer.clearLayers();
    const v = draft.vertices;
    const common = { pane: "draft", interactive: false, color: ADHOC_STROKE };
    if (v.length >= 3) L.polygon(v, { ...common, weight: 0, fillOpacity: 0.15 }).addTo(draft.layer);
    if (v.length >= 2) L.polyline(v, { ...common, weight: 2.5, className: "draw-edge" }).addTo(draft.layer);
    draft.rubber = L.polyline([], { ...common, weight: 1.5, dashArray: "4 4", className: "draw-rubber" });
    draft.rubber.addTo(draft.layer);
    v.forEach((latlng, i) =>
      L.circleMarker(latlng, {
        ...common,
        radius: i === 0 && v.length >= 3 ? 6 : 4,
        weight: 2,
        fillColor: "#ffffff",
        fillOpacity: 1,
        className: "draw-vertex",
      }).addTo(draft.layer),
    );
  }

  function finishPolygon() {
    if (!draft || draft.vertices.length < 3) {
      renderHint();
      return;
    }
    const ring = draft.vertices.map(lonLat);
    ring.push(ring[0]);
    finish({ type: "Polygon", coordinates: [ring] });
  }

  function finish(geometry) {
    const places = readPlaces();
    stop();
    hideBanner();
    serial += 1;
    const adhoc = { serial, geometry, places, floorArea: null, name: t("adhoc.name"), feature: null };
    store.update({ selectedId: null, detail: null, adhoc });
    score();
  }

  /** POST the own site to /api/score with the current profile and weights. */
  async function score() {
    const adhoc = store.get().adhoc;
    if (!adhoc) return;
    request?.abort();
    const controller = new AbortController();
    request = controller;
    const body = { geometry: adhoc.geometry, places: adhoc.places, floor_area_m2: adhoc.floorArea, name: adhoc.name };
    try {
      const feature = await api.post("/api/score", store.get().scoring, body, { signal: controller.signal });
      const current = store.get().adhoc;
      if (current?.serial !== adhoc.serial) return;
      store.update({ adhoc: { ...current, feature } });
      if (!current.feature) map.panIntoView(featureBounds(feature));
    } catch (err) {
      if (isAbort(err)) return;
      if (store.get().adhoc?.serial === adhoc.serial && !store.get().adhoc.feature) store.update({ adhoc: null });
      showError(err instanceof ApiError ? new ApiError(t("adhoc.error", { message: err.message })) : err);
    } finally {
      if (request === controller) request = null;
    }
  }

  /** The own site on the map: dashed blue outline, filled with its score colour once scored. */
  function renderShape() {
    shapeLayer.clearLayers();
    const adhoc = store.get().adhoc;
    if (!adhoc) return;
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
      L.circleMarker([lat, lon], { ...style, radius: 10, fillOpacity: 0.95 }).addTo(shapeLayer);
    } else {
      L.geoJSON(geometry, { ...style, style: () => ({ ...style, fillOpacity: 0.45 }) }).addTo(shapeLayer);
    }
  }

  store.subscribe(["adhoc"], (state) => {
    if (!state.adhoc) request?.abort();
    renderShape();
  });
  store.subscribe(["scoring"], (state) => state.adhoc && score());
  store.subscribe(["selectedId"], (state) => state.selectedId && stop()); // a site chosen after all
  store.subscribe(["lang"], renderHint);

  $("#adhoc-start").addEventListener("click", () => (draft ? stop() : start()));
  $("#adhoc-cancel").addEventListener("click", stop);
  $("#adhoc-finish").addEventListener("click", finishPolygon);
  for (const radio of document.querySelectorAll('input[name="adhoc-mode"]')) {
    radio.addEventListener("change", () => setMode(radio.value));
  }
  map.addControl($("#adhoc-control"), "topleft");

  /** Score the own site again with the size the owner filled in (the geometry stays). */
  function rescore({ places, floorArea }) {
    const adhoc = store.get().adhoc;
    if (!adhoc) return;
    store.update({ adhoc: { ...adhoc, places, floorArea } });
    score();
  }

  /** Show and score a geometry found elsewhere (an uploaded file, offers.js) as the own site. */
  function show(geometry, name = t("adhoc.name")) {
    finish(geometry);
    const adhoc = store.get().adhoc;
    if (adhoc) store.update({ adhoc: { ...adhoc, name } });
  }

  return { start, stop, isDrawing: () => Boolean(draft), rescore, show };
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
