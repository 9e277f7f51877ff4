/*
 * @module markers
 * The site markers: one SVG path per site in the list, shaped by its kind (catalogue), filled
 * with its score colour (grey, dashed when excluded; pale with a grey ring when the score is
 * uncertain: too little of its weight has data, range.js) or, when the map is coloured by flag
 * status, its status colour (statuses.js); outlined when hovered or selected.
 * Clicking a marker selects the site; hovering it is shared with the list (`hoveredId`).
 */

import * as L from "leaflet";
import { escapeHtml } from "./dom.js";
import { isNumber, score } from "./format.js";
import { t } from "./i18n.js";
import { kindShape, kindTitle } from "./kinds.js";
import { keepOutOfTabOrder } from "./map.js";
import { siteId } from "./sites.js";
import { statusFill } from "./statuses.js";
import { isUncertain, rangeText } from "./range.js";
import {
  EXCLUDED_FILL,
  EXCLUDED_STROKE,
  HOVER_STROKE,
  SELECTED_STROKE,
  UNCERTAIN_FILL_OPACITY,
  UNCERTAIN_STROKE,
  scoreColour,
  shapePath,
} from "./symbols.js";

/**
 * A circle marker that can also be drawn as a square, triangle or diamond (shape per kind).
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

function markerStyle(props, { hover = false, selected = false, state = null } = {}) {
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
    : isUncertain(props)
      ? {
          radius: 6,
          color: UNCERTAIN_STROKE,
          weight: 2,
          dashArray: null,
          fillColor: statusFill(state, props) ?? scoreColour(props.score),
          fillOpacity: UNCERTAIN_FILL_OPACITY,
        }
      : {
          radius: 7,
          color: "#1f2937",
          weight: 1.2,
          dashArray: null,
          fillColor: statusFill(state, props) ?? scoreColour(props.score),
          fillOpacity: 0.95,
        };
  if (hover) Object.assign(style, { radius: style.radius + 2, color: HOVER_STROKE, weight: 3 });
  if (selected) Object.assign(style, { radius: style.radius + 3, color: SELECTED_STROKE, weight: 3 });
  return style;
}

/**
 * @param {{onSelect: (id: string) => void}} hooks called when a marker is clicked
 */
export function createMarkers(store, map, { onSelect }) {
  const layer = L.featureGroup().addTo(map.leaflet);
  const markers = new Map(); // site id → marker

  function render() {
    const state = store.get();
    layer.clearLayers();
    markers.clear();
    // Draw the weakest first so the best sites end up on top.
    for (const feature of [...(state.sites?.features ?? [])].reverse()) {
      if (feature.geometry?.type !== "Point") continue;
      const [lon, lat] = feature.geometry.coordinates;
      const id = siteId(feature);
      const props = feature.properties ?? {};
      const shape = kindShape(state.catalogue, props.kind);
      const marker = new ShapeMarker([lat, lon], {
        pane: "sites",
        shape,
        className: `site-marker kind-${props.kind ?? "unknown"}${props.excluded ? " is-excluded" : ""}${
          isUncertain(props) ? " is-uncertain" : ""
        }`,
        ...markerStyle(props, { hover: id === state.hoveredId, selected: id === state.selectedId, state }),
      });
      marker.feature = feature;
      marker.bindTooltip(tooltip(state, props), { direction: "top", offset: [0, -8] });
      marker.on("click", () => onSelect(id));
      marker.on("mouseover", () => store.update({ hoveredId: id }));
      marker.on("mouseout", () => store.update({ hoveredId: null }));
      marker.addTo(layer);
      const el = marker.getElement();
      if (el) {
        Object.assign(el.dataset, { siteId: id, kind: props.kind ?? "", shape });
        keepOutOfTabOrder(el);
      }
      markers.set(id, marker);
    }
    markers.get(state.selectedId)?.bringToFront();
  }

  function restyle(id) {
    const marker = markers.get(id);
    if (!marker) return;
    const state = store.get();
    const hover = id === state.hoveredId;
    const selected = id === state.selectedId;
    marker.setStyle(markerStyle(marker.feature.properties ?? {}, { hover, selected, state }));
    if (hover || selected) marker.bringToFront();
  }

  store.subscribe(["sites", "catalogue", "lang", "statusColours", "statuses"], render);
  // The one that changed last ends on top: the previous marker first, then the new one.
  store.subscribe(["hoveredId", "selectedId"], (state, previous, changed) => {
    for (const key of changed) {
      if (previous[key] && previous[key] !== state[key]) restyle(previous[key]);
      if (state[key]) restyle(state[key]);
    }
  });
}

function tooltip(state, props) {
  const range = rangeText(props);
  const value = props.excluded ? t("list.excluded") : `${score(props.score)}${range ? ` (${range})` : ""}`;
  const name = escapeHtml(props.name ?? "");
  return `<strong>${name}</strong><br>${escapeHtml(kindTitle(state.catalogue, props.kind))} · ${escapeHtml(value)}`;
}
