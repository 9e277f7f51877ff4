/*
 * @module kinds
 * The kinds of candidate site, as the layer catalogue declares them (GET /api/layers: each site
 * layer's `site_kind` {code, title{nl,en}, plural{nl,en}, shape, colour}). The filter, the
 * legend, the marker shapes and every kind label read them here; nothing on the page lists the
 * kinds itself, so a new site layer shows up without a change to the page.
 */

import { pick } from "./i18n.js";

const byCatalogue = new WeakMap();

/** The site kinds of a catalogue (the `layers` array), in catalogue order, one per code. */
export function siteKinds(catalogue) {
  if (!Array.isArray(catalogue)) return [];
  if (!byCatalogue.has(catalogue)) {
    const kinds = new Map();
    for (const layer of catalogue) {
      const kind = layer.kind === "site" ? layer.site_kind : null;
      if (kind?.code && !kinds.has(kind.code)) kinds.set(kind.code, kind);
    }
    byCatalogue.set(catalogue, [...kinds.values()]);
  }
  return byCatalogue.get(catalogue);
}

function find(catalogue, code) {
  return siteKinds(catalogue).find((kind) => kind.code === code) ?? null;
}

/** "Kantoor" / "Office"; the bare code for a kind the catalogue does not know (or not yet). */
export function kindTitle(catalogue, code) {
  return pick(find(catalogue, code)?.title) || code || "";
}

/** "Kantoren" / "Offices" (filter options). */
export function kindPlural(catalogue, code) {
  return pick(find(catalogue, code)?.plural) || kindTitle(catalogue, code);
}

/** The marker shape of a kind; a circle until the catalogue says otherwise. */
export function kindShape(catalogue, code) {
  return find(catalogue, code)?.shape ?? "circle";
}
