/*
 * @module plugins
 * Leaflet plugins from npm that are classic scripts extending a global `L` (Leaflet.VectorGrid,
 * Leaflet-Geoman), served by the API under /vendor/. The page uses Leaflet's ES module build,
 * whose namespace cannot be extended, so the plugins share one plain copy of it as the global
 * `L`: the classes they extend are the very classes the rest of the page uses. Each plugin is
 * loaded once, on first use.
 */

import * as Leaflet from "leaflet";

let shared = null;
const loading = new Map(); // plugin URL -> its import

/** The plain copy of Leaflet's namespace the plugins extend (made once, set as global `L`). */
export function leafletGlobal() {
  if (!shared) {
    // Leaflet 1.9 dropped DomEvent.fakeStop, which VectorGrid's canvas renderer calls on click.
    const DomEvent = { ...Leaflet.DomEvent, fakeStop: Leaflet.DomEvent.fakeStop ?? Leaflet.DomEvent.stop };
    shared = { ...Leaflet, DomEvent, canvas: Leaflet.canvas, svg: Leaflet.svg };
    globalThis.L = shared;
  }
  return shared;
}

/** Resolves to the global `L` once the plugin at `url` has run against it. */
export function loadPlugin(url) {
  const L = leafletGlobal();
  if (!loading.has(url)) loading.set(url, import(url));
  return loading.get(url).then(() => L);
}
