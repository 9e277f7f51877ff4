/*
 * @module draw
 * "Score your own site", in three ways (the panel's "Vorm"):
 * - **Punt**: click a point;
 * - **Vlak**: draw a polygon with Leaflet-Geoman (npm `@geoman-io/leaflet-geoman-free`, served by
 *   the API under /vendor/leaflet-geoman/, loaded on first use): click the corners, then click
 *   the first corner, double-click or "Vlak afsluiten";
 * - **Aanwijzen**: click a BRK parcel or a building (the catalogue's `pickable` layers, asked in
 *   catalogue order through GET /api/layers/{name}/at): its geometry becomes the own site.
 * A polygon (drawn, picked or read from a file) can then be edited ("Hoeken bewerken"): drag a
 * corner, click a midpoint for a new corner, right-click a corner to delete it; every edit
 * scores it again.
 *
 * Keyboard: every action is a button in the panel; on the map (Tab to it, arrows pan) Space or
 * Enter adds a corner (or picks, or scores the point) at the map's centre, marked by a
 * crosshair; Backspace takes the last corner back, Enter finishes the polygon, Escape cancels
 * (main.js). While editing, Tab reaches each corner: arrows move it (Shift: further), Delete
 * removes it, Enter on a midpoint adds a corner there; Enter on the map ends editing.
 *
 * The geometry (WGS84, 6 decimals) is POSTed to /api/score with the current scoring and shown
 * as the own site (store key `adhoc`) in the detail panel, and as a dashed shape filled with its
 * score colour on the map. What the owner fills in afterwards (places, floor area: `rescore`)
 * scores the same geometry again.
 */

import * as L from "leaflet";
import { $ } from "./dom.js";
import { pick as pickText, t } from "./i18n.js";
import { ApiError, isAbort } from "./api.js";
import { hideBanner, showError } from "./banner.js";
import { featureBounds } from "./map.js";
import { loadPlugin } from "./plugins.js";
import { ADHOC_STROKE, EXCLUDED_FILL, scoreColour } from "./symbols.js";

const GEOMAN = "/vendor/leaflet-geoman/leaflet-geoman.min.js";
const STEP_PX = 3; // an arrow key moves a corner this far (Shift: ten times)
const RESCORE_MS = 250; // keyboard moves come in bursts: score once they pause

/** Leaflet-Geoman, loaded once against the page's Leaflet, for layers that opt in. */
let geoman = null;
function loadGeoman(leaflet) {
  if (!geoman) {
    geoman = loadPlugin(GEOMAN).then((global) => {
      global.PM.setOptIn(true); // only our own layers are editable, not every site marker
      leaflet.options.pmIgnore = false;
      global.PM.reInitLayer(leaflet); // the map was made before the plugin was loaded
      leaflet.pm.setGlobalOptions({
        panes: { vertexPane: "markerPane", layerPane: "draft", markerPane: "markerPane" },
      });
      return global;
    });
  }
  return geoman;
}

/**
 * @returns {{start: () => void, stop: () => void, isDrawing: () => boolean,
 *   rescore: (size: {places: number|null, floorArea: number|null}) => void,
 *   show: (geometry: object, label?: string) => void, edit: () => Promise<void>}}
 */
export function createDraw(store, api, map) {
  const leaflet = map.leaflet;
  const container = leaflet.getContainer();
  const shapeLayer = L.featureGroup().addTo(leaflet); // the own site once drawn
  let draft = null; // while the panel is open: {mode, vertices (polygon corners so far)}
  let editing = null; // while editing the own site's corners: {layer, before, timer}
  let request = null;
  let serial = 0; // tells an own site from the one drawn before it

  function mode() {
    return document.querySelector('input[name="adhoc-mode"]:checked')?.value ?? "point";
  }

  function start() {
    stop();
    draft = { mode: mode(), vertices: 0 };
    leaflet.doubleClickZoom.disable();
    container.classList.add("is-drawing", "is-drawing-own");
    leaflet.on("click", onClick);
    $("#adhoc-panel").hidden = false;
    $("#adhoc-start").setAttribute("aria-pressed", "true");
    loadGeoman(leaflet); // ready by the time a polygon is chosen
    setMode(draft.mode);
  }

  /** Close the panel, or end editing without keeping the edit (Escape, Annuleren). */
  function stop() {
    if (editing) {
      endEdit(false);
      return;
    }
    if (!draft) return;
    endPolygon();
    leaflet.off("click", onClick);
    leaflet.doubleClickZoom.enable();
    container.classList.remove("is-drawing", "is-drawing-own");
    $("#adhoc-panel").hidden = true;
    $("#adhoc-start").setAttribute("aria-pressed", "false");
    draft = null;
    renderEditButton();
  }

  function setMode(value) {
    if (!draft) return;
    endPolygon();
    draft.mode = value;
    draft.vertices = 0;
    if (value === "polygon") startPolygon();
    renderHint();
  }

  function renderHint(message) {
    if (!draft) return;
    const n = draft.vertices;
    const polygon = draft.mode === "polygon";
    let hint = t(`adhoc.hint_${draft.mode}`);
    if (polygon && n > 0 && n < 3) hint = t("adhoc.hint_more", { n });
    $("#adhoc-hint").textContent = message ?? hint;
    $("#adhoc-here").textContent = t(`adhoc.here_${draft.mode}`);
    $("#adhoc-finish").hidden = !polygon || n < 3;
    $("#adhoc-undo").hidden = !polygon || n < 1;
  }

  /** A map click: the point, or the feature under it (a polygon's corners are Geoman's). */
  function onClick(event) {
    if (draft.mode === "point") finish({ type: "Point", coordinates: lonLat(event.latlng) });
    else if (draft.mode === "pick") pickAt(event.latlng);
  }

  /** "Here": the map's centre as the point, the picked place or the next corner. */
  function atCentre() {
    if (!draft) return;
    if (draft.mode === "polygon") {
      if (!leaflet.pm?.Draw.Polygon.enabled()) return;
      // Geoman adds a corner on a map click: the same click, at the centre
      leaflet.fire("click", { latlng: leaflet.getCenter() });
    } else onClick({ latlng: leaflet.getCenter() });
  }

  // --- polygon: Leaflet-Geoman ---

  async function startPolygon() {
    await loadGeoman(leaflet);
    if (draft?.mode !== "polygon" || leaflet.pm.Draw.Polygon.enabled()) return;
    leaflet.pm.enableDraw("Polygon", {
      tooltips: false,
      snappable: false,
      allowSelfIntersection: false,
      templineStyle: { color: ADHOC_STROKE, weight: 2.5, className: "draw-edge" },
      hintlineStyle: { color: ADHOC_STROKE, weight: 1.5, dashArray: "4 4", className: "draw-rubber" },
      pathOptions: { color: ADHOC_STROKE },
    });
  }

  function endPolygon() {
    if (leaflet.pm?.Draw.Polygon.enabled()) leaflet.pm.disableDraw();
  }

  function vertexCount(workingLayer) {
    return workingLayer.getLatLngs().flat().length;
  }

  function onDrawStart({ workingLayer, shape }) {
    if (shape !== "Polygon" || !draft) return;
    draft.vertices = 0;
    const count = () => {
      if (!draft) return;
      draft.vertices = vertexCount(workingLayer);
      renderHint();
    };
    workingLayer.on("pm:vertexadded", (event) => {
      count();
      // a double-click's second click lands on the corner its first click made: finish there
      event.marker?.on("dblclick", finishPolygon);
      untabbable();
    });
    workingLayer.on("pm:vertexremoved", count);
    untabbable();
    renderHint();
  }

  /** While drawing, Geoman's corner and cursor markers are pictures only: the keyboard's
   * corners are the map's centre, so Tab goes from the map to the panel. */
  function untabbable() {
    for (const element of container.querySelectorAll(".leaflet-marker-icon.marker-icon")) {
      element.tabIndex = -1;
      element.setAttribute("aria-hidden", "true");
    }
  }

  function onCreate({ layer, shape }) {
    if (shape !== "Polygon") return;
    const geometry = layer.toGeoJSON(6).geometry;
    layer.remove(); // the own site is drawn by renderShape
    finish(geometry);
  }

  function finishPolygon() {
    if (!draft || draft.mode !== "polygon") return;
    if (draft.vertices < 3) {
      renderHint();
      return;
    }
    leaflet.pm.Draw.Polygon._finishShape(); // what Geoman's own "Finish" action calls
    if (draft?.mode === "polygon") renderHint(t("adhoc.self_intersects")); // refused: it crosses itself
  }

  function undoVertex() {
    if (!draft || draft.mode !== "polygon" || draft.vertices < 1) return;
    if (draft.vertices === 1) {
      endPolygon(); // Geoman ends drawing when the only corner goes: start afresh
      draft.vertices = 0;
      startPolygon();
      renderHint();
      return;
    }
    leaflet.pm.Draw.Polygon._removeLastVertex(); // what Geoman's own "Remove last vertex" calls
  }

  // --- pick: a parcel or building under the click ---

  async function pickAt(latlng) {
    const layers = (store.get().catalogue ?? []).filter((l) => l.pickable && l.loaded);
    const [lon, lat] = lonLat(latlng);
    renderHint(t("adhoc.picking"));
    try {
      const answers = await Promise.all(layers.map((l) => api.get(`/api/layers/${l.name}/at`, { lon, lat })));
      if (draft?.mode !== "pick") return;
      const i = answers.findIndex((a) => a.features.length > 0);
      if (i < 0) {
        renderHint(t("adhoc.pick_none"));
        return;
      }
      const feature = answers[i].features[0];
      const title = pickText(layers[i].title);
      finish(feature.geometry, `${title}: ${feature.properties.name || feature.id}`);
    } catch (err) {
      if (!isAbort(err)) showError(err);
      renderHint();
    }
  }

  // --- the own site ---

  /** The geometry is the own site; `label` names where it came from (a picked parcel or
   * building, a file), else it is called after its shape. */
  function finish(geometry, label = null) {
    const places = readPlaces();
    stop();
    hideBanner();
    serial += 1;
    const name = label ?? t("adhoc.name");
    const adhoc = { serial, geometry, places, floorArea: null, name, label, feature: null };
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
      if (current?.serial !== adhoc.serial || current.geometry !== adhoc.geometry) return;
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

  function shapeStyle(adhoc) {
    const props = adhoc.feature?.properties;
    const fillColor = props ? (props.excluded ? EXCLUDED_FILL : scoreColour(props.score)) : "#ffffff";
    return {
      pane: "selection",
      interactive: false,
      color: ADHOC_STROKE,
      weight: 3,
      dashArray: "6 4",
      fillColor,
      fillOpacity: 0.45,
      className: "adhoc-shape",
    };
  }

  /** The own site on the map: dashed blue outline, filled with its score colour once scored. */
  function renderShape() {
    const adhoc = store.get().adhoc;
    if (editing && adhoc) {
      editing.layer.setStyle({ fillColor: shapeStyle(adhoc).fillColor }); // its corners stay
      return;
    }
    shapeLayer.clearLayers();
    renderEditButton();
    if (!adhoc) return;
    const style = shapeStyle(adhoc);
    const geometry = adhoc.geometry;
    if (geometry.type === "Point") {
      const [lon, lat] = geometry.coordinates;
      L.circleMarker([lat, lon], { ...style, radius: 10, fillOpacity: 0.95 }).addTo(shapeLayer);
    } else {
      polygonLayer(geometry, style).addTo(shapeLayer);
    }
  }

  /** A Polygon or MultiPolygon as one Leaflet polygon, editable by Geoman once it is loaded. */
  function polygonLayer(geometry, style) {
    const depth = geometry.type === "Polygon" ? 1 : 2;
    return L.polygon(L.GeoJSON.coordsToLatLngs(geometry.coordinates, depth), { ...style, pmIgnore: false });
  }

  // --- editing the own site's corners (Geoman's edit mode) ---

  function editable() {
    const type = store.get().adhoc?.geometry?.type;
    return type === "Polygon" || type === "MultiPolygon";
  }

  function renderEditButton() {
    $("#adhoc-edit").hidden = !editable() || Boolean(draft) || Boolean(editing);
  }

  async function edit() {
    if (!editable() || editing) return;
    stop();
    await loadGeoman(leaflet);
    const adhoc = store.get().adhoc;
    if (!adhoc || !editable()) return;
    shapeLayer.clearLayers();
    const layer = polygonLayer(adhoc.geometry, shapeStyle(adhoc)).addTo(shapeLayer);
    editing = { layer, before: adhoc.geometry, timer: null };
    layer.pm.enable({
      allowSelfIntersection: true, // a picked parcel may touch itself; the API repairs a shape
      snappable: false,
      draggable: false,
      removeLayerBelowMinVertexCount: false, // a triangle keeps its three corners
    });
    layer.on("pm:edit", () => edited(0));
    layer.on("pm:markerdragend pm:vertexadded pm:vertexremoved", labelCorners);
    labelCorners();
    $("#adhoc-edit-panel").hidden = false;
    $("#adhoc-edit").hidden = true;
    $("#adhoc-edit-done").focus();
  }

  /** The edited shape is the own site now: scored again (after `delay` ms of quiet). */
  function edited(delay) {
    if (!editing) return;
    clearTimeout(editing.timer);
    editing.timer = setTimeout(() => {
      const adhoc = store.get().adhoc;
      if (!editing || !adhoc) return;
      store.update({ adhoc: { ...adhoc, geometry: editing.layer.toGeoJSON(6).geometry } });
      score();
    }, delay);
  }

  /** Corners and midpoints in words, for screen readers and the keyboard. */
  function labelCorners() {
    if (!editing) return;
    let n = 0;
    for (const marker of cornerMarkers()) {
      const element = marker.getElement();
      const middle = element.classList.contains("marker-icon-middle");
      if (!middle) n += 1;
      element.setAttribute("aria-label", middle ? t("adhoc.midpoint") : t("adhoc.corner", { n }));
    }
  }

  function cornerMarkers() {
    const found = [];
    leaflet.eachLayer((layer) => {
      const element = layer instanceof L.Marker ? layer.getElement() : null;
      if (element?.classList.contains("marker-icon") && layer._pmTempLayer) found.push(layer);
    });
    return found;
  }

  /** Keys on a focused corner: arrows move it (as a drag would), Delete removes it. */
  function onCornerKey(event) {
    const element = event.target;
    if (!editing || !element.classList?.contains("marker-icon") || element.classList.contains("marker-icon-middle")) return false;
    const marker = cornerMarkers().find((m) => m.getElement() === element);
    if (!marker) return false;
    const step = STEP_PX * (event.shiftKey ? 10 : 1);
    const move = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[event.key];
    if (move) {
      const p = leaflet.latLngToContainerPoint(marker.getLatLng()).add(move);
      marker.fire("dragstart");
      marker.setLatLng(leaflet.containerPointToLatLng(p));
      marker.fire("dragend"); // Geoman ends the move as after a drag: pm:edit
      element.focus();
      edited(RESCORE_MS);
      return true;
    }
    if (event.key === "Delete" || event.key === "Backspace") {
      marker.fire("contextmenu"); // Geoman's way to remove a corner (right-click)
      edited(0);
      cornerMarkers()[0]?.getElement()?.focus();
      return true;
    }
    return false;
  }

  /** End editing: keep the edited shape (Klaar) or go back to the one before (Annuleren). */
  function endEdit(keep) {
    if (!editing) return;
    const { layer, before, timer } = editing;
    clearTimeout(timer);
    const geometry = layer.toGeoJSON(6).geometry;
    layer.pm.disable();
    editing = null;
    $("#adhoc-edit-panel").hidden = true;
    const adhoc = store.get().adhoc;
    const final = keep ? geometry : before;
    if (adhoc && JSON.stringify(final) !== JSON.stringify(adhoc.geometry)) {
      store.update({ adhoc: { ...adhoc, geometry: final } }); // draws it (renderShape)
      score();
    } else renderShape();
    $("#adhoc-edit").focus();
  }

  // --- keys on the map ---

  container.addEventListener("keydown", (event) => {
    if (editing) {
      if (onCornerKey(event)) event.preventDefault();
      else if (event.key === "Enter" && event.target === container) {
        event.preventDefault();
        endEdit(true);
      }
      return;
    }
    if (!draft || event.target !== container) return;
    const polygon = draft.mode === "polygon";
    if (event.key === " " || (event.key === "Enter" && (!polygon || draft.vertices < 3))) atCentre();
    else if (event.key === "Enter") finishPolygon();
    else if (event.key === "Backspace" && polygon) undoVertex();
    else return;
    event.preventDefault();
  });

  leaflet.on("pm:drawstart", onDrawStart);
  leaflet.on("pm:create", onCreate);

  store.subscribe(["adhoc"], (state) => {
    if (!state.adhoc) {
      request?.abort();
      if (editing) {
        editing.layer.pm.disable();
        editing = null;
        $("#adhoc-edit-panel").hidden = true;
      }
    }
    renderShape();
  });
  store.subscribe(["scoring"], (state) => state.adhoc && score());
  store.subscribe(["selectedId"], (state) => state.selectedId && stop()); // a site chosen after all
  store.subscribe(["lang"], () => {
    renderHint();
    labelCorners();
  });

  $("#adhoc-start").addEventListener("click", () => (draft ? stop() : start()));
  $("#adhoc-cancel").addEventListener("click", stop);
  $("#adhoc-finish").addEventListener("click", finishPolygon);
  $("#adhoc-undo").addEventListener("click", undoVertex);
  $("#adhoc-here").addEventListener("click", atCentre);
  $("#adhoc-edit").addEventListener("click", edit);
  $("#adhoc-edit-done").addEventListener("click", () => endEdit(true));
  $("#adhoc-edit-cancel").addEventListener("click", () => endEdit(false));
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

  return {
    start,
    stop,
    isDrawing: () => Boolean(draft || editing),
    rescore,
    /** Show and score a geometry found elsewhere (an uploaded file, offers.js) as the own site. */
    show: finish,
    edit,
  };
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
