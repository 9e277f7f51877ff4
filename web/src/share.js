/*
 * @module share
 * Passing a shortlist on: "Kopieer link" (the URL holds the whole map state, urlstate.js) and
 * the export menu, whose links download the current selection (every page of the list's
 * query: filters, view, profile or own weights) as CSV, GeoJSON, GeoPackage or Excel through
 * GET /api/sites?f=…
 */

import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { number } from "./format.js";
import { selectionQuery } from "./sites.js";
import { COPIED_MS } from "./urlstate.js";

export const EXPORT_FORMATS = ["csv", "geojson", "gpkg", "xlsx"];

/** GET /api/sites?…&f=`format` for the state's selection (`bbox`: the map's view). */
export function exportHref(state, bbox, format) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(selectionQuery(state, bbox))) {
    if (value !== null && value !== undefined && value !== "") query.set(key, String(value));
  }
  query.set("f", format);
  return `/api/sites?${query}`;
}

/** @param urlState the page's urlstate (copyLink) */
export function createShare(store, map, urlState) {
  const button = $("#share-copy");
  const status = $("#share-status");
  const field = $("#share-link");
  let timer = null;

  function say(key) {
    status.textContent = key ? t(key) : "";
    clearTimeout(timer);
    if (key) timer = setTimeout(() => (status.textContent = ""), COPIED_MS);
  }

  button.addEventListener("click", async () => {
    if (await urlState.copyLink()) {
      field.hidden = true;
      say("share.copied");
      return;
    }
    // no clipboard (permissions, an insecure page): the link selected, to copy by hand
    field.value = window.location.href;
    field.hidden = false;
    field.select();
    say("share.copy_by_hand");
  });

  function renderLinks() {
    const state = store.get();
    const bbox = map.bbox();
    for (const format of EXPORT_FORMATS) $(`#export-${format}`).href = exportHref(state, bbox, format);
    const total = state.sites?.total;
    $("#export-count").textContent = Number.isFinite(total) ? t("export.count", { n: number(total) }) : "";
  }

  store.subscribe(["filters", "scoring", "view", "sites", "lang"], renderLinks);
  renderLinks();
}
