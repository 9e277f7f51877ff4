/*
 * @module symbols
 * The map's symbology: score colours (five equal classes, ColorBrewer RdYlGn, red = poor), the
 * grey of excluded sites, and the marker shapes (as SVG path data and as small inline icons for
 * the legend, list and detail panel). Which shape a kind of site gets is the catalogue's
 * business (kinds.js); how a shape is drawn is decided here.
 */

import { svg } from "./dom.js";
import { isNumber } from "./format.js";

export const SCORE_COLOURS = ["#d7191c", "#fdae61", "#fee08b", "#a6d96a", "#1a9641"];
export const EXCLUDED_FILL = "#c8c8c8";
export const EXCLUDED_STROKE = "#5f5f5f";
export const HOVER_STROKE = "#0b4f9c";
export const SELECTED_STROKE = "#000000";
export const ADHOC_STROKE = "#0b4f9c";
// an uncertain score (too little of its weight has data): pale fill, grey ring
export const UNCERTAIN_STROKE = "#6b7280";
export const UNCERTAIN_FILL_OPACITY = 0.35;
const ICON_STROKE = "#1f2937";

/** The score class 0–4 of a score 0–1, or null (no score). */
function scoreClass(score) {
  if (!isNumber(score)) return null;
  return Math.max(0, Math.min(SCORE_COLOURS.length - 1, Math.floor(score * SCORE_COLOURS.length)));
}

export function scoreColour(score) {
  const cls = scoreClass(score);
  return cls === null ? EXCLUDED_FILL : SCORE_COLOURS[cls];
}

/** The fill of a site's symbol: its score colour, grey when excluded. */
export function siteColour(props) {
  return props?.excluded ? EXCLUDED_FILL : scoreColour(props?.score);
}

/** SVG path data for a marker shape centred on (x, y) with "radius" r (pixels). */
export function shapePath(shape, x, y, r) {
  if (shape === "square") {
    const s = r * 0.85;
    return `M${x - s},${y - s}H${x + s}V${y + s}H${x - s}Z`;
  }
  if (shape === "diamond") {
    const d = r * 1.15;
    return `M${x},${y - d}L${x + d},${y}L${x},${y + d}L${x - d},${y}Z`;
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

/** A small inline SVG of a marker shape, filled with `colour`, outlined with `stroke`. */
export function shapeIcon(shape, colour = "#ffffff", stroke = ICON_STROKE) {
  return svg(
    "svg",
    { viewBox: "0 0 14 14", class: "shape-icon", "aria-hidden": "true" },
    svg("path", { d: shapePath(shape, 7, 7, 5.5), fill: colour, stroke, "stroke-width": "1.3" }),
  );
}

/** The own-site symbol (a crosshair), as on the "score your own site" button. */
export function crosshairIcon() {
  const stroke = { stroke: "currentColor", "stroke-width": "1.6" };
  return svg(
    "svg",
    { viewBox: "0 0 16 16", class: "adhoc-kind-icon", "aria-hidden": "true" },
    svg("circle", { cx: 8, cy: 8, r: 4.5, fill: "none", ...stroke }),
    svg("path", { d: "M8 0.5v4M8 11.5v4M0.5 8h4M11.5 8h4", ...stroke }),
  );
}
