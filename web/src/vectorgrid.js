/*
 * @module vectorgrid
 * Leaflet.VectorGrid (npm `leaflet.vectorgrid`, pinned in package-lock.json, served by the API
 * at /vendor/leaflet.vectorgrid/), the plugin that draws Mapbox Vector Tiles on a Leaflet map;
 * loaded against the page's Leaflet by plugins.js, once, on first use.
 */

import { loadPlugin } from "./plugins.js";

const PLUGIN = "/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js";

/** Resolves to {vectorGrid, canvasTile}: `L.vectorGrid` and `L.canvas.tile` of the plugin. */
export function loadVectorGrid() {
  return loadPlugin(PLUGIN).then((L) => ({ vectorGrid: L.vectorGrid, canvasTile: L.canvas.tile }));
}
