/*
 * @module fairshare
 * The fair-share view (issue 12): per gemeente of a region (centrumgemeente, GGD, Wmo region or
 * province) its fair share of the region's need for the chosen target group (the profile), by a
 * key (population by default), against its capacity: the places of the sites scoring at least
 * the chosen score, of the parks with a visible province flag, and of the offers the user may see. A
 * table, a choropleth of the gemeenten on the map (capacity against fair share) and a bar
 * chart (plain SVG); the table as CSV. Without a stored need the user types in a total
 * (GET /api/fairshare, docs/fairshare.md). The API decides which flags count (scope filter).
 */

import * as L from "leaflet";
import { $, fill, h, svg, debounce } from "./dom.js";
import { number } from "./format.js";
import { t } from "./i18n.js";
import { showError } from "./banner.js";
import { isAbort } from "./api.js";

const COLOURS = [
  [1.0, "#1a9641"], // capacity covers the fair share
  [0.5, "#a6d96a"],
  [0.0001, "#fdae61"],
  [-Infinity, "#d7191c"], // no capacity
];

function colourOf(row) {
  if (row.fair_share === null || row.fair_share === undefined) return "#cccccc";
  if (row.fair_share <= 0) return COLOURS[0][1];
  const ratio = row.capacity / row.fair_share;
  return COLOURS.find(([limit]) => ratio >= limit)[1];
}

export function createFairShare(store, api, map) {
  const panel = $("#fairshare-panel");
  const kind = $("#fairshare-kind");
  const region = $("#fairshare-region");
  const key = $("#fairshare-key");
  const minScore = $("#fairshare-min-score");
  const need = $("#fairshare-need");
  let outlines = null; // gemeentecode → GeoJSON feature (WGS84)
  let layer = null;
  let view = null;
  let controller = null;

  async function loadRegions() {
    try {
      const answer = await api.get("/api/fairshare/regions", { kind: kind.value });
      fill(region, answer.regions.map((r) => h("option", { value: r.code }, `${r.name} (${r.members})`)));
    } catch (err) {
      showError(err);
    }
  }

  async function loadOutlines() {
    if (outlines) return;
    const layerAnswer = await api.get("/api/layers/gemeenten", { limit: 1000 });
    outlines = new Map(layerAnswer.features.map((f) => [f.properties.code, f]));
  }

  function params() {
    const { scoring } = store.get();
    return {
      kind: kind.value,
      region: region.value,
      key: key.value,
      min_score: minScore.value,
      need: need.value,
      profile: scoring.profile,
      weights: scoring.weights,
    };
  }

  async function load() {
    if (!panel.open || !region.value) return;
    controller?.abort();
    controller = new AbortController();
    try {
      await loadOutlines();
      view = await api.get("/api/fairshare", params(), { signal: controller.signal });
      render();
    } catch (err) {
      if (!isAbort(err)) showError(err);
    }
  }

  function csvHref() {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...params(), f: "csv" })) if (v !== null && v !== undefined && v !== "") query.set(k, String(v));
    return `/api/fairshare?${query}`;
  }

  function render() {
    if (!view) return;
    const rows = view.gemeenten;
    const hasNeed = view.need !== null;
    const source = hasNeed ? t(`fairshare.source_${view.need_source === "typed" ? "typed" : view.need_source === "coordinator" ? "coordinator" : "csv"}`) : "";
    fill(
      $("#fairshare-summary"),
      h("p", {}, hasNeed ? t("fairshare.need_is", { need: number(view.need), source }) : t("fairshare.no_need")),
      view.stored_need !== null && view.need_source === "typed" ? h("p", { class: "muted" }, t("fairshare.stored", { need: number(view.stored_need) })) : null,
      view.offers_available ? null : h("p", { class: "muted" }, t("fairshare.no_offers")),
      h("p", { class: "muted" }, t("fairshare.map_legend")),
    );
    const shareCell = (r) => (hasNeed ? number(r.fair_share, 1) : `${number(100 * r.share, 1)}%`);
    fill(
      $("#fairshare-table"),
      h(
        "table",
        { class: "fairshare-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, t("fairshare.gemeente")),
            h("th", {}, t(`fairshare.key_${view.key}`)),
            h("th", {}, hasNeed ? t("fairshare.fair_share") : t("fairshare.share")),
            h("th", {}, t("fairshare.sites")),
            h("th", {}, t("fairshare.flagged")),
            h("th", {}, t("fairshare.capacity")),
            h("th", {}, t("fairshare.balance")),
          ),
        ),
        h(
          "tbody",
          {},
          rows.map((r) =>
            h(
              "tr",
              { dataset: { code: r.gemeentecode } },
              h("td", {}, r.gemeente),
              h("td", { class: "num" }, number(r.key_value)),
              h("td", { class: "num fairshare-share" }, shareCell(r)),
              h("td", { class: "num" }, `${number(r.capacity_sites)} (${number(r.n_sites)})`),
              h("td", { class: "num" }, number(r.capacity_flagged)),
              h("td", { class: "num fairshare-capacity" }, number(r.capacity)),
              h("td", { class: "num fairshare-balance" }, r.balance === null ? "–" : number(r.balance, 1)),
            ),
          ),
        ),
      ),
    );
    renderChart(rows, hasNeed);
    renderMap(rows);
    $("#fairshare-export").href = csvHref();
  }

  function renderChart(rows, hasNeed) {
    const rowH = 18;
    const labelW = 110;
    const barW = 170;
    const max = Math.max(1, ...rows.map((r) => Math.max(r.capacity, hasNeed ? r.fair_share : 0)));
    const parts = [];
    rows.forEach((r, i) => {
      const y = i * rowH + 4;
      parts.push(svg("text", { x: labelW - 4, y: y + 11, "text-anchor": "end", class: "fairshare-label" }, r.gemeente));
      parts.push(svg("rect", { x: labelW, y: y + 1, width: (barW * r.capacity) / max, height: 7, fill: "#1b3a5c", class: "fairshare-bar-capacity" }));
      if (hasNeed) parts.push(svg("rect", { x: labelW, y: y + 9, width: (barW * r.fair_share) / max, height: 7, fill: "#fdae61", class: "fairshare-bar-share" }));
    });
    const chart = svg(
      "svg",
      { viewBox: `0 0 ${labelW + barW + 10} ${rows.length * rowH + 8}`, class: "fairshare-chart", role: "img", "aria-label": t("fairshare.chart") },
      ...parts,
    );
    fill($("#fairshare-chart"), chart, h("p", { class: "fairshare-legend muted" }, h("span", { class: "swatch swatch-capacity" }), t("fairshare.capacity"), " ", hasNeed ? h("span", { class: "swatch swatch-share" }) : null, hasNeed ? t("fairshare.fair_share") : null));
  }

  function renderMap(rows) {
    layer?.remove();
    const features = rows.map((r) => outlines?.get(r.gemeentecode) && { ...outlines.get(r.gemeentecode), properties: { ...r } }).filter(Boolean);
    if (!features.length) return;
    layer = L.geoJSON(
      { type: "FeatureCollection", features },
      {
        className: "fairshare-area",
        style: (f) => ({ color: "#333", weight: 1, fillColor: colourOf(f.properties), fillOpacity: 0.55 }),
        onEachFeature: (f, l) =>
          l.bindTooltip(`${f.properties.gemeente}: ${t("fairshare.capacity")} ${number(f.properties.capacity)}${f.properties.fair_share === null ? "" : ` / ${t("fairshare.fair_share")} ${number(f.properties.fair_share, 1)}`}`),
      },
    ).addTo(map.leaflet);
    map.leaflet.fitBounds(layer.getBounds(), { padding: [20, 20], animate: false });
  }

  function clear() {
    layer?.remove();
    layer = null;
  }

  const reload = debounce(load, 300);
  panel.addEventListener("toggle", async () => {
    if (!panel.open) return clear();
    if (!region.options.length) await loadRegions();
    load();
  });
  kind.addEventListener("change", async () => {
    await loadRegions();
    load();
  });
  for (const input of [region, key]) input.addEventListener("change", load);
  for (const input of [minScore, need]) input.addEventListener("input", reload);
  store.subscribe(["scoring"], () => panel.open && load());
  store.subscribe(["lang"], render);
  return { reload: load };
}
