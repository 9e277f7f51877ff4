/*
 * @module legend
 * The map legend (bottom left): the five-class score ramp with its ticks, the excluded and the
 * uncertain symbol, one symbol per kind of site from the catalogue, and a note when the
 * basemap is offline.
 */

import { fill, h } from "./dom.js";
import { number, percent } from "./format.js";
import { pick, t } from "./i18n.js";
import { siteKinds } from "./kinds.js";
import { SCORE_COLOURS, shapeIcon } from "./symbols.js";
import { solidShare } from "./range.js";

/** Add the legend to the map; it re-renders when the language, catalogue or basemap change. */
export function createLegend(store, map) {
  const div = h("div", { id: "legend", class: "legend" });
  map.addControl(div, "bottomleft");
  const render = () => renderLegend(div, store.get());
  store.subscribe(["lang", "catalogue", "basemapOffline", "sites"], render);
  render();
}

function renderLegend(div, state) {
  const step = 1 / SCORE_COLOURS.length;
  const ramp = SCORE_COLOURS.map((colour, i) =>
    h("span", {
      class: "legend-ramp-step",
      style: { background: colour },
      title: `${number(i * step, 1)}–${number((i + 1) * step, 1)}`,
    }),
  );
  const ticks = [...SCORE_COLOURS.map((_, i) => h("span", {}, number(i * step, 1))), h("span", {}, number(1, 1))];
  const kinds = siteKinds(state.catalogue).map((kind) =>
    h(
      "li",
      { class: "legend-kind", dataset: { kind: kind.code, shape: kind.shape } },
      shapeIcon(kind.shape, "#ffffff", kind.colour),
      pick(kind.title) || kind.code,
    ),
  );
  fill(
    div,
    h("h3", {}, t("legend.heading")),
    h("div", { class: "legend-ramp", role: "img", "aria-label": `${t("legend.heading")} 0–1` }, ramp),
    h("div", { class: "legend-ticks", "aria-hidden": "true" }, ticks),
    h(
      "ul",
      { class: "legend-items" },
      h("li", {}, h("span", { class: "legend-swatch excluded", "aria-hidden": "true" }), t("legend.excluded")),
      h(
        "li",
        { class: "legend-uncertain", title: t("legend.uncertain_title", { solid: percent(solidShare(state)) }) },
        h("span", { class: "legend-swatch uncertain", "aria-hidden": "true" }),
        t("legend.uncertain"),
      ),
      kinds,
    ),
    h("p", { id: "basemap-note", class: "basemap-note", hidden: !state.basemapOffline }, t("legend.basemap_offline")),
  );
}
