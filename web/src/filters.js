/*
 * @module filters
 * The filter panel: kind of site (options from the catalogue's site kinds), municipality
 * (GET /api/gemeenten; choosing one zooms to it), minimum score, the ranking (conservative or
 * by point score), an office's vacancy, the minimum share of the weight with data, excluded
 * sites, reset. The chosen filters are the store's `filters`; the list follows them.
 */

import { $, debounce, fill, h } from "./dom.js";
import { isNumber, number, percent, score } from "./format.js";
import { t } from "./i18n.js";
import { showError } from "./banner.js";
import { kindPlural, siteKinds } from "./kinds.js";
import { MOVE_DEBOUNCE_MS } from "./sites.js";

export const NO_FILTERS = Object.freeze({
  kind: "",
  gemeente: "",
  minScore: 0,
  includeExcluded: false,
  rankBy: "conservative",
  vacancy: "",
  minCompleteness: 0,
  status: "",
});

/** @returns {{loadGemeenten: () => Promise<void>}} */
export function createFilters(store, api, map) {
  const kind = $("#filter-kind");
  const gemeente = $("#filter-gemeente");
  const minScore = $("#filter-min-score");
  const excluded = $("#filter-excluded");
  const rankBy = $("#filter-rank-by");
  const vacancy = $("#filter-vacancy");
  const minCompleteness = $("#filter-min-completeness");
  let gemeenten = [];

  const setFilter = (patch) => store.update((state) => ({ filters: { ...state.filters, ...patch } }));
  // The score slider re-ranks a moment after the user stops dragging.
  const setMinScoreSoon = debounce((value) => setFilter({ minScore: value }), MOVE_DEBOUNCE_MS);
  const setMinCompletenessSoon = debounce((value) => setFilter({ minCompleteness: value }), MOVE_DEBOUNCE_MS);

  /** The "all kinds" option (static, translated by data-i18n) and one option per site kind. */
  function renderKindOptions() {
    const state = store.get();
    const all = kind.querySelector('option[value=""]');
    const options = siteKinds(state.catalogue).map((k) =>
      h("option", { value: k.code, dataset: { kind: k.code } }, kindPlural(state.catalogue, k.code)),
    );
    fill(kind, all, ...options);
    kind.value = state.filters.kind;
  }

  function renderGemeenteOptions() {
    const options = gemeenten.map((g) =>
      h("option", { value: g.code }, isNumber(g.n_sites) ? `${g.name} (${number(g.n_sites)})` : g.name),
    );
    const all = h("option", { value: "", "data-i18n": "filters.gemeente_all" }, t("filters.gemeente_all"));
    fill(gemeente, all, ...options);
    gemeente.value = store.get().filters.gemeente;
  }

  function renderMinScore() {
    $("#filter-min-score-value").textContent = score(Number(minScore.value));
    $("#filter-min-completeness-value").textContent = percent(Number(minCompleteness.value));
  }

  function zoomTo(code) {
    const found = gemeenten.find((g) => g.code === code);
    map.fitBbox(found ? found.bbox : store.get().config?.bounds, { maxZoom: 16 });
  }

  async function loadGemeenten() {
    try {
      gemeenten = (await api.get("/api/gemeenten")).gemeenten ?? [];
      renderGemeenteOptions();
    } catch (err) {
      showError(err);
    }
  }

  kind.addEventListener("change", () => setFilter({ kind: kind.value }));
  gemeente.addEventListener("change", () => {
    zoomTo(gemeente.value);
    setFilter({ gemeente: gemeente.value });
  });
  minScore.addEventListener("input", () => {
    renderMinScore();
    setMinScoreSoon(Number(minScore.value));
  });
  excluded.addEventListener("change", () => setFilter({ includeExcluded: excluded.checked }));
  rankBy.addEventListener("change", () => setFilter({ rankBy: rankBy.value }));
  vacancy.addEventListener("change", () => setFilter({ vacancy: vacancy.value }));
  minCompleteness.addEventListener("input", () => {
    renderMinScore();
    setMinCompletenessSoon(Number(minCompleteness.value));
  });
  $("#filter-reset").addEventListener("click", () => {
    setMinScoreSoon.cancel();
    setMinCompletenessSoon.cancel();
    kind.value = "";
    gemeente.value = "";
    minScore.value = "0";
    excluded.checked = false;
    rankBy.value = NO_FILTERS.rankBy;
    vacancy.value = "";
    minCompleteness.value = "0";
    renderMinScore();
    store.update({ filters: NO_FILTERS });
  });

  /** The controls show the store's filters (also when a link or the history set them). */
  function renderControls() {
    const f = store.get().filters;
    if (kind.value !== f.kind) kind.value = f.kind;
    if (gemeente.value !== f.gemeente) gemeente.value = f.gemeente;
    if (Number(minScore.value) !== f.minScore) minScore.value = String(f.minScore);
    if (Number(minCompleteness.value) !== f.minCompleteness) minCompleteness.value = String(f.minCompleteness);
    excluded.checked = f.includeExcluded;
    rankBy.value = f.rankBy;
    vacancy.value = f.vacancy;
    renderMinScore();
  }

  store.subscribe(["filters"], renderControls);
  store.subscribe(["catalogue", "lang"], renderKindOptions);
  store.subscribe(["lang"], () => {
    renderGemeenteOptions();
    renderMinScore();
  });
  renderMinScore();

  return { loadGemeenten };
}
