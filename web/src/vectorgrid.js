/*
 * @module vectorgrid
 * Leaflet.VectorGrid (npm `leaflet.vectorgrid`, pinned in package-lock.json, served by the API
 * at /vendor/leaflet.vectorgrid/), the plugin that draws Mapbox Vector Tiles on a Leaflet map.
 * It is a classic script that extends a global `L`; the page uses Leaflet's ES module build,
 * whose namespace cannot be extended, so the plugin gets a plain copy of it as `L` (the
 * classes it extends are the very classes the rest of the page uses). Loaded once, on first use.
 */

import * as Leaflet from "leaflet";

const PLUGIN = "/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js";
let loading = null;

/** Resolves to {vectorGrid, canvasTile}: `L.vectorGrid` and `L.canvas.tile` of the plugin. */
export function loadVectorGrid() {
  if (!loading) {
    // Leaflet 1.9 dropped DomEvent.fakeStop, which the plugin's canvas renderer calls on click.
    const DomEvent = { ...Leaflet.DomEvent, fakeStop: Leaflet.DomEvent.fakeStop ?? Leaflet.DomEvent.stop };
    const L = { ...Leaflet, DomEvent, canvas: Leaflet.canvas, svg: Leaflet.svg };
    globalThis.L = L;
    loading = import(PLUGIN).then(() => ({ vectorGrid: L.vectorGrid, canvasTile: L.canvas.tile }));
  }
  return loading;
}
