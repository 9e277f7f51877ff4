/*
 * @module selection
 * The selected site on the map: its whole geometry for plots, a ring for points, drawn when
 * its detail first arrives (and panned clear of the detail panel), gone when it is deselected.
 */

import * as L from "leaflet";
import { featureBounds } from "./map.js";
import { SELECTED_STROKE } from "./symbols.js";

export function createSelection(store, map) {
  const layer = L.featureGroup().addTo(map.leaflet);

  function draw(feature) {
    layer.clearLayers();
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
      }).addTo(layer);
      return;
    }
    L.geoJSON(feature, {
      pane: "selection",
      interactive: false,
      style: {
        color: SELECTED_STROKE,
        weight: 3,
        fillColor: "#ffd23f",
        fillOpacity: 0.3,
        className: "selection-shape",
      },
    }).addTo(layer);
  }

  // A re-score replaces the detail in place: only the first detail of a selection is drawn.
  store.subscribe(["selectedId", "detail"], (state, previous) => {
    if (!state.detail || !state.selectedId) layer.clearLayers();
    else if (!previous.detail) {
      draw(state.detail);
      if (!state.keepView) map.panIntoView(featureBounds(state.detail));
    }
  });
}
