/*
 * @module bulk
 * Flag many sites at once (provincie and coordinator accounts only): the selection is the
 * filtered list as shown, the map view, or an area drawn by clicking two opposite corners on
 * the map; then a status (sites whose status cannot make that step are skipped and counted),
 * and optionally a note, tags and the confidential switch (left empty: each site keeps its
 * own). POST /api/flags/bulk; areas go as WGS84 polygons.
 */

import * as L from "leaflet";
import { $, fill, h } from "./dom.js";
import { t } from "./i18n.js";
import { refreshSites } from "./flags.js";
import { statusTitle } from "./statuses.js";
import { siteId } from "./sites.js";

function rectangle(west, south, east, north) {
  const ring = [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ].map(([x, y]) => [Number(x.toFixed(6)), Number(y.toFixed(6))]);
  return { type: "Polygon", coordinates: [ring] };
}

export function createBulk(store, api, map, { onDone = () => {} } = {}) {
  const panel = $("#bulk-panel");
  const leaflet = map.leaflet;
  const areaLayer = L.featureGroup().addTo(leaflet);
  let area = null; // the drawn area (GeoJSON Polygon, WGS84)
  let corner = null; // the first corner while drawing

  function selection() {
    return document.querySelector('input[name="bulk-selection"]:checked')?.value ?? "list";
  }

  function render() {
    const state = store.get();
    panel.hidden = !state.auth?.user?.roles?.some((g) => g.role === "provincie" || g.role === "coordinator");
    const status = $("#bulk-status");
    const chosen = status.value;
    fill(status, (state.statuses?.statuses ?? []).map((s) => h("option", { value: s.code }, statusTitle(state, s.code))));
    if (chosen) status.value = chosen;
    const n = state.sites?.features?.length ?? 0;
    $("#bulk-list-count").textContent = t("bulk.list_count", { n });
    $("#bulk-draw").hidden = selection() !== "area";
    $("#bulk-area-status").textContent =
      selection() === "area" ? (corner ? t("bulk.second_corner") : area ? t("bulk.area_ready") : t("bulk.area_none")) : "";
  }

  function startDrawing() {
    corner = null;
    area = null;
    areaLayer.clearLayers();
    leaflet.getContainer().classList.add("is-drawing");
    leaflet.once("click", (first) => {
      corner = first.latlng;
      render();
      leaflet.once("click", (second) => {
        const bounds = L.latLngBounds(corner, second.latlng);
        corner = null;
        leaflet.getContainer().classList.remove("is-drawing");
        area = rectangle(bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth());
        L.rectangle(bounds, { pane: "selection", interactive: false, color: "#7c3aed", weight: 2, dashArray: "5 4", className: "bulk-area" }).addTo(areaLayer);
        render();
      });
    });
    render();
  }

  function body() {
    const state = store.get();
    const change = { status: $("#bulk-status").value };
    const note = $("#bulk-note").value.trim();
    const tags = $("#bulk-tags").value.trim();
    const confidential = $("#bulk-confidential").value;
    if (note) change.note = note;
    if (tags) change.tags = tags.split(",").map((s) => s.trim()).filter(Boolean);
    if (confidential) change.confidential = confidential === "true";
    const which = selection();
    if (which === "list") return { ...change, site_ids: (state.sites?.features ?? []).map(siteId) };
    const kind = state.filters.kind || null;
    if (which === "view") {
      const [w, s, e, n] = map.bbox().split(",").map(Number);
      return { ...change, area: rectangle(w, s, e, n), kind };
    }
    return area ? { ...change, area, kind } : null;
  }

  async function apply() {
    const request = body();
    const result = $("#bulk-result");
    if (!request) {
      result.textContent = t("bulk.area_none");
      return;
    }
    if (request.site_ids && !request.site_ids.length) {
      result.textContent = t("bulk.empty");
      return;
    }
    try {
      const done = await api.post("/api/flags/bulk", {}, request);
      result.textContent = t("bulk.result", { changed: done.changed, skipped: done.skipped.length, outside: done.outside_scope });
      refreshSites(store);
      onDone();
    } catch (err) {
      result.textContent = err.message;
    }
  }

  for (const radio of document.querySelectorAll('input[name="bulk-selection"]')) radio.addEventListener("change", render);
  $("#bulk-draw").addEventListener("click", startDrawing);
  $("#bulk-apply").addEventListener("click", apply);
  store.subscribe(["auth", "statuses", "sites", "lang"], render);
}
