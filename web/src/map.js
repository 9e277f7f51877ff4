/*
 * @module map
 * The Leaflet map: panes, the basemap (PDOK BRT-Achtergrondkaart; the page keeps working
 * offline), attribution, and the view. Every move ends in the store as `view` (a WGS84 bbox
 * string), which the list and the overlays follow. Coordinates here are WGS84 (EPSG:4326)
 * degrees, as the API serves them.
 */

import * as L from "leaflet";

const DEFAULT_VIEW = { center: [52.2, 5.3], zoom: 8 }; // the Netherlands, until /api/config answers
const BASEMAP_FAILURES = 4; // failed tiles in a row before the legend says the basemap is offline

// Panes, bottom to top: outlines, overlay polygons, overlay points, selection, sites, drawing.
const PANES = { boundaries: 380, overlayPolygons: 400, overlayPoints: 420, selection: 440, sites: 450, draft: 460 };

/**
 * @param store the page store (writes `view` and `basemapOffline`)
 * @param {{container?: string, coveredBy?: string}} options the map element's id, and the
 *   selector of the panel that may cover the map's right side (kept clear when panning).
 */
export function createMap(store, { container = "map", coveredBy = "#detail" } = {}) {
  const map = L.map(container, {
    center: DEFAULT_VIEW.center,
    zoom: DEFAULT_VIEW.zoom,
    minZoom: 6,
    maxZoom: 19,
    zoomSnap: 0.5,
  });
  for (const [name, zIndex] of Object.entries(PANES)) map.createPane(name).style.zIndex = zIndex;
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com" title="Leaflet, a JavaScript library for interactive maps">Leaflet</a>',
  );
  map.on("moveend", () => store.update({ view: bboxParam(map.getBounds()) }));

  /** The part of the map not covered by the detail panel, in container pixels. */
  function visibleBox() {
    const size = map.getSize();
    const panel = document.querySelector(coveredBy);
    const overlaps = panel && !panel.hidden && panel.offsetLeft > size.x / 3;
    return { left: 0, top: 0, right: overlaps ? panel.offsetLeft - 8 : size.x, bottom: size.y };
  }

  return {
    /** The Leaflet map itself, for layers and controls. */
    leaflet: map,

    /** The current view as the API's bbox parameter: "west,south,east,north" (degrees). */
    bbox: () => bboxParam(map.getBounds()),

    /** Fit the view to an API bbox [west, south, east, north]; false if it is not one. */
    fitBbox(bbox, { maxZoom } = {}) {
      const bounds = boundsFromBbox(bbox);
      if (bounds) map.fitBounds(bounds, { padding: [20, 20], maxZoom, animate: false });
      return Boolean(bounds);
    },

    /** Pan (not zoom) so `bounds` is in the part of the map the detail panel leaves free. */
    panIntoView(bounds) {
      if (!bounds) return;
      const box = visibleBox();
      const margin = 40;
      const p = map.latLngToContainerPoint(bounds.getCenter());
      const inside =
        p.x >= box.left + margin && p.x <= box.right - margin && p.y >= box.top + margin && p.y <= box.bottom - margin;
      if (inside) return;
      const target = L.point((box.left + box.right) / 2, (box.top + box.bottom) / 2);
      map.panBy(p.subtract(target), { animate: true });
    },

    /** Zoom to `bounds` within the part of the map the detail panel leaves free. */
    fitIntoView(bounds) {
      if (!bounds) return;
      const box = visibleBox();
      const size = map.getSize();
      map.fitBounds(bounds, {
        paddingTopLeft: [40, 40],
        paddingBottomRight: [size.x - box.right + 40, 40],
        maxZoom: 17,
      });
    },

    /** PDOK BRT-Achtergrondkaart. If tiles fail (offline), the plain map background remains. */
    addBasemap(basemap) {
      if (!basemap?.url) return;
      let failures = 0;
      const layer = L.tileLayer(basemap.url, {
        attribution: basemap.attribution || "",
        maxZoom: 19,
        maxNativeZoom: 19,
        crossOrigin: false,
      });
      layer.on("tileerror", (event) => {
        event.tile.style.visibility = "hidden"; // no broken-image icons
        failures += 1;
        if (failures === BASEMAP_FAILURES) store.update({ basemapOffline: true });
      });
      layer.on("tileload", () => {
        if (failures === 0) return;
        failures = 0;
        store.update({ basemapOffline: false });
      });
      layer.addTo(map);
    },

    /** OpenStreetMap's credit (always) and the data sources' line from /api/config. */
    addAttribution(text = "") {
      if (!/openstreetmap/i.test(text)) map.attributionControl.addAttribution("© OpenStreetMap contributors");
      if (text) map.attributionControl.addAttribution(text);
    },

    /** Put a page element into a Leaflet control; clicks and scrolls on it stay off the map. */
    addControl(element, position) {
      const control = L.control({ position });
      control.onAdd = () => {
        element.classList.add("leaflet-control");
        L.DomEvent.disableClickPropagation(element);
        L.DomEvent.disableScrollPropagation(element);
        return element;
      };
      control.addTo(map);
      return control;
    },
  };
}

/** Leaflet bounds as "west,south,east,north" (degrees, 5 decimals: about 1 m). */
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

/** An API bbox [west, south, east, north] as Leaflet bounds, or null. */
function boundsFromBbox(bbox) {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => Number.isFinite(v))) return null;
  return L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]);
}

/** The bounds of a GeoJSON feature's geometry, or null. */
export function featureBounds(feature) {
  if (!feature?.geometry) return null;
  const bounds = L.geoJSON(feature.geometry).getBounds();
  return bounds.isValid() ? bounds : null;
}

/**
 * Chromium makes SVG paths with focus listeners (Leaflet adds them for tooltips) tabbable, which
 * would put every marker in the tab order. Keyboard users select sites through the list instead.
 */
export function keepOutOfTabOrder(el) {
  el?.setAttribute("tabindex", "-1");
}
